"""Every verdict says why (issue 15, points 1-6): tasks, words and the rules the data can say.

All on the pure evaluator: no app, no database.
"""

from __future__ import annotations

import datetime
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from competencies.evaluator import add_months, evaluate, evaluate_renewal, missing_tasks
from competencies.nodes import NODE_TYPES
from competencies.rules import bind_areas, default_rule_sets, load_rule_set
from competencies.types import AreaInfo, EvidenceItem, Summary
from tests.competencies.rulekit import AS_OF, D, item, rsc, rules, run

RSC24 = {"rsc_hours": {"min": 24, "window_months": [12, 24]}}
RSC50 = {"rsc_hours": {"min": 50, "window_months": [12, 24]}}


# --- 1. never "not ready" without a reason ---------------------------------------------------


def test_rsc_hours_met_without_the_span_after_the_window_closed_says_what_to_do():
    # 24 h within five months of 2022: enough hours, too short a span, and the window that
    # opened then closed on 2024-01-01.
    items = [rsc(D(2022, 1, 1) + datetime.timedelta(days=14 * k), 2) for k in range(12)]
    r = run(RSC24, items)
    assert not r.met
    assert r.missing, "an unmet RSC requirement must say what to do"
    # The figures and the task are about the same window: a new one, with nothing in it yet.
    assert r.figures.text == "0 of 24 h"
    assert r.missing == (
        "Get 24 hours of reflective supervision spanning at least 12 months, within 24 months",
    )
    assert any("closed on 2024-01-01" in note for note in r.notes)


# --- 2. figures and tasks agree --------------------------------------------------------------


def test_after_the_best_window_closed_shown_and_asked_hours_are_on_the_same_window():
    old = [rsc(add_months(D(2022, 1, 1), m), 3) for m in range(12)]  # 36 h in 2022
    recent = [rsc(add_months(D(2024, 9, 1), m), 2) for m in range(9)]  # 18 h since 2024-09
    r = run(RSC50, old + recent)
    assert r.figures.value == 18
    assert r.missing == (
        "Get 32 more hours of reflective supervision before 2026-09-01",
        "Keep receiving reflective supervision until at least 2025-09-01: the hours must span "
        "12 months",
    )
    assert set(r.evidence_ids) == {s.id for s in recent}


def test_no_task_asks_for_more_hours_than_can_be_received_before_its_date():
    # The window that opened on 2023-06-05 holds 13.5 h and closes four days after AS_OF.
    items = [rsc(D(2023, 6, 5), 4.5), rsc(D(2024, 1, 10), 4.5), rsc(D(2025, 5, 1), 4.5)]
    r = run(RSC50, items)
    assert r.figures.value == 13.5
    [task] = r.missing
    assert "36.5 more hours of reflective supervision before 2025-06-05" not in task
    assert task == (
        "Your window closes on 2025-06-05 with 13.5 of 50 h: 36.5 more hours cannot be "
        "received by then. Counting from 2024-01-10 (9 h so far), get 41 more hours of "
        "reflective supervision before 2026-01-10: at the earliest by 2025-08-18"
    )


def test_renewal_tasks_are_due_by_the_end_of_the_year():
    rs = default_rule_sets()[1]
    items = [rsc(D(2025, m, 1), 1) for m in range(2, 13)]  # 11 h from February
    summary = Summary.from_items(1, items, start=D(2025, 1, 1), end=D(2025, 12, 31))
    r = evaluate_renewal(rs, "IMHS", summary, 2025, D(2024, 3, 1))
    rsc_leaf = next(leaf for leaf in r.leaves() if leaf.type == "rsc_hours")
    assert rsc_leaf.missing == ("Get 1 more hour of reflective supervision by 2025-12-31",)


# --- 3. what a met group does not need is not missing ----------------------------------------


def test_an_unmet_option_of_a_met_any_of_group_is_not_missing():
    node = {
        "all_of": [
            {
                "any_of": [
                    {"education": {"alternatives": ["cda"]}},
                    {"work_experience": {"years": 2, "kind": "paid_infant_family"}},
                ]
            },
            {"references": {"count": 1}},
        ]
    }
    items = [
        item("work", D(2023, 1, 1), details={"kind": "paid_infant_family", "years": 2}),
        item("reference", D(2025, 1, 1)),
    ]
    r = run(node, items)
    assert r.ready
    assert missing_tasks(r) == ()
    unmet = run(node, items[:1])
    assert missing_tasks(unmet) == ("Ask 1 more person for a reference rating",)


