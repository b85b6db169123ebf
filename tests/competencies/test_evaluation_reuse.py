"""The forecast reads what the evaluation worked out, and nothing else is reused (pure engine)."""

from __future__ import annotations

import dataclasses

from competencies.evaluator import evaluate, evaluation_context
from competencies.forecast import forecast
from competencies.types import Summary
from tests.competencies.rulekit import AS_OF, D, item, rsc, rules

NODE = {
    "all_of": [
        {"training_hours": {"min": 20}},
        {"rsc_hours": {"min": 24, "window_months": [12, 24]}},
    ]
}
ITEMS = [
    *(rsc(D(2024 + (m > 12), (m - 1) % 12 + 1, 3), hours=1.5) for m in range(7, 18)),
    rsc(D(2024, 9, 9), hours=2.0, provider=8),
    rsc(D(2024, 7, 1), status="pending"),
    item("training", D(2025, 2, 1), hours=6),
]


def test_the_forecast_walks_the_context_the_evaluation_made():
    rs, summary = rules(NODE), Summary.from_items(1, ITEMS)
    result = evaluate(rs, "IMHS", summary, AS_OF)
    ctx = evaluation_context(rs, rs.category("IMHS"), summary, AS_OF)
    assert [key[0] for key in ctx.memo] == ["rsc_hours"]  # the window the evaluation found
    reused = forecast(rs, "IMHS", summary, result, AS_OF)
    # The same forecast from a copy of the summary, whose context starts empty.
    copy = dataclasses.replace(summary)
    assert evaluation_context(rs, rs.category("IMHS"), copy, AS_OF) is not ctx
    assert forecast(rs, "IMHS", copy, evaluate(rs, "IMHS", copy, AS_OF), AS_OF) == reused
    assert reused.ready_date is not None


def test_another_date_summary_or_rule_set_gets_a_context_of_its_own():
    rs, summary = rules(NODE), Summary.from_items(1, ITEMS)
    cat = rs.category("IMHS")
    ctx = evaluation_context(rs, cat, summary, AS_OF)
    assert evaluation_context(rs, cat, summary, AS_OF) is ctx
    assert evaluation_context(rs, cat, summary, D(2025, 1, 1)) is not ctx
    later = evaluation_context(rs, cat, summary, D(2025, 1, 1))
    assert [it.date for it in later.by_kind["training"]] == []  # dated after 1 January
    assert evaluation_context(rules(NODE), cat, summary, AS_OF) is not later
    renewal = evaluation_context(rs, cat, summary, AS_OF, start=D(2025, 1, 1))
    assert renewal.period_end == AS_OF and renewal is not ctx


def test_evaluating_twice_gives_the_same_tree():
    rs, summary = rules(NODE), Summary.from_items(1, ITEMS)
    first = evaluate(rs, "IMHS", summary, AS_OF)
    again = evaluate(rs, "IMHS", summary, AS_OF)  # the window read from the context's memo
    assert again == first
    rsc_leaf = first.children[1]
    assert [nc.reason.split(": ", 1)[1] for nc in rsc_leaf.not_counted] == [
        "not yet attested by the provider"
    ]
