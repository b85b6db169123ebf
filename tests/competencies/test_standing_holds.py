"""Kept rows know how long they hold: a new day makes stale only the rows whose day has come."""

from __future__ import annotations

import datetime as dt

import pytest
from playhouse.test_utils import count_queries

from tests.competencies.conftest import TODAY

D = dt.date(2026, 3, 10)  # a day in the middle of a month, for the pure tests


def _item(id_, kind, day, status="verified", **kw):
    from competencies.types import EvidenceItem

    return EvidenceItem(id=id_, kind=kind, date=day, status=status, **kw)


@pytest.fixture
def rules(defaults):
    from competencies.rulesets import bound_rule_set

    return bound_rule_set(defaults[-1])


def _holds(rules, category, items, as_of=D):
    from competencies import holds
    from competencies.pathways import evaluate_with
    from competencies.rulesets import bound_rule_set
    from competencies.types import Summary

    summary = Summary.from_items(1, items, end=as_of)
    result = evaluate_with(_row_of(rules), category, summary, as_of)
    return holds.holds_until(bound_rule_set(_row_of(rules)), category, summary, result, as_of)


def _row_of(rules):
    from competencies.models import RuleSet

    return RuleSet.get((RuleSet.version == rules.version) & RuleSet.association.is_null())


def test_an_evaluation_holds_until_the_next_month_at_most(rules):
    items = [_item(1, "training", D - dt.timedelta(days=40), hours=10.0)]
    assert _holds(rules, "IFA", items) == dt.date(2026, 4, 1)
    assert _holds(rules, "IFA", items, as_of=dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)


def test_a_membership_ending_stales_the_day_after(rules):
    ends = D + dt.timedelta(days=3)
    items = [_item(1, "membership", D - dt.timedelta(days=300), details={"valid_until": str(ends)})]
    assert _holds(rules, "IFA", items) == ends + dt.timedelta(days=1)
    assert _holds(rules, "IFA", items, as_of=ends) == ends + dt.timedelta(days=1)
    # An unreadable end date changes nothing with the day.
    bad = [_item(1, "membership", D, details={"valid_until": "soon"})]
    assert _holds(rules, "IFA", bad) == dt.date(2026, 4, 1)


def test_an_exam_retake_date_stales_the_row(rules):
    from competencies.evaluator import add_months

    failed = D - dt.timedelta(days=360)
    items = [_item(1, "exam", failed, details={"score": 50})]
    retake = add_months(failed, rules.exam.retake_after_months)
    assert D < retake < dt.date(2026, 4, 1)
    assert _holds(rules, "IMHM-P", items) == retake


def test_a_supervision_window_closing_stales_the_row(rules):
    from competencies.evaluator import add_months

    first = dt.date(2024, 3, 20)  # 24 months later: 2026-03-20, inside D's month
    items = [
        _item(1, "rsc", first, status="attested", hours=2.0, provider_id=7),
        _item(2, "rsc", dt.date(2025, 6, 1), status="attested", hours=2.0, provider_id=7),
    ]
    assert _holds(rules, "IMHS", items) == add_months(first, 24)


def test_a_node_type_may_answer_for_itself(rules, monkeypatch):
    from competencies import holds
    from competencies.nodes import NODE_TYPES

    items = [_item(1, "training", D - dt.timedelta(days=40), hours=10.0)]
    monkeypatch.setattr(
        NODE_TYPES["training_hours"],
        "holds_until",
        lambda node, res, ctx: D + dt.timedelta(2),
        raising=False,
    )
    assert _holds(rules, "IFA", items) == D + dt.timedelta(days=2)
    monkeypatch.delattr(NODE_TYPES["training_hours"], "holds_until")
    monkeypatch.delitem(holds.BUILT_IN, "training_hours")  # a type nobody answers for
    assert _holds(rules, "IFA", items) == D + dt.timedelta(days=1)


def test_the_report_thresholds_stale_the_row_when_its_bucket_turns():
    from competencies.readiness_rows import row_holds_until

    common = {"evidence_ahead": None, "next_edition": None, "as_of": D, "status": "on track"}
    far = dt.date(2026, 4, 1)
    # No evidence for 6 months on 2026-03-15: stalled from that day.
    assert row_holds_until(
        evaluation_holds=far,
        ready=False,
        projected=None,
        last_evidence_on=dt.date(2025, 9, 15),
        **common,
    ) == dt.date(2026, 3, 15)
    # Projected for 2026-06-20: within 3 months from 2026-03-20.
    assert row_holds_until(
        evaluation_holds=far,
        ready=False,
        projected=dt.date(2026, 6, 20),
        last_evidence_on=D,
        **common,
    ) == dt.date(2026, 3, 20)
    # Evidence dated ahead counts on its day; the next rule-set edition too.
    assert row_holds_until(
        evaluation_holds=far,
        ready=True,
        projected=None,
        last_evidence_on=D,
        evidence_ahead=D + dt.timedelta(days=5),
        next_edition=D + dt.timedelta(days=9),
        as_of=D,
        status="ready",
    ) == D + dt.timedelta(days=5)
    # A stalled row stays stalled until new evidence: its projected date does not matter.
    stalled = {**common, "status": "stalled"}
    assert (
        row_holds_until(
            evaluation_holds=far,
            ready=False,
            projected=dt.date(2026, 6, 20),
            last_evidence_on=dt.date(2025, 1, 1),
            **stalled,
        )
        == far
    )
    # Projected today: the row holds for today only.
    assert row_holds_until(
        evaluation_holds=far, ready=False, projected=D, last_evidence_on=D, **common
    ) == D + dt.timedelta(days=1)