def test_missing_tasks_are_listed_once():
    node = {"all_of": [{"references": {"count": 1}}, {"references": {"count": 1}}]}
    assert missing_tasks(run(node)) == ("Ask 1 more person for a reference rating",)


# --- property: every unmet leaf of every node type says what to do ---------------------------

AREA_IDS = ("T1", "T2", "C1")
AREAS = [AreaInfo(a, a, a[0], frozenset({"IMHS", "IMHM-C", "IFS"})) for a in AREA_IDS]
# One or more sample nodes per leaf type; a new leaf type adds its samples here.
SAMPLES: dict[str, list[dict]] = {
    "training_hours": [
        {"training_hours": {"min": 4}},
        {"training_hours": {"min": 1, "tags": ["dei"]}},
    ],
    "area_coverage": [{"area_coverage": {"areas": "category"}}],
    "rsc_hours": [
        {"rsc_hours": {"min": 6, "window_months": [6, 12]}},
        {"rsc_hours": {"min": 2, "window_months": [12, 24], "eligible": ["IMHS", "IFS"]}},
        {"rsc_hours": {"min": 4, "window_months": [0, 24], "about_giving_min": 2}},
    ],
    "work_experience": [
        {"work_experience": {"years": 1, "kind": "dyadic_clinical", "families": 2}},
        {
            "work_experience": {
                "years": 1,
                "kind": "paid_infant_family",
                "paid": True,
                "after_degree": "master",
            }
        },
    ],
    "education": [{"education": {"alternatives": ["master", "doctorate"]}}],
    "references": [{"references": {"count": 2}}],
    "exam": [{"exam": {}}],
    "membership": [{"membership": {}}],
    "agreement": [{"agreement": {}}],
    "endorsed_for": [{"any_of": [{"endorsed_for": {"years": 3}}, {"references": {"count": 1}}]}],
}
if "training_mix" in NODE_TYPES:  # issue 15 point 8, added at the same time as this test
    SAMPLES["training_mix"] = [
        {"training_mix": {"min": 3, "parts": [{"min": 1, "tags": ["dei"]}]}},
        {
            "training_mix": {
                "min": 4,
                "parts": [{"min": 1, "tags": ["dei"]}, {"min": 1, "tags": ["rsc-topic"]}],
            }
        },
    ]
PROPERTY_RULES = bind_areas(
    rules(
        {
            "all_of": [
                *[n for name, nodes in SAMPLES.items() for n in nodes],
                {"any_of": [SAMPLES["education"][0], SAMPLES["work_experience"][0]]},
                {
                    "at_least": {
                        "n": 2,
                        "of": [{"exam": {}}, {"references": {"count": 1}}, {"membership": {}}],
                    }
                },
            ]
        }
    ),
    AREAS,
)
dates = st.dates(D(2021, 6, 1), D(2025, 12, 31))
statuses = st.sampled_from(["verified", "attested", "attested", "pending", "rejected"])


def _kind(kind: str, **extra):
    return st.builds(
        lambda date, status, **kw: EvidenceItem(id=0, kind=kind, date=date, status=status, **kw),
        date=dates,
        status=statuses,
        **extra,
    )


