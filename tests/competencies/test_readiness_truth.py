"""Readiness that tells the truth (issue 16.7): every bucket but "ready" comes with the flags
that put the row there, and flags speak of the clinician by name to the coordinator."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from competencies import readiness, readiness_rows
from competencies.phrasing import about
from lms.models import Association

# What puts a row in its bucket, as its flags say it (README "Readiness buckets").
STALLED_FLAGS = re.compile(r"^(No evidence|No .* in the last 12 months|No recent|No pace)")


@pytest.fixture
def report(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    association = Association.get(Association.code == "DEMO")
    return readiness.association_report(association, dt.date.today(), per_page=200)


def test_every_row_at_risk_or_stalled_says_why_in_its_flags(report):
    assert any(
        r.status in (readiness_rows.AT_RISK, readiness_rows.STALLED) for r in report.matching
    )
    for row in report.matching:
        if row.status == readiness_rows.READY:
            assert row.flags == ()
            continue
        if row.status in (readiness_rows.AT_RISK, readiness_rows.STALLED):
            assert row.flags, f"{row.name} is {row.status} without a flag saying why"
        if row.status == readiness_rows.STALLED:
            assert any(STALLED_FLAGS.match(f) for f in row.flags), (row.name, row.flags)
        if row.status == readiness_rows.AT_RISK:
            assert not any(f.startswith("No evidence") for f in row.flags), row.flags


def test_flags_name_the_clinician_not_you(report):
    flags = [(r.name, f) for r in report.matching for f in r.flags]
    assert flags
    for _name, flag in flags:
        assert not re.search(r"\byour?\b", flag, re.I), flag
    windows = [(n, f) for n, f in flags if "RSC window closes" in f]
    assert windows, "the demo has a clinician whose RSC window closes short"
    for name, flag in windows:
        assert f"{name}'s RSC window closes" in flag


def test_a_row_past_the_two_year_plan_is_at_risk_and_says_so():
    as_of = dt.date(2026, 6, 1)
    status = readiness_rows.bucket(
        ready=False,
        projected=dt.date(2028, 3, 1),
        started_on=dt.date(2025, 1, 1),
        warnings=(),
        last_evidence_on=dt.date(2026, 5, 1),
        as_of=as_of,
    )
    assert status == readiness_rows.AT_RISK
    why = readiness_rows.why_flags(
        status, projected=dt.date(2028, 3, 1), started_on=dt.date(2025, 1, 1), flags=()
    )
    assert why == ("Projected 2028-03-01, after the two-year plan (2027-01-01)",)


def test_phrasing_for_the_coordinator():
    assert about("Maya Chen", "At this pace your RSC window closes on 2027-11-02") == (
        "At this pace Maya Chen's RSC window closes on 2027-11-02"
    )
    assert about("Maya Chen", "At 1 h a month you cannot reach 50 h") == (
        "At 1 h a month Maya Chen cannot reach 50 h"
    )
    assert about("Maya Chen", "Your membership ends before you are projected to be ready") == (
        "Maya Chen's membership ends before Maya Chen is projected to be ready"
    )
    # Only the text is rephrased, never the name put in it.
    assert about("You Li", "Your window closes; you need 2 h") == (
        "You Li's window closes; You Li needs 2 h"
    )
    assert about("  ", "you have 3 h") == "the clinician has 3 h"
    assert about("Maya Chen", "No training recorded") == "No training recorded"


@pytest.mark.parametrize(
    ("warnings", "expected"),
    [
        # Moving, but too slowly to make it: the warning says so, the row is at risk.
        (("At 1.6 h a month you cannot reach 50 h of reflective supervision",), "at risk"),
        # Nothing recent to go on: stalled, and the warning says which requirement.
        (("No training recorded in the last 12 months",), "stalled"),
        (
            ("No eligible reflective supervision in the last 12 months", "At 1 h a month x"),
            "stalled",
        ),
        ((), "stalled"),
    ],
)
def test_no_projected_date_is_stalled_only_without_a_pace(warnings, expected):
    as_of = dt.date(2026, 6, 1)
    status = readiness_rows.bucket(
        ready=False,
        projected=None,
        started_on=dt.date(2025, 1, 1),
        warnings=warnings,
        last_evidence_on=dt.date(2026, 5, 20),
        as_of=as_of,
    )
    assert status == expected