def test_is_current_reads_the_day_span():
    from competencies import standing

    row = (3, 3, "2026-03-10", "2026-04-01", "b")
    assert standing.is_current(row, "2026-03-10", "b")
    assert standing.is_current(row, "2026-03-31", "b")
    assert not standing.is_current(row, "2026-04-01", "b")
    assert not standing.is_current(row, "2026-03-09", "b")  # kept for a later day
    assert not standing.is_current((4, 3, *row[2:]), "2026-03-10", "b")  # ledger written
    assert not standing.is_current(row, "2026-03-10", "other basis")
    old = (3, 3, dt.date(2026, 3, 10), None, "b")  # kept before valid_until existed
    assert standing.is_current(old, "2026-03-10", "b")
    assert not standing.is_current(old, "2026-03-11", "b")


# Two consecutive days of one month around today: the day a row is computed, and the next.
FIRST, NEXT = (
    (TODAY, TODAY + dt.timedelta(days=1))
    if TODAY.day == 1
    else (TODAY - dt.timedelta(days=1), TODAY)
)


@pytest.fixture
def any_day(monkeypatch):
    """Let the report keep and read rows for any day (it does so for today only)."""
    from competencies import standing
    from lms.db import db

    monkeypatch.setattr(standing, "may_keep", lambda as_of: not db.in_transaction())


def _report(association, as_of):
    from competencies.readiness import association_report

    return association_report(association, as_of, per_page=200)


def test_a_row_holding_until_next_month_is_still_current_the_next_day(cohort, association, any_day):
    from competencies.models import Pathway, Standing

    first = _report(association, FIRST)
    ready = Pathway.get(Pathway.clinician == cohort["ready"])
    kept = Standing.get_by_id(ready.id)
    assert kept.as_of == FIRST and kept.valid_until > NEXT
    with count_queries() as counter:
        again = _report(association, NEXT)
    assert Standing.get_by_id(ready.id).as_of == FIRST  # read as kept, not evaluated again
    by_name = {r.name: r for r in again.matching}
    assert by_name["Ana Ready"] == {r.name: r for r in first.matching}["Ana Ready"]
    assert all(s.valid_until > NEXT for s in Standing.select())
    assert counter.count <= 3  # nothing evaluated: pathways with kept rows, rule sets


def test_a_row_whose_membership_ends_is_stale_the_next_day(
    make_ifa, association, any_day, monkeypatch
):
    from competencies.models import Pathway, Standing

    monkeypatch.setattr("tests.competencies.conftest.TODAY", FIRST)
    ending = make_ifa("Hal Ending", trainings=((30, 30),), member_until=FIRST.isoformat())
    pathway = Pathway.get(Pathway.clinician == ending)
    row = {r.name: r for r in _report(association, FIRST).matching}["Hal Ending"]
    assert row.ready
    kept = Standing.get_by_id(pathway.id)
    assert kept.as_of == FIRST and kept.valid_until == NEXT
    after = {r.name: r for r in _report(association, NEXT).matching}["Hal Ending"]
    assert not after.ready  # evaluated again: the membership ended
    assert Standing.get_by_id(pathway.id).as_of == NEXT


def test_a_refresh_evaluates_only_rows_whose_day_has_come(cohort, association, any_day):
    from competencies.models import Standing
    from competencies.readiness import refresh

    assert refresh(association, FIRST) == 7
    due = Standing.select().where(Standing.valid_until <= NEXT).count()
    assert refresh(association, NEXT) == 7  # every open pathway is current afterwards
    assert Standing.select().where(Standing.as_of == NEXT).count() == due


def test_work_going_on_stales_the_row_before_it_is_enough(rules):
    from competencies.nodes import NODE_TYPES

    assert set(NODE_TYPES) <= set(__import__("competencies.holds").holds.BUILT_IN)
    started = D - dt.timedelta(days=300)
    ongoing = [
        _item(1, "work", started, details={"kind": "paid_infant_family", "start": str(started)})
    ]
    # Two years from 2025-05-14: met on 2027-05-14.
    day = _holds(rules, "IFA", ongoing, as_of=dt.date(2027, 4, 1))
    assert day == dt.date(2027, 5, 1)  # not met before the month ends
    near = _holds(rules, "IFA", ongoing, as_of=dt.date(2027, 5, 2))
    assert dt.date(2027, 5, 2) < near <= dt.date(2027, 5, 14)
    ended = [
        _item(
            1,
            "work",
            started,
            details={"kind": "paid_infant_family", "start": str(started), "end": str(D)},
        )
    ]
    assert _holds(rules, "IFA", ended, as_of=dt.date(2027, 5, 2)) == dt.date(2027, 6, 1)