rsc_sessions = _kind(
    "rsc",
    hours=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
    provider_id=st.sampled_from([1, 2, 3]),
    details=st.fixed_dictionaries(
        {
            "format": st.sampled_from(["individual", "group", "peer"]),
            "facilitated": st.booleans(),
            "about_giving_rsc": st.booleans(),
            "provider_credentials": st.lists(
                st.sampled_from(["IMHS", "IFS", "ERS"]), min_size=1, max_size=2
            ),
        }
    ),
)
evidence = st.one_of(
    _kind(
        "training",
        hours=st.sampled_from([0.5, 1.0, 2.0]),
        areas=st.frozensets(st.sampled_from(AREA_IDS), max_size=2),
        tags=st.frozensets(st.sampled_from(["dei", "rsc-topic"]), max_size=2),
    ),
    rsc_sessions,
    _kind("reference", details=st.fixed_dictionaries({"not_enough_info": st.integers(0, 8)})),
    _kind(
        "education",
        details=st.fixed_dictionaries({"level": st.sampled_from(["bachelor", "master"])}),
    ),
    _kind(
        "work",
        details=st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["dyadic_clinical", "paid_infant_family"]),
                "years": st.sampled_from([0.5, 1.0]),
                "families": st.integers(0, 2),
            }
        ),
    ),
    _kind(  # work periods (issue 15 point 7): ongoing or ended, paid or not, post-degree or not
        "work",
        details=st.fixed_dictionaries(
            {
                "kind": st.sampled_from(
                    ["dyadic_clinical", "paid_infant_family", "unpaid_infant_family"]
                ),
                "start": dates.map(D.isoformat),
                "end": st.one_of(st.none(), dates.map(D.isoformat)),
                "paid": st.booleans(),
                "families": st.integers(0, 2),
            },
            optional={"post_degree": st.booleans()},
        ),
    ),
    _kind("exam", details=st.fixed_dictionaries({"score": st.integers(60, 100)})),
    _kind("membership", details=st.fixed_dictionaries({"valid_until": dates.map(D.isoformat)})),
    _kind(
        "agreement",
        details=st.fixed_dictionaries(
            {"document": st.sampled_from(["code_of_ethics", "endorsement_agreement"])}
        ),
    ),
)
_TASK_HOURS = re.compile(r"get ([\d.]+) more hours? of reflective supervision before (\S+?):?$")


def test_the_property_rule_set_holds_every_leaf_type():
    leaf_types = {name for name, t in NODE_TYPES.items() if not t.composite}
    assert leaf_types <= set(SAMPLES), "add a sample node of the new type to SAMPLES"
    used = {n.type for n in PROPERTY_RULES.category("IMHS").requires.walk()}
    assert used >= set(NODE_TYPES)


@settings(max_examples=200, deadline=None)
@given(base=st.lists(evidence, max_size=40), as_of=st.dates(D(2024, 1, 1), D(2026, 6, 1)))
def test_every_unmet_leaf_yields_a_task_and_ready_means_nothing_is_missing(base, as_of):
    items = [it._replace(id=i + 1) for i, it in enumerate(base)]
    result = evaluate(PROPERTY_RULES, "IMHS", Summary.from_items(1, items), as_of)
    for leaf in result.leaves():
        if not leaf.met:
            assert leaf.missing, f"{leaf.path} is {leaf.status} without a task"
    tasks = missing_tasks(result)
    assert bool(tasks) != bool(result.ready)
    assert len(tasks) == len(set(tasks))
    for node in result.walk():  # a met group needs nothing: none of its leaves' tasks is listed
        if node.met:
            for leaf in node.leaves():
                assert not set(leaf.missing) & set(tasks) or any(
                    t in other.missing
                    for t in set(leaf.missing) & set(tasks)
                    for other in result.leaves()
                    if not other.met and other.path != leaf.path
                )
    for task in tasks:  # no task asks for more hours before a date than can be received
        m = _TASK_HOURS.search(task.split(". ")[-1].lower())
        if m:
            hours, day = float(m[1]), D.fromisoformat(m[2])
            months = (day - as_of).days / (365.25 / 12)
            assert hours <= 16 * months + 0.1, task


def reasons(result) -> dict[int, str]:
    return {nc.evidence_id: nc.reason for nc in result.not_counted}


# --- 5. exam retakes -------------------------------------------------------------------------


def test_a_retake_less_than_a_year_after_a_failed_attempt_does_not_count():
    failed = item("exam", D(2024, 9, 1), details={"score": 70})
    early = item("exam", D(2025, 3, 1), details={"score": 90})
    r = run({"exam": {}}, [failed, early])
    assert not r.met
    assert reasons(r)[early.id] == (
        "Exam on 2025-03-01: taken less than 12 months after the failed attempt of 2024-09-01; "
        "a retake counts from 2025-09-01"
    )
    assert r.missing == ("Retake the exam from 2025-09-01",)
    assert r.figures.value == 70  # the attempt that does not count is not the best score
    on_time = item("exam", D(2025, 9, 1), details={"score": 85})
    later = run({"exam": {}}, [failed, early, on_time], as_of=D(2025, 10, 1))
    assert later.met and later.evidence_ids == (on_time.id,)


def test_an_early_failed_retake_does_not_move_the_retake_date():
    failed = item("exam", D(2024, 9, 1), details={"score": 70})
    early = item("exam", D(2025, 3, 1), details={"score": 60})
    r = run({"exam": {}}, [failed, early])
    assert r.missing == ("Retake the exam from 2025-09-01",)
    assert "a retake counts from 2025-09-01" in reasons(r)[early.id]


