"""Migration 0006: older single-date work rows become periods, counting the same years."""

from __future__ import annotations

import datetime as dt
import importlib

from competencies.evaluator import evaluate
from competencies.models import Evidence
from competencies.rules import load_rule_set
from competencies.summaries import build_summaries
from lms.db import db

migration = importlib.import_module("competencies.migrations.0006_work_periods")
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
                "requires": {"work_experience": {"years": 3, "kind": "dyadic_clinical"}},
            }
        },
    }
)


def _years(clinician_id: int) -> float:
    today = dt.date.today()
    summary = build_summaries(as_of=today, clinician_ids=[clinician_id])[clinician_id]
    return evaluate(RULES, "IMHS", summary, today).figures.value


def test_old_work_rows_get_a_period_that_counts_the_same_years(clinician, add_evidence):
    old = add_evidence(
        clinician, "work", days_ago=100, details={"kind": "dyadic_clinical", "years": 1.5}
    )
    other = add_evidence(
        clinician,
        "work",
        days_ago=5,
        details={"kind": "leadership", "start": "2020-01-01", "end": None, "paid": False},
    )
    before = _years(clinician.id)
    migration.up(None, db)
    row = Evidence.get_by_id(old.id)
    end = old.occurred_on
    assert row.details["end"] == end.isoformat()
    assert row.details["start"] == migration.period_of(end, 1.5)[0].isoformat()
    assert row.details["paid"] is True and row.details["years"] == 1.5
    assert _years(clinician.id) == before == 1.5
    # a row that already is a period is left as it was; a second run changes nothing
    assert Evidence.get_by_id(other.id).details == other.details
    migration.up(None, db)
    assert Evidence.get_by_id(old.id).details == row.details


def test_the_migrated_period_has_the_recorded_length():
    start, end = migration.period_of(dt.date(2025, 3, 31), 1.5)
    assert (start, end) == (dt.date(2023, 10, 1), dt.date(2025, 3, 31))
    start, end = migration.period_of(dt.date(2025, 3, 31), 2)
    assert start == dt.date(2023, 4, 1)
