"""What-if portfolios carry work periods (issue 15, point 7); older documents still load."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from competencies.evaluator import evaluate
from competencies.portfolio import PortfolioError, parse_portfolio, parse_portfolio_text
from competencies.rules import load_rule_set
from competencies.types import Summary

RULES = load_rule_set(
    {
        "name": "T",
        "version": "1",
        "effective": "2020-01-01",
        "categories": {
            "IMHS": {
                "name": "C",
                "family": "infant",
                "rank": 4,
                "requires": {
                    "work_experience": {"years": 2, "kind": "dyadic_clinical", "paid": True}
                },
            }
        },
    }
)
AS_OF = dt.date(2025, 6, 1)


def _years(portfolio) -> float:
    summary = Summary.from_items(0, portfolio.items, end=AS_OF)
    return evaluate(RULES, "IMHS", summary, AS_OF).figures.value


def test_a_work_period_needs_no_date_of_its_own():
    text = """
evidence:
  - kind: work
    label: Home visitor, county CMH
    details: {kind: dyadic_clinical, start: 2023-01-01, end: 2023-12-31, paid: true,
              post_degree: true, families: 12}
  - kind: work
    details: {kind: dyadic_clinical, start: "2023-07-01"}
"""
    portfolio = parse_portfolio_text(text)
    first, ongoing = portfolio.items
    assert first.date == dt.date(2023, 1, 1)
    assert first.details == {
        "kind": "dyadic_clinical",
        "start": "2023-01-01",
        "end": "2023-12-31",
        "paid": True,
        "post_degree": True,
        "families": 12,
    }
    assert ongoing.details["end"] is None  # no end: still going on
    assert _years(portfolio) == pytest.approx(2 + 5 / 12, abs=0.01)  # overlap counted once


def test_an_older_single_date_work_item_still_loads_and_counts():
    doc = {
        "evidence": [
            {
                "kind": "work",
                "date": "2025-01-01",
                "details": {"kind": "dyadic_clinical", "years": 2.5, "families": 3},
            }
        ]
    }
    portfolio = parse_portfolio(json.loads(json.dumps(doc)))
    assert _years(portfolio) == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("details", "where", "message"),
    [
        ({"kind": "dyadic_clinical", "start": "2023-02-30"}, "start", "not a real date"),
        ({"kind": "dyadic_clinical", "start": "2024-01-01", "end": "2023-01-01"}, "end", "before"),
        ({"kind": "dyadic_clinical", "start": "2024-01-01", "paid": "yes"}, "paid", "true or"),
        ({"kind": "dyadic_clinical", "start": "2024-01-01", "post_degree": 1}, "post_degree", ""),
        ({"kind": "volunteering", "start": "2024-01-01"}, "kind", "unpaid_infant_family"),
        ({"kind": "unpaid_infant_family", "start": "2024-01-01", "paid": True}, "paid", "unpaid"),
        ({"kind": "dyadic_clinical"}, "start", "a start date"),
    ],
)
def test_bad_work_fields_are_named_and_nothing_is_read(details, where, message):
    with pytest.raises(PortfolioError) as caught:
        parse_portfolio({"evidence": [{"kind": "work", "details": details}]})
    problems = {p.where: p.message for p in caught.value.errors}
    assert f"evidence[0].details.{where}" in problems, problems
    assert message in problems[f"evidence[0].details.{where}"]