# --- 6. renewal for long-standing mentors ----------------------------------------------------

LONG_STANDING = {
    "any_of": [
        {"rsc_hours": {"min": 12, "window_months": [0, 12]}},
        {
            "all_of": [
                {"endorsed_for": {"years": 3}},
                {"rsc_hours": {"min": 10, "window_months": [0, 12]}},
            ]
        },
    ]
}


def renewal(node: dict, items, award: D, year: int = 2025, category: str = "IMHM-C"):
    rs = rules({"membership": {}}, category)
    doc = rs.to_dict()
    doc["categories"][category]["renewal"] = node
    rs = load_rule_set(doc)
    summary = Summary.from_items(1, items, start=D(year, 1, 1), end=D(year, 12, 31))
    return evaluate_renewal(rs, category, summary, year, award)


def test_endorsed_for_at_least_n_years_lowers_the_renewal_rsc_hours():
    ten = [rsc(D(2025, m, 1), 1, creds=("IMHM-C",)) for m in range(1, 11)]
    long_standing = renewal(LONG_STANDING, ten, award=D(2021, 5, 1))
    assert long_standing.ready
    recent = renewal(LONG_STANDING, ten, award=D(2023, 5, 1))
    assert not recent.ready
    assert missing_tasks(recent) == ("Get 2 more hours of reflective supervision by 2025-12-31",)
    # Three years are counted up to the renewal's due date.
    assert renewal(LONG_STANDING, ten, award=D(2022, 12, 31)).ready
    assert not renewal(LONG_STANDING, ten, award=D(2023, 1, 1)).ready


def test_endorsed_for_says_from_when_it_applies():
    r = renewal({"endorsed_for": {"years": 3}}, [], award=D(2024, 3, 1))
    assert (r.status, r.progress) == ("not_started", 0.0)
    assert r.missing == ("Be endorsed for at least 3 years: from 2027-03-01",)
    assert r.figures.text == "endorsed since 2024-03-01"
    application = run({"endorsed_for": {"years": 3}})
    assert application.missing == ("Be endorsed for at least 3 years: not endorsed yet",)


def test_the_default_rules_lower_the_imhm_c_renewal_for_long_standing_mentors():
    for rs in default_rule_sets():
        imhmc = rs.category("IMHM-C").renewal
        types = [n.type for n in imhmc.walk()]
        assert "endorsed_for" in types
        items = [rsc(D(2025, m, 1), 1, creds=("IMHM-C",)) for m in range(1, 11)]
        items += [
            item("training", D(2025, 2, 1), hours=15),
            item("training", D(2025, 3, 1), hours=1, tags=frozenset({"dei"})),
            item("membership", D(2025, 1, 1), details={"valid_until": "2025-12-31"}),
        ]
        summary = Summary.from_items(1, items, start=D(2025, 1, 1), end=D(2025, 12, 31))
        assert evaluate_renewal(rs, "IMHM-C", summary, 2025, D(2021, 6, 1)).ready
        assert not evaluate_renewal(rs, "IMHM-C", summary, 2025, D(2024, 6, 1)).ready
        imhs = evaluate_renewal(rs, "IMHS", summary, 2025, D(2021, 6, 1))
        assert not imhs.ready  # only the mentors' renewal is lowered


@settings(max_examples=150, deadline=None)
@given(
    base=st.lists(rsc_sessions, max_size=30),
    as_of=st.dates(D(2022, 1, 1), D(2026, 6, 1)),
    hi=st.sampled_from([1, 6, 12, 24]),
)
def test_the_window_open_today_is_the_best_among_sessions_recent_enough(base, as_of, hi):
    from competencies.nodes.rsc_hours import current_window, rsc_best

    params = {
        "min": 6,
        "window_months": (min(hi, 6), hi),
        "max_providers": 2,
        "majority_one_provider": True,
        "facilitated_groups_only": True,
    }
    ok = sorted(
        (it._replace(id=i + 1) for i, it in enumerate(base)),
        key=lambda it: (it.date, it.id),
    )
    choice, closed = current_window(ok, params, as_of)
    best = rsc_best(ok, params)
    if closed is None:
        assert choice == best
    else:
        assert closed == best
        assert choice == rsc_best([s for s in ok if add_months(s.date, hi) > as_of], params)


