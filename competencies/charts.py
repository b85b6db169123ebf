"""Build the data of the small server-side SVG chart: hours over time against the plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from competencies.evaluator import Result, add_months
from competencies.forecast import plan_line
from competencies.types import COUNTED, Summary

WIDTH, HEIGHT, PAD = 640, 220, 36


@dataclass(frozen=True)
class Chart:
    """Polyline points (SVG coordinates), axis labels and a plain-text description."""

    training: str
    rsc: str
    plan: str
    y_max: float
    x_labels: tuple[tuple[float, str], ...]
    description: str
    width: int = WIDTH
    height: int = HEIGHT


def _target(result: Result, node_type: str) -> float:
    targets = [
        leaf.figures.target
        for leaf in result.leaves()
        if leaf.type == node_type and leaf.figures is not None
    ]
    return max(targets, default=0.0)


def hours_chart(result: Result, summary: Summary, started_on: dt.date, as_of: dt.date) -> Chart:
    """Return cumulative training and RSC hours by month since the start, and the plan line."""
    months = max(24, (as_of.year - started_on.year) * 12 + as_of.month - started_on.month + 1)
    first = started_on.replace(day=1)
    training_by_month = dict(summary.training_monthly)
    rsc_by_month: dict[str, float] = {}
    for item in summary.items:
        if item.kind == "rsc" and item.status in COUNTED:
            key = f"{item.date.year:04d}-{item.date.month:02d}"
            rsc_by_month[key] = rsc_by_month.get(key, 0.0) + item.hours
    before = sum(h for k, h in training_by_month.items() if k < first.strftime("%Y-%m"))
    rsc_before = sum(h for k, h in rsc_by_month.items() if k < first.strftime("%Y-%m"))
    target = _target(result, "training_hours") + _target(result, "rsc_hours")
    plan = plan_line(first, target, 24)
    cum_t, cum_r = before, rsc_before
    t_points, r_points = [], []
    elapsed = min(months, (as_of.year - first.year) * 12 + as_of.month - first.month + 1)
    for m in range(elapsed):
        key = add_months(first, m).strftime("%Y-%m")
        cum_t += training_by_month.get(key, 0.0)
        cum_r += rsc_by_month.get(key, 0.0)
        t_points.append((m, cum_t))
        r_points.append((m, cum_r))
    y_max = max([target, cum_t, cum_r, 1.0]) * 1.1

    def xy(m: float, h: float) -> str:
        x = PAD + (WIDTH - 2 * PAD) * m / months
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * h / y_max
        return f"{x:.1f},{y:.1f}"

    labels = tuple(
        (PAD + (WIDTH - 2 * PAD) * m / months, add_months(first, m).strftime("%Y-%m"))
        for m in range(0, months + 1, 6)
    )
    expected_now = target * min(elapsed, 24) / 24
    description = (
        f"Since {first:%B %Y}: {cum_t:g} h of counted training and {cum_r:g} h of attested "
        f"reflective supervision. An even two-year plan to {target:g} h expects about "
        f"{expected_now:.0f} h by now."
    )
    return Chart(
        training=" ".join(xy(m, h) for m, h in t_points),
        rsc=" ".join(xy(m, h) for m, h in r_points),
        plan=" ".join(xy(i, p.hours) for i, p in enumerate(plan)),
        y_max=y_max,
        x_labels=labels,
        description=description,
    )
