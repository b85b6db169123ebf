"""Properties of the evaluator and of rule-set documents, checked with hypothesis."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json

from hypothesis import event, given, settings
from hypothesis import strategies as st

from competencies.evaluator import evaluate
from competencies.frameworks_io import (
    _MOODLE_KEYS,
    MOODLE_HEADER,
    FrameworkError,
    dump_moodle_csv,
    framework_to_dict,
    load_framework,
    load_moodle_csv,
)
from competencies.rules import bind_areas, default_rule_sets, load_rule_set
from competencies.types import AreaInfo, EvidenceItem, Summary

AS_OF = datetime.date(2025, 9, 1)
AREA_IDS = ("T1", "T2", "C1", "R1")
AREAS = [AreaInfo(a, a, a[0], frozenset({"IMHS", "IMHM-C", "IFS"})) for a in AREA_IDS]
DEFAULT = bind_areas(default_rule_sets()[1], AREAS)
SMALL = bind_areas(
    load_rule_set(
        {
            "name": "Small",
            "version": "1",
            "effective": "2025-01-01",
            "categories": {
                "IMHS": {
                    "name": "Specialist",
                    "family": "infant",
                    "rank": 4,
                    "requires": {
                        "all_of": [
                            {"training_hours": {"min": 4}},
                            {"training_hours": {"min": 1, "tags": ["dei"]}},
                            {"area_coverage": {"areas": "category"}},
                            {"rsc_hours": {"min": 3, "window_months": [2, 6]}},
                            {"references": {"count": 1}},
                            {"membership": {}},
                            {"agreement": {"documents": ["code_of_ethics"]}},
                        ]
                    },
                }
            },
            "rsc_eligibility": {"IMHS": ["IMHS", "ERS"]},
        }
    ),
    [dataclasses.replace(a, categories=frozenset({"IMHS"})) for a in AREAS],
)
CASES = [(DEFAULT, "IMHS"), (DEFAULT, "IMHM-C"), (DEFAULT, "IFS"), (SMALL, "IMHS")]

dates = st.dates(datetime.date(2022, 1, 1), datetime.date(2025, 12, 31))
statuses = st.sampled_from(["verified", "attested", "attested", "pending", "rejected", "void"])
counted = st.sampled_from(["verified", "attested"])
areas = st.frozensets(st.sampled_from(AREA_IDS), max_size=2)
hours = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 6.0])


def _kind(kind: str, status, **extra):
    return st.builds(
        lambda date, status, **kw: EvidenceItem(id=0, kind=kind, date=date, status=status, **kw),
        date=dates,
        status=status,
        **extra,
    )


def evidence(status=statuses):
    rsc_details = st.fixed_dictionaries(
        {
            "format": st.sampled_from(["individual", "individual", "group", "peer"]),
            "facilitated": st.booleans(),
            "about_giving_rsc": st.booleans(),
            "provider_credentials": st.lists(
                st.sampled_from(["IMHS", "IMHM-C", "IFS", "IFS:master", "ERS"]),
                min_size=1,
                max_size=2,
            ),
        }
    )
    return st.one_of(
        _kind(
            "training",
            status,
            hours=hours,
            areas=areas,
            tags=st.frozensets(st.sampled_from(["dei", "rsc-topic"]), max_size=1),
        ),
        _kind(
            "rsc", status, hours=hours, provider_id=st.sampled_from([1, 2, 3]), details=rsc_details
        ),
        _kind(
            "reference",
            status,
            areas=areas,
            details=st.fixed_dictionaries({"not_enough_info": st.integers(0, 8)}),
        ),
        _kind(
            "education",
            status,
            details=st.fixed_dictionaries(
                {"level": st.sampled_from(["bachelor", "master", "doctorate"])}
            ),
        ),
        _kind(
            "work",
            status,
            details=st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(
                        ["dyadic_clinical", "paid_infant_family", "rsc_giving"]
                    ),
                    "years": st.sampled_from([0.5, 1.0, 2.0]),
                    "families": st.integers(0, 6),
                }
            ),
        ),
        _kind("exam", status, details=st.fixed_dictionaries({"score": st.integers(50, 100)})),
        _kind(
            "membership",
            status,
            details=st.fixed_dictionaries({"valid_until": dates.map(datetime.date.isoformat)}),
        ),
        _kind(
            "agreement",
            status,
            details=st.fixed_dictionaries(
                {"document": st.sampled_from(["code_of_ethics", "endorsement_agreement"])}
            ),
        ),
    )


def numbered(items: list[EvidenceItem], start: int = 1) -> list[EvidenceItem]:
    return [it._replace(id=start + i) for i, it in enumerate(items)]


def leaf_progress(result) -> dict[str, float]:
    return {leaf.path: leaf.progress for leaf in result.leaves()}


@settings(max_examples=120, deadline=None)
@given(
    case=st.sampled_from(CASES),
    base=st.lists(evidence(), max_size=30),
    # Education and exams are left out on purpose (DOMAIN.md): a new master's degree narrows
    # which RSC providers qualify for an IFS applicant, and a failed exam attempt makes a pass
    # less than a year after it not count (test_reasons.py tests both), so they may lower it.
    extra=st.lists(
        evidence(counted).filter(lambda it: it.kind not in ("education", "exam")),
        min_size=1,
        max_size=6,
    ),
)
def test_adding_counted_evidence_never_lowers_progress(case, base, extra):
    rule_set, category = case
    before_items = numbered(base)
    after_items = before_items + numbered(extra, start=1000)
    before = evaluate(rule_set, category, Summary.from_items(1, before_items), AS_OF)
    after = evaluate(rule_set, category, Summary.from_items(1, after_items), AS_OF)
    assert after.progress >= before.progress - 1e-9
    old = leaf_progress(before)
    for path, progress in leaf_progress(after).items():
        assert progress >= old[path] - 1e-9, path
    assert not (before.ready and not after.ready)


@settings(max_examples=80, deadline=None)
@given(case=st.sampled_from(CASES), base=st.lists(evidence(), max_size=30), data=st.data())
def test_evaluation_does_not_depend_on_item_order(case, base, data):
    rule_set, category = case
    summary = Summary.from_items(1, numbered(base))
    shuffled = data.draw(st.permutations(summary.items))
    again = dataclasses.replace(summary, items=tuple(shuffled))
    first = evaluate(rule_set, category, summary, AS_OF)
    assert evaluate(rule_set, category, again, AS_OF).to_dict() == first.to_dict()
    rebuilt = Summary.from_items(1, data.draw(st.permutations(numbered(base))))
    assert rebuilt == summary


@settings(max_examples=150, deadline=None)
@given(case=st.sampled_from(CASES), base=st.lists(evidence(counted), max_size=40))
def test_ready_means_every_leaf_is_met(case, base):
    rule_set, category = case
    result = evaluate(rule_set, category, Summary.from_items(1, numbered(base)), AS_OF)
    # The roots tested here are all_of over leaves only, so the converse holds as well.
    assert result.ready == all(leaf.met for leaf in result.leaves())
    for node in result.walk():
        assert (node.status == "met") == (node.progress == 1.0), node.path
        assert 0.0 <= node.progress <= 1.0


# --- rule-set documents ----------------------------------------------------------------------

nums = st.one_of(st.integers(0, 200), st.floats(0, 200, allow_nan=False).map(lambda x: round(x, 2)))
leaf_nodes = st.one_of(
    st.builds(
        lambda m, t: {"training_hours": {"min": m, "tags": t}},
        nums,
        st.lists(st.sampled_from(["dei", "rsc-topic"]), unique=True),
    ),
    st.builds(
        lambda m, lo, extra, about: {
            "rsc_hours": {
                "min": m,
                "window_months": [lo, lo + extra],
                "max_providers": 2,
                "majority_one_provider": True,
                "facilitated_groups_only": True,
                **({"about_giving_min": about} if about is not None else {}),
            }
        },
        nums,
        st.integers(0, 24),
        st.integers(1, 24),
        st.none() | nums,
    ),
    st.builds(
        lambda y, k: {"work_experience": {"years": y, "kind": k}},
        nums,
        st.sampled_from(["leadership", "dyadic_clinical"]),
    ),
    st.builds(
        lambda a: {"education": {"alternatives": a}},
        st.lists(st.sampled_from(["bachelor", "master", "doctorate"]), min_size=1, unique=True),
    ),
    st.builds(
        lambda c: {"references": {"count": c, "void_if_not_enough_info": 6}}, st.integers(1, 5)
    ),
    st.just({"exam": {}}),
    st.just({"membership": {}}),
    st.just({"agreement": {"documents": ["code_of_ethics"]}}),
    st.just({"area_coverage": {"areas": "category"}}),
    st.builds(
        lambda label: {"membership": {"label": label}},
        st.text(min_size=1, max_size=20).filter(str.strip),
    ),
)
trees = st.recursive(
    leaf_nodes,
    lambda kids: st.one_of(
        st.builds(lambda xs: {"all_of": xs}, st.lists(kids, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any_of": xs}, st.lists(kids, min_size=1, max_size=3)),
        st.lists(kids, min_size=1, max_size=3).flatmap(
            lambda xs: st.integers(1, len(xs)).map(lambda n: {"at_least": {"n": n, "of": xs}})
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(requires=trees, renewal=st.none() | trees, version=st.text(min_size=1, max_size=8))
def test_rule_set_json_round_trip_is_exact(requires, renewal, version):
    category = {"name": "Specialist", "family": "infant", "rank": 4, "requires": requires}
    if renewal is not None:
        category["renewal"] = renewal
    doc = {
        "name": "Generated",
        "version": version,
        "effective": "2025-01-01",
        "framework": {},
        "categories": {"IMHS": category},
        "rsc_eligibility": {"IMHS": ["IMHS", "ERS"]},
        "prerequisites": {"B": ["A"], "C": ["A", "B"]},
        "exam": {"questions": 60, "pass_percent": 80, "retake_after_months": 12},
        "renewal": {"due": "12-31"},
    }
    rs = load_rule_set(doc)
    assert rs.to_dict() == doc
    again = load_rule_set(json.loads(json.dumps(rs.to_dict())))
    assert again.to_dict() == rs.to_dict()
    assert again == rs


# --- framework documents: what the importer accepts, re-reading accepts ----------------------
#
# Documents are built well-formed, then given up to two flaws, so that about half are accepted
# and the rest are refused for one reason or two; the property is about the accepted ones.

_words = st.sampled_from(["competency", "domain", "indicator", "level", "outcome"])
_taxonomies = st.lists(_words, max_size=5)  # repeats are common: Moodle's default repeats one
_any_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=20,
)
_names = st.one_of(
    st.sampled_from(["Name", "  padded  ", "Área — ñ “quoted”", "Łukasz's <b>", "n" * 100]),
    _any_text.filter(str.strip),
)
_descriptions = st.one_of(
    st.sampled_from(
        [
            "",
            "<p>Plain</p>",
            "<p>Applies to: IFS, IMHS</p>",
            "<p>Text</p><p>Applies to: </p>",
            "<p>Version: 2025 &amp; later</p>",
            "<script>x</script><p>a<b>b</b> &lt; c</p>",
            "<a href='javascript:x'>l</a><a href='https://e.org'>ok</a>",
            "line one\n\nline two",
        ]
    ),
    _any_text,
)
_id_stems = st.sampled_from(["N", "A,", "B%", "Ω-", " P ", "x" * 95])
_categories = st.lists(st.sampled_from(["IFA", "IFS", "IMHS", "IMHM-C", "ERS"]), unique=True)


def _flaws(bad_values):
    """Return a strategy of up to two (row or node index, field, bad value) changes."""
    return st.lists(
        st.tuples(st.integers(0, 20), st.sampled_from(sorted(bad_values))).map(
            lambda t: (t[0], t[1], bad_values[t[1]])
        ),
        max_size=2,
    )


_CSV_BAD = {
    "idnumber": "",
    "shortname": "n" * 101,
    "parent": "NO-SUCH",
    "descriptionformat": "9",
    "ruleoutcome": "x",
    "ruleconfig": "{bad",
    "related": "NO-SUCH",
    "scaleconfiguration": "{bad",
    "taxonomy": "competency,not a word",
    "isframework": "2",
}


@st.composite
def moodle_csv_files(draw) -> bytes:
    taxonomy = draw(_taxonomies)
    scale = draw(st.sampled_from(["", "Not yet,Yes", "One"]))
    framework = {
        "idnumber": draw(st.sampled_from(["FW", " FW ", "Ω"])),
        "shortname": draw(_names),
        "description": draw(_descriptions),
        "descriptionformat": draw(st.sampled_from(["1", "2", ""])),
        "scalevalues": scale,
        "scaleconfiguration": draw(st.sampled_from(["", '[{"scaleid":"2"}]'])),
        "isframework": "1",
        "taxonomy": draw(st.sampled_from([",", ", "])).join(taxonomy),
    }
    count = draw(st.integers(0, 8))
    ids = [f"{draw(_id_stems)}{i}" for i in range(count)]
    rows = []
    for i, idnumber in enumerate(ids):
        others = [x for x in ids if x != idnumber]
        rows.append(
            {
                "parent": draw(st.sampled_from(["", *ids[:i]])),
                "idnumber": idnumber,
                "shortname": draw(_names),
                "description": draw(_descriptions),
                "descriptionformat": draw(st.sampled_from(["1", "0", "2", "4", ""])),
                "scalevalues": draw(st.sampled_from(["", "a,b"])),
                "scaleconfiguration": draw(st.sampled_from(["", '[{"scaleid":"3"}]'])),
                "ruletype": draw(st.sampled_from(["", "core_competency\\competency_rule_all"])),
                "ruleoutcome": draw(st.sampled_from(["0", "1", "", "-2", " 3"])),
                "ruleconfig": draw(st.sampled_from(["null", "", '{"base":{"points":2}}'])),
                "related": ",".join(
                    r.replace(",", "%2C")
                    for r in draw(st.lists(st.sampled_from(others), max_size=2))
                )
                if others
                else "",
                "exportid": draw(st.sampled_from(["", "17", " 18 "])),
            }
        )
    rows.insert(draw(st.integers(0, len(rows))), framework)
    for index, key, value in draw(_flaws(_CSV_BAD)):
        rows[index % len(rows)][key] = value
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MOODLE_HEADER)
    keys = [k for h in MOODLE_HEADER for k in [_KEY_OF[h]]]
    writer.writerows([row.get(k, "") for k in keys] for row in rows)
    return out.getvalue().encode("utf-8")


_KEY_OF = dict(zip(MOODLE_HEADER, _MOODLE_KEYS, strict=True))


def _accepted(load, *args):
    try:
        return load(*args)
    except FrameworkError:
        return None


@settings(max_examples=300, deadline=None)
@given(data=moodle_csv_files())
def test_every_moodle_csv_the_importer_accepts_re_reads_to_the_same_document(data):
    doc = _accepted(load_moodle_csv, io.BytesIO(data))
    event("accepted" if doc is not None else "refused")
    if doc is None:
        return
    stored = json.loads(json.dumps(framework_to_dict(doc)))  # as the database gives it back
    assert load_framework(stored) == doc
    assert load_moodle_csv(io.BytesIO(dump_moodle_csv(doc))) == doc


_DOC_BAD = {
    "id": "",
    "name": "n" * 101,
    "categories": ["IFS", "not a code"],
    "related": ["NO-SUCH"],
    "taxonomies": ["competency", "not a word"],
    "scale_configuration": "{bad",
    "unknown": 1,
    "moodle": {"rule_config": "{bad"},
    "version": 2.5,
}


@st.composite
def framework_documents(draw) -> dict:
    framework = {"name": draw(_names), "idnumber": draw(st.sampled_from(["FW", 7, " FW "]))}
    for key, values in (
        ("version", st.sampled_from(["2025", 2026, "", " v1 "])),
        ("description", _descriptions),
        ("taxonomies", _taxonomies),
    ):
        if draw(st.booleans()):
            framework[key] = draw(values)
    if draw(st.booleans()):
        framework["scale"] = "Not yet,Yes"
        if draw(st.booleans()):
            framework["scale_configuration"] = '[{"scaleid":"1"}]'
    counter = iter(range(100))
    nodes: list[dict] = []

    def node(depth: int) -> dict:
        n: dict = {"id": f"{draw(_id_stems)}{next(counter)}", "name": draw(_names)}
        if draw(st.booleans()):
            n["description"] = draw(_descriptions)
        if draw(st.booleans()):
            n["categories"] = draw(_categories)
        if draw(st.booleans()):
            n["moodle"] = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "rule_outcome": st.integers(-2, 2),
                        "rule_config": st.sampled_from(["", '{"a":1}']),
                        "exported_id": st.one_of(st.integers(0, 9), _any_text),
                        "scale_values": st.sampled_from(["", "a,b"]),
                    },
                )
            )
        nodes.append(n)
        if depth < 3:
            kids = [node(depth + 1) for _ in range(draw(st.integers(0, 2)))]
            if kids:
                n["areas" if depth == 1 else "children"] = kids
        return n

    data = {"framework": framework, "domains": [node(1) for _ in range(draw(st.integers(0, 3)))]}
    ids = [n["id"] for n in nodes]
    for n in nodes:
        others = [x for x in ids if x != n["id"]]
        if others and draw(st.booleans()):
            n["related"] = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
    for index, key, value in draw(_flaws(_DOC_BAD)):
        target = framework if key in ("taxonomies", "scale_configuration", "version") else None
        if target is None and nodes:
            target = nodes[index % len(nodes)]
        if target is not None:
            target[key] = value
    return data


@settings(max_examples=300, deadline=None)
@given(data=framework_documents())
def test_every_document_the_importer_accepts_re_reads_to_the_same_document(data):
    doc = _accepted(load_framework, data)
    event("accepted" if doc is not None else "refused")
    if doc is None:
        return
    stored = json.loads(json.dumps(framework_to_dict(doc)))
    assert load_framework(stored) == doc
    assert load_moodle_csv(io.BytesIO(dump_moodle_csv(doc))) == doc
