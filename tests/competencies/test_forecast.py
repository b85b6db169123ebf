"""Forecasting readiness at the clinician's pace, and the two-year plan line."""

from __future__ import annotations

import datetime
import json

import pytest

from competencies.evaluator import add_months, evaluate
from competencies.forecast import attach, forecast, plan_line, weighted_rate
from competencies.rules import load_rule_set
from competencies.types import EvidenceItem, Summary

D = datetime.date
AS_OF = D(2025, 6, 15)
_ids = iter(range(1, 10**6))


def item(kind: str, date: D, status: str = "verified", **kw) -> EvidenceItem:
    return EvidenceItem(id=next(_ids), kind=kind, date=date, status=status, **kw)


def rsc(date: D, hours: float, provider: int = 7) -> EvidenceItem:
    details = {"format": "individual", "provider_credentials": ["IMHS"]}
    return item("rsc", date, "attested", hours=hours, provider_id=provider, details=details)


def rules(node: dict):
    return load_rule_set(
        {
            "name": "Test rules",
            "version": "1",
            "effective": "2025-01-01",
            "categories": {
                "IMHS": {"name": "Specialist", "family": "infant", "rank": 4, "requires": node}
            },
            "rsc_eligibility": {"IMHS": ["IMHS"]},
        }
    )


def project(node: dict, items, as_of: D = AS_OF):
    rs = rules(node)
    summary = Summary.from_items(1, items)
    result = evaluate(rs, "IMHS", summary, as_of)
    return result, forecast(rs, "IMHS", summary, result, as_of)


def monthly_training(months: int, hours: float, until: D = AS_OF) -> list[EvidenceItem]:
    return [item("training", add_months(until, -k), hours=hours) for k in range(months)]


def test_weighted_rate_counts_recent_months_twice():
    monthly = {"2025-06": 6.0, "2025-01": 6.0, "2024-12": 12.0, "2024-06": 100.0}
    # last six months (2025-01..06): 12 h; the six before (2024-07..12): 12 h; older ignored
    assert weighted_rate(monthly, AS_OF) == pytest.approx((2 * 12 / 6 + 12 / 6) / 3)
    assert weighted_rate({}, AS_OF) == 0


