"""The what-if portfolio is validated by pydantic models, and its problems read as they always
have: unknown keys first, then each field in turn, each item's problems together, in order."""

import datetime as dt

import pytest

from competencies.portfolio import PortfolioError, parse_portfolio


def _problems(doc):
    with pytest.raises(PortfolioError) as caught:
        parse_portfolio(doc)
    return [(p.where, p.message) for p in caught.value.errors]


def test_problems_are_listed_unknown_keys_first_then_field_by_field():
    doc = {
        "zeta": 1,
        "alpha": 2,
        "category": 3,
        "evidence": [
            {"kind": "training", "hours": -1, "status": None, "zzz": 1, "aaa": 2},
            {"kind": "vacation", "hours": "x", "bbb": 1},
            None,
        ],
    }
    assert _problems(doc) == [
        ("alpha", "unknown key"),
        ("zeta", "unknown key"),
        ("category", "write the category code as text, e.g. IMHS"),
        ("evidence[0].aaa", "unknown key"),
        ("evidence[0].zzz", "unknown key"),
        ("evidence[0].date", "write the date as YYYY-MM-DD"),
        ("evidence[0].hours", "-1 is negative; hours are zero or more"),
        ("evidence[0].status", "None is not a ledger status"),
        ("evidence[1].bbb", "unknown key"),
        (
            "evidence[1].kind",
            "'vacation' is not one of agreement, education, exam, "
            "membership, reference, rsc, training, work",
        ),
        ("evidence[2]", "each item is an object"),
    ]


def test_a_work_item_without_date_or_readable_period_names_both():
    doc = {"evidence": [{"kind": "work", "details": None}, {"kind": "work", "details": {}}]}
    assert _problems(doc) == [
        ("evidence[0].date", "write the date as YYYY-MM-DD"),
        ("evidence[0].details", "details is an object"),
        ("evidence[0].details.start", "a work period needs a start date (YYYY-MM-DD)"),
        ("evidence[1].date", "write the date as YYYY-MM-DD"),
        ("evidence[1].details.start", "a work period needs a start date (YYYY-MM-DD)"),
    ]


def test_unpaid_work_marked_paid_is_named_after_the_other_period_problems():
    details = {
        "kind": "unpaid_infant_family",
        "start": "2024-01-01",
        "paid": True,
        "post_degree": 2,
    }
    assert _problems({"evidence": [{"kind": "work", "details": details}]}) == [
        ("evidence[0].details.post_degree", "write true or false"),
        ("evidence[0].details.paid", "unpaid work cannot be paid; choose another kind"),
    ]


def test_a_good_portfolio_reads_as_before():
    doc = {
        "category": "IMHS",
        "as_of": "2026-11-01",
        "evidence": [
            {
                "kind": "rsc",
                "date": "2025-04-02",
                "hours": "1.5",
                "provider": "A. Rivera",
                "areas": [" TF-PREG ", " "],
                "details": {"format": "individual"},
            },
            {
                "kind": "work",
                "label": "Home visitor",
                "provider": "A. Rivera",
                "details": {"kind": "dyadic_clinical", "start": dt.date(2021, 9, 1), "paid": True},
            },
            {"kind": "work", "date": "2025-01-01", "details": {"years": 2.5}},
        ],
    }
    portfolio = parse_portfolio(doc)
    assert (portfolio.category, portfolio.as_of) == ("IMHS", dt.date(2026, 11, 1))
    rsc, period, older = portfolio.items
    assert (rsc.status, rsc.hours, rsc.areas, rsc.provider_id) == (
        "attested",
        1.5,
        frozenset({"TF-PREG"}),
        1,
    )
    assert rsc.details == {"provider_name": "A. Rivera", "format": "individual"}
    assert (period.date, period.status, period.provider_id) == (dt.date(2021, 9, 1), "verified", 1)
    assert period.details["start"] == "2021-09-01" and period.details["end"] is None
    assert older.details == {"years": 2.5}  # no period: no start or end added
