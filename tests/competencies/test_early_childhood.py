"""The early-childhood family mirrors the infant table in the default rules (issue 15, point 9)."""

from __future__ import annotations

import datetime

import pytest

from competencies.evaluator import evaluate
from competencies.rules import bind_areas, default_rule_sets
from competencies.types import AreaInfo, EvidenceItem, Summary

D = datetime.date
AS_OF = D(2025, 6, 1)
# infant code -> its early-childhood twin
TWINS = {
    "IFA": "ECFA",
    "IFS": "ECFS",
    "IFRS": "ECFRS",
    "IMHS": "ECMHS",
    "IMHM-C": "ECMHM-C",
    "IMHM-P": "ECMHM-P",
    "IMHM-R": "ECMHM-R",
}


def _shape(node) -> list:
    """The requirement graph without words: node types and their numbers."""
    params = {k: v for k, v in node.params.items() if k not in ("label", "families_of")}
    return [node.type, params, [_shape(c) for c in node.children]]


@pytest.mark.parametrize("rule_set", default_rule_sets(), ids=lambda rs: rs.version)
@pytest.mark.parametrize(("infant", "early"), sorted(TWINS.items()))
def test_every_infant_category_has_an_early_childhood_twin_with_the_same_rules(
    rule_set, infant, early
):
    a, b = rule_set.category(infant), rule_set.category(early)
    assert (a.family, b.family) == ("infant", "early_childhood")
    assert a.rank == b.rank
    assert b.name.startswith("Early Childhood")
    assert _shape(a.requires) == _shape(b.requires)
    assert _shape(a.renewal) == _shape(b.renewal)


def test_no_category_of_either_family_lacks_its_twin():
    rule_set = default_rule_sets()[-1]
    infant = {c for c, cat in rule_set.categories.items() if cat.family == "infant"}
    early = {c for c, cat in rule_set.categories.items() if cat.family == "early_childhood"}
    assert infant == set(TWINS) and early == set(TWINS.values())


def test_rsc_eligibility_mirrors_the_infant_table_with_the_reflective_supervisor():
    elig = default_rule_sets()[-1].rsc_eligibility

    def twin(cred: str) -> str:
        base, sep, level = cred.partition(":")
        return TWINS.get(base, base) + sep + level

    for key, providers in elig.items():
        base = key.partition(":")[0]
        if base in TWINS:
            assert elig[twin(key)] == tuple(twin(p) for p in providers), key
    assert "ECFRS" in elig["ECFS:bachelor"]
    assert elig["ECFRS"] == ("ECFRS", "ECMHS", "ECMHM-C", "ERS")


def _work(families: int) -> EvidenceItem:
    details = {
        "kind": "paid_infant_family",
        "start": "2021-01-01",
        "end": None,
        "paid": True,
        "families": families,
    }
    return EvidenceItem(1, "work", D(2021, 1, 1), "verified", details=details)


def _degree() -> EvidenceItem:
    return EvidenceItem(2, "education", D(2020, 6, 1), "verified", details={"level": "bachelor"})


@pytest.mark.parametrize(
    ("code", "words"), [("IFS", "families of infants"), ("ECFS", "families of young children")]
)
def test_each_family_speaks_of_its_own_families(code, words):
    rule_set = default_rule_sets()[-1]
    areas = [AreaInfo("A1", "Area", "D", frozenset(rule_set.categories))]
    bound = bind_areas(rule_set, areas)
    summary = Summary.from_items(1, [_work(families=4), _degree()])
    result = evaluate(bound, code, summary, AS_OF)
    (work,) = (r for r in result.leaves() if r.type == "work_experience")
    assert work.figures.value >= 2
    assert work.missing == (f"Work with 6 more {words}",)
    if code == "ECFS":
        assert "young children" in work.label


def test_the_demo_framework_has_areas_for_every_early_childhood_category(defaults):
    from competencies.rulesets import bound_rule_set

    rules = bound_rule_set(defaults[-1])
    for infant, early in TWINS.items():
        ids = {a.id for a in rules.areas_for(infant)}
        assert ids and ids == {a.id for a in rules.areas_for(early)}, early