def test_training_projected_at_recent_pace():
    items = monthly_training(6, 2.0)  # 12 h in the last six months, none before
    result, fc = project({"training_hours": {"min": 20}}, items)
    [leaf] = fc.leaves
    rate = (2 * 12 / 6) / 3  # 4/3 h a month
    expected = AS_OF + datetime.timedelta(days=-(-(8 / rate) * 365.25 / 12 // 1))
    assert leaf.status == "on_pace" and leaf.date == expected
    assert fc.ready_date == leaf.date
    assert leaf.text == f"At your pace: around {expected.isoformat()}"


def test_recent_training_brings_the_date_closer_than_old_training():
    old = [item("training", add_months(AS_OF, -k), hours=2.0) for k in range(6, 12)]
    recent = monthly_training(6, 2.0)
    _, slow = project({"training_hours": {"min": 40}}, old)
    _, fast = project({"training_hours": {"min": 40}}, recent)
    assert fast.ready_date < slow.ready_date


def test_tagged_training_without_any_tagged_hours_has_no_pace():
    _, fc = project({"training_hours": {"min": 3, "tags": ["dei"]}}, monthly_training(6, 2.0))
    [leaf] = fc.leaves
    assert (leaf.status, leaf.date, fc.ready_date) == ("no_pace", None, None)
    assert fc.warnings == ("No recent training on diversity, equity & inclusion: plan one",)


def test_no_training_at_all_warns():
    _, fc = project({"training_hours": {"min": 3}}, [])
    assert fc.warnings == ("No training recorded in the last 12 months",)


def test_fixed_count_leaves_need_action_and_block_the_overall_date():
    node = {"all_of": [{"references": {}}, {"training_hours": {"min": 1}}]}
    result, fc = project(node, monthly_training(1, 2.0))
    refs, training = fc.leaves
    assert (refs.status, refs.date) == ("needs_action", None)
    assert refs.text == "Needs action: Ask 3 more people for reference ratings"
    assert (training.status, training.date) == ("met", AS_OF)
    assert fc.ready_date is None


def test_ready_clinician_is_ready_today():
    result, fc = project({"training_hours": {"min": 1}}, monthly_training(1, 2.0))
    assert result.ready and fc.ready_date == AS_OF


def test_any_of_takes_the_earliest_child():
    node = {
        "any_of": [
            {"references": {"count": 1}},
            {"training_hours": {"min": 14}},
        ]
    }
    _, fc = project(node, monthly_training(6, 2.0))
    assert fc.ready_date is not None and fc.ready_date > AS_OF


def test_rsc_projection_and_window_warning():
    first = rsc(D(2023, 8, 1), 10.0)
    recent = [rsc(add_months(D(2024, 7, 1), m), 2.5) for m in range(12)]  # 30 h, 2.5 h a month
    result, fc = project({"rsc_hours": {"min": 50, "window_months": [12, 24]}}, [first, *recent])
    [leaf] = fc.leaves
    assert result.figures.value == 40  # the window opened by the 2023 session holds the most
    # That window closes on 2025-08-01 after one more monthly session: 42.5 h. The window that
    # opened in 2024-07 reaches 50 h after eight more sessions, on 2026-02-15.
    assert fc.warnings == (
        "At this pace your RSC window closes on 2025-08-01 with 42.5 of 50 h",
        # 10 h are left and 47 days: the pace is counted from today to the window's end.
        "At 2.5 h a month you will not reach 50 h of reflective supervision before your window "
        "closes on 2025-08-01: you need 6.5 h a month",
    )
    assert leaf.status == "on_pace" and leaf.date == D(2026, 2, 15)
    assert fc.ready_date == D(2026, 2, 15)


def test_rsc_pace_too_slow_for_any_window():
    items = [rsc(add_months(D(2024, 7, 1), m), 1.0) for m in range(12)]
    _, fc = project({"rsc_hours": {"min": 50, "window_months": [12, 24]}}, items)
    [leaf] = fc.leaves
    assert (leaf.status, leaf.date, fc.ready_date) == ("no_pace", None, None)
    # The pace still needed runs from today to the day the window closes: 38 h in 12.5 months.
    assert (
        "At 1 h a month you will not reach 50 h of reflective supervision before your window "
        "closes on 2026-07-01: you need 3.1 h a month"
    ) in fc.warnings


def test_rsc_without_recent_sessions_has_no_pace():
    _, fc = project({"rsc_hours": {"min": 5, "window_months": [0, 24]}}, [rsc(D(2022, 1, 1), 1)])
    assert fc.leaves[0].status == "no_pace"
    assert fc.warnings == ("No eligible reflective supervision in the last 12 months",)


def test_areas_projected_from_the_rate_of_new_areas():
    items = [
        item("training", add_months(AS_OF, -10), hours=1, areas=frozenset({"A1"})),
        item("training", add_months(AS_OF, -2), hours=1, areas=frozenset({"A2"})),
    ]
    _, fc = project({"area_coverage": {"areas": ["A1", "A2", "A3", "A4"]}}, items)
    [leaf] = fc.leaves
    # first evidence 10 months ago, 2 areas since: 0.2 a month, 2 more need about 10 months
    assert leaf.status == "on_pace"
    assert add_months(AS_OF, 9) < leaf.date <= add_months(AS_OF, 11)


def test_work_years_accrue_in_real_time():
    job = item("work", D(2024, 6, 15), details={"kind": "dyadic_clinical", "years": 1.5})
    _, fc = project({"work_experience": {"years": 2, "kind": "dyadic_clinical"}}, [job])
    assert fc.leaves[0].status == "on_pace"
    assert add_months(AS_OF, 6) <= fc.leaves[0].date <= add_months(AS_OF, 6) + datetime.timedelta(3)
    _, none = project({"work_experience": {"years": 2, "kind": "dyadic_clinical"}}, [])
    assert none.leaves[0].status == "needs_action"


def test_membership_ending_before_readiness_warns():
    member = item("membership", D(2025, 1, 1), details={"valid_until": "2025-12-31"})
    node = {"all_of": [{"membership": {}}, {"training_hours": {"min": 30}}]}
    _, fc = project(node, [member, *monthly_training(6, 2.0)])
    assert fc.ready_date is not None and fc.ready_date > D(2025, 12, 31)
    assert fc.warnings[-1].startswith("Your membership ends on 2025-12-31, before you are")


def test_attach_puts_the_forecast_on_the_root_and_into_json():
    result, fc = project({"training_hours": {"min": 20}}, monthly_training(6, 2.0))
    root = attach(result, fc)
    assert root.forecast is fc and result.forecast is None
    out = json.loads(json.dumps(root.to_dict()))
    assert out["forecast"]["ready_date"] == fc.ready_date.isoformat()
    assert out["forecast"]["leaves"][0]["status"] == "on_pace"


def test_plan_line_reaches_the_target_after_two_years():
    points = plan_line(D(2025, 1, 31), 50)
    assert len(points) == 25
    assert (points[0].date, points[0].hours) == (D(2025, 1, 31), 0)
    assert (points[1].date, points[-1].date, points[-1].hours) == (
        D(2025, 2, 28),
        D(2027, 1, 31),
        50,
    )
    assert all(a.hours < b.hours for a, b in zip(points, points[1:], strict=False))
    assert len(plan_line(D(2025, 1, 1), 33, months=12)) == 13
    with pytest.raises(ValueError, match="months"):
        plan_line(D(2025, 1, 1), 10, months=0)
    with pytest.raises(ValueError, match="target_hours"):
        plan_line(D(2025, 1, 1), -1)
