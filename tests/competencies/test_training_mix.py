"""Composite training hours (issue 15, point 8): "48 = 30 + 15 about RSC + 3 DEI" is one
requirement, each hour counted toward one part only, allocated exactly."""

from __future__ import annotations

import datetime

import pytest

from competencies.evaluator import evaluate
from competencies.forecast import forecast
from competencies.nodes import NODE_TYPES
from competencies.rules import RuleSetError, bind_areas, default_rule_sets, load_rule_set
from competencies.types import AreaInfo, EvidenceItem, Summary

D = datetime.date
AS_OF = D(2025, 6, 1)
_ids = iter(range(1, 10**6))
MIX = {
    "training_mix": {
        "min": 48,
        "parts": [{"min": 15, "tags": ["rsc-topic"]}, {"min": 3, "tags": ["dei"]}],
    }
}


MARCH = D(2025, 3, 1)


def training(hours: float, *tags: str, date: D = MARCH, status="verified"):
    return EvidenceItem(
        next(_ids), "training", date, status, hours=hours, tags=frozenset(tags), label="T"
    )


def rules(node: dict):
    doc = {
        "name": "Test rules",
        "version": "9",
        "effective": "2020-01-01",
        "categories": {"IFRS": {"name": "Cat", "family": "infant", "rank": 3, "requires": node}},
    }
    return load_rule_set(doc)


def run(node: dict, items, as_of: D = AS_OF):
    return evaluate(rules(node), "IFRS", Summary.from_items(1, items), as_of)


def test_an_hour_counts_toward_one_part_only():
    # 16 h about both RSC and DEI cannot be 15 h about RSC *and* 3 h on DEI.
    items = [training(16, "rsc-topic", "dei"), training(32)]
    r = run(MIX, items)
    assert not r.met
    assert r.figures.value == pytest.approx(46)  # 16 to the tagged parts, 30 of the rest
    assert r.figures.target == 48
    assert r.missing == ("Complete 2 more hours of training on diversity, equity & inclusion",)


def test_the_allocation_finds_a_way_when_one_exists():
    # RSC takes the 3 h about RSC only and 12 h of the shared training; DEI takes 3 h of it.
    items = [training(15, "rsc-topic", "dei"), training(3, "rsc-topic"), training(30)]
    r = run(MIX, items)
    assert r.met, r.missing
    assert r.figures.value == pytest.approx(48)
    assert r.missing == ()


def test_tagged_hours_beyond_their_part_count_toward_the_rest():
    r = run(MIX, [training(40, "rsc-topic"), training(8, "dei")])
    assert r.met
    r = run(MIX, [training(40, "rsc-topic"), training(7, "dei")])
    assert not r.met
    assert r.missing == ("Complete 1 more hour of training",)


def test_nothing_yet_asks_for_every_part():
    r = run(MIX, [training(2, "dei", status="pending")])
    assert r.status == "not_started"
    assert r.missing == (
        "Complete 15 more hours of training on reflective supervision",
        "Complete 3 more hours of training on diversity, equity & inclusion",
        "Complete 30 more hours of training on any topic",
    )
    assert [nc.reason.split(": ", 1)[1] for nc in r.not_counted] == ["not yet verified"]


def test_the_shipped_rules_use_one_composite_requirement_where_the_domain_says_so():
    rule_set = default_rule_sets()[-1]
    for code in ("IFRS", "IMHM-C", "IMHM-P", "IMHM-R"):
        leaves = [n for n in rule_set.category(code).requires.walk() if not n.children]
        mixes = [n for n in leaves if n.type == "training_mix"]
        assert len(mixes) == 1, code
        assert not [n for n in leaves if n.type == "training_hours"], code
    (ifrs,) = (n for n in rule_set.category("IFRS").requires.walk() if n.type == "training_mix")
    assert ifrs.params["min"] == 48
    areas = [AreaInfo("A1", "Area", "D", frozenset(rule_set.categories))]
    bound = bind_areas(rule_set, areas)
    summary = Summary.from_items(1, [training(16, "rsc-topic", "dei"), training(32)])
    result = evaluate(bound, "IFRS", summary, AS_OF)
    (leaf,) = (r for r in result.leaves() if r.type == "training_mix")
    assert not leaf.met and leaf.figures.value == pytest.approx(46)
    # the hours chart's training series aims at the composite requirement's 48 h
    assert NODE_TYPES["training_mix"].chart(result, summary) is None
    assert NODE_TYPES["training_hours"].chart(result, summary).target == 48


def test_forecast_projects_the_tagged_part_at_its_own_pace():
    items = [training(2, "rsc-topic", date=D(2025, m, 1)) for m in range(1, 6)]
    items += [training(40, date=D(2025, 1, 2)), training(3, "dei", date=D(2025, 1, 3))]
    rs = rules(MIX)
    summary = Summary.from_items(1, items)
    result = evaluate(rs, "IFRS", summary, AS_OF)
    assert result.missing == ("Complete 5 more hours of training on reflective supervision",)
    fc = forecast(rs, "IFRS", summary, result, AS_OF)
    (leaf,) = fc.leaves
    assert leaf.status == "on_pace" and leaf.date > AS_OF
    old = Summary.from_items(1, [training(48, date=D(2023, 1, 1))])
    stale = evaluate(rs, "IFRS", old, AS_OF)
    (leaf,) = forecast(rs, "IFRS", old, stale, AS_OF).leaves
    assert leaf.status == "no_pace" and leaf.date is None


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({"min": 10, "parts": [{"min": 15, "tags": ["dei"]}]}, "parts", "add up to 15 h"),
        ({"min": 10, "parts": []}, "parts", "must not be empty"),
        ({"min": 10, "parts": [{"min": 1}]}, "parts[0].tags", "is required"),
        ({"min": 10, "parts": [{"min": 1, "tags": ["dei"], "x": 1}]}, "parts[0].x", "unknown"),
    ],
)
def test_bad_composite_requirements_are_refused_with_their_path(body, where, message):
    with pytest.raises(RuleSetError) as caught:
        rules({"training_mix": body})
    assert any(
        p.where.endswith(f"training_mix.{where}") and message in p.message
        for p in caught.value.errors
    ), caught.value.errors


def test_summary_keeps_counted_hours_by_tag_set():
    s = Summary.from_items(
        1,
        [
            training(2, "dei", "rsc-topic"),
            training(3, "dei"),
            training(1),
            training(4, status="pending"),
        ],
    )
    assert s.training_by_tags == {"dei,rsc-topic": 2.0, "dei": 3.0, "": 1.0}


def test_build_summaries_keeps_the_same_hours_by_tag_set(clinician, association, add_evidence):
    from competencies.summaries import build_summaries

    add_evidence(clinician, hours=2, tags=["rsc-topic", "dei"])
    add_evidence(clinician, hours=3, tags=["dei"], days_ago=40)
    add_evidence(clinician, hours=1.5)
    add_evidence(clinician, hours=9, status="pending")
    summary = build_summaries(as_of=datetime.date.today(), clinician_ids=[clinician.id])
    assert summary[clinician.id].training_by_tags == {"dei,rsc-topic": 2.0, "dei": 3.0, "": 1.5}