# --- 4. words --------------------------------------------------------------------------------


def test_tasks_say_one_hour_and_hours_to_one_decimal():
    one = run({"training_hours": {"min": 3}}, [item("training", D(2025, 1, 1), hours=2)])
    assert one.missing == ("Complete 1 more hour of training",)
    quarter = run({"training_hours": {"min": 3}}, [item("training", D(2025, 1, 1), hours=1.25)])
    assert quarter.figures.text == "1.2 of 3 h"  # shown rounded down, never more than there is
    assert quarter.missing == ("Complete 1.8 more hours of training",)  # needed, rounded up
    rsc_quarter = run(RSC50, [rsc(D(2025, 1, 1), 0.25)])
    assert rsc_quarter.figures.text == "0.2 of 50 h"
    assert (
        rsc_quarter.missing[0] == "Get 49.8 more hours of reflective supervision before 2027-01-01"
    )


def test_the_provider_reason_names_the_categories_that_would_qualify():
    session = rsc(D(2025, 1, 6), 3, creds=("IFS",))
    r = run(RSC50, [session])
    assert reasons(r)[session.id] == (
        "3 h on 2025-01-06: provider not endorsed as IMHS, IMHM-C or ERS (Endorsed Reflective "
        "Supervisor)"
    )
    ifs = run(
        {"rsc_hours": {"min": 1, "window_months": [0, 24]}},
        [item("education", D(2020, 1, 1), details={"level": "bachelor"}), session],
        category="IFS",
    )
    assert reasons(ifs)[session.id].endswith(
        "provider not endorsed as IFS with a master's degree, IMHS or ERS (Endorsed Reflective "
        "Supervisor)"
    )


def test_every_education_level_reads_as_words():
    from competencies.types import EDUCATION_LEVELS
    from competencies.vocabulary import EDUCATION_LABELS, LEVEL_WORDS

    for level in EDUCATION_LEVELS:
        assert LEVEL_WORDS[level] and "_" not in LEVEL_WORDS[level]
        assert EDUCATION_LABELS[level] and "_" not in EDUCATION_LABELS[level]
    node = {"education": {"alternatives": ["master", "mh_license"]}}
    r = run(node, [item("education", D(2020, 1, 1), details={"level": "associate_related"})])
    assert r.missing == ("Add proof of education: master's degree or mental-health licence",)
    assert reasons(r) == {
        r.not_counted[0].evidence_id: "Education record on 2020-01-01: related associate degree "
        "does not meet this requirement"
    }
    odd = run(node, [item("education", D(2020, 1, 1), details={"level": "phd_in_arts"})])
    assert "phd_in_arts" not in odd.not_counted[0].reason
    assert "phd in arts" in odd.not_counted[0].reason


def test_figures_do_not_repeat_the_requirements_label():
    rs = bind_areas(default_rule_sets()[1], [AreaInfo("T1", "T1", "T", frozenset({"IMHM-C"}))])
    items = [
        item("training", D(2025, 1, 1), hours=5, tags=frozenset({"dei"})),
        item("education", D(2015, 1, 1), details={"level": "master"}),
        item("reference", D(2025, 1, 1)),
        item("exam", D(2025, 1, 1), details={"score": 70}),
        item("membership", D(2025, 1, 1), details={"valid_until": "2026-01-01"}),
        item("agreement", D(2025, 1, 1), details={"document": "code_of_ethics"}),
        rsc(D(2025, 1, 1), 2, creds=("IMHM-C",)),
    ]
    r = evaluate(rs, "IMHM-C", Summary.from_items(1, items), AS_OF)
    words = re.compile(
        r"^(training|rsc|work|education|references?|areas?|exam|membership|agreements?)\b", re.I
    )
    for leaf in r.leaves():
        assert leaf.figures is not None
        assert not words.match(leaf.figures.text), (leaf.label, leaf.figures.text)


def test_a_renewal_without_any_rsc_asks_for_the_hours_by_the_end_of_the_year():
    rs = default_rule_sets()[1]
    summary = Summary.from_items(1, [], start=D(2025, 1, 1), end=D(2025, 12, 31))
    r = evaluate_renewal(rs, "IMHS", summary, 2025, D(2023, 3, 1))
    rsc_leaf = next(leaf for leaf in r.leaves() if leaf.type == "rsc_hours")
    assert rsc_leaf.missing == ("Get 12 hours of reflective supervision by 2025-12-31",)
