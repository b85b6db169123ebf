"""Project when a clinician will be ready, at their recent pace (pure).

`forecast` returns a Forecast separately; `attach(result, forecast)` puts it on the root
Result (``result.forecast``) so dashboards and `Result.to_dict()` carry it along.

Pace: the recent 6 months weigh twice as much as the 6 months before them. Training uses
`training_monthly`; RSC uses the dates and hours of eligible sessions; areas use the areas
covered per month since the first evidence. Requirements met by a single act (education,
references, exam, membership, agreement) get no date: they "need action". Each node type
projects its own nodes (``NODE_TYPES[node.type].forecast``, see `competencies.nodes`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from competencies.evaluator import Result, add_months, evaluation_context
from competencies.nodes import NODE_TYPES
from competencies.nodes.base import (
    DAYS_PER_MONTH,
    HORIZON_MONTHS,
    NEEDS_ACTION,
    NO_PACE,
    ON_PACE,
    LeafForecast,
    weighted_rate,
)
from competencies.nodes.membership import valid_until
from competencies.nodes.result import replaced
from competencies.rules import Node, RuleSet
from competencies.types import Summary

__all__ = [
    "DAYS_PER_MONTH",
    "HORIZON_MONTHS",
    "MET",
    "NEEDS_ACTION",
    "NO_PACE",
    "ON_PACE",
    "Forecast",
    "Forecaster",
    "LeafForecast",
    "PlanPoint",
    "attach",
    "forecast",
    "plan_line",
    "weighted_rate",
]
MET = "met"
_TYPES = dict(NODE_TYPES)


@dataclass(frozen=True)
class Forecast:
    """Projected readiness: a date per leaf, the overall date and plain-language warnings."""

    as_of: datetime.date
    ready_date: datetime.date | None  # None when some needed leaf has no pace
    leaves: tuple[LeafForecast, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "as_of": self.as_of.isoformat(),
            "ready_date": self.ready_date.isoformat() if self.ready_date else None,
            "leaves": [
                {
                    "path": f.path,
                    "type": f.type,
                    "label": f.label,
                    "status": f.status,
                    "date": f.date.isoformat() if f.date else None,
                    "text": f.text,
                }
                for f in self.leaves
            ],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class PlanPoint:
    """One point of a plan line: the hours to have reached by a date."""

    date: datetime.date
    hours: float


class Forecaster:
    """Walk a result with its requirement graph; each node type projects its own nodes."""

    def __init__(self, rule_set: RuleSet, category: str, summary: Summary, as_of: datetime.date):
        self.rule_set = rule_set
        self.cat = rule_set.category(category)
        self.summary = summary
        self.as_of = as_of
        self.ctx = evaluation_context(rule_set, self.cat, summary, as_of)
        self.leaves: list[LeafForecast] = []
        self.warnings: list[str] = []

    def node(self, node: Node, res: Result) -> datetime.date | None:
        """Return the projected date a node is met, recording leaf forecasts on the way."""
        if not node.children and res.status == MET:
            # leaf_forecast and record, inline: most leaves of a report's trees are met.
            met = LeafForecast(node.path, node.type, res.label, MET, self.as_of, "Met")
            self.leaves.append(met)
            return self.as_of
        return _TYPES[node.type].forecast(self, node, res)

    def record(self, leaf: LeafForecast) -> datetime.date | None:
        """Keep a leaf's forecast; return its date."""
        self.leaves.append(leaf)
        return leaf.date


def forecast(
    rule_set: RuleSet,
    category: str,
    summary: Summary,
    result: Result,
    as_of: datetime.date,
) -> Forecast:
    """Project when each unmet requirement, and the whole category, will be met."""
    fc = Forecaster(rule_set, category, summary, as_of)
    ready = fc.node(fc.cat.requires, result)
    until = valid_until(fc.ctx)
    if ready is not None and until is not None and as_of <= until < ready:
        fc.warnings.append(
            f"Your membership ends on {until.isoformat()}, before you are projected to be "
            f"ready ({ready.isoformat()}): renew it"
        )
    return Forecast(as_of, ready, tuple(fc.leaves), tuple(dict.fromkeys(fc.warnings)))


def attach(result: Result, fc: Forecast) -> Result:
    """Return the root result carrying the forecast."""
    return replaced(result, forecast=fc)


def plan_line(start_date: datetime.date, target_hours: float, months: int = 24) -> list[PlanPoint]:
    """Return monthly points of an even plan reaching target_hours after `months` months."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if target_hours < 0:
        raise ValueError(f"target_hours must not be negative, got {target_hours}")
    return [
        PlanPoint(add_months(start_date, m), target_hours * m / months) for m in range(months + 1)
    ]
