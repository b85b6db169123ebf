"""Project when a clinician will be ready, at their recent pace (pure).

`forecast` returns a Forecast separately; `attach(result, forecast)` puts it on the root
Result (``result.forecast``) so dashboards and `Result.to_dict()` carry it along.

Pace: the recent 6 months weigh twice as much as the 6 months before them. Training uses
`training_monthly`; RSC uses the dates and hours of eligible sessions; areas use the areas
covered per month since the first evidence. Requirements met by a single act (education,
references, exam, membership, agreement) get no date: they "need action".
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from competencies.evaluator import (
    TAG_WORDS,
    Result,
    add_months,
    evaluation_context,
    fmt,
    rsc_best,
    rsc_screen,
)
from competencies.rules import Node, RuleSet
from competencies.types import EvidenceItem, Summary

DAYS_PER_MONTH = 365.25 / 12
HORIZON_MONTHS = 60  # beyond five years a projection says nothing useful
MET, ON_PACE, NEEDS_ACTION, NO_PACE = "met", "on_pace", "needs_action", "no_pace"


@dataclass(frozen=True)
class LeafForecast:
    """When one leaf requirement will be met, or why no date can be given."""

    path: str
    type: str
    label: str
    status: str  # met | on_pace | needs_action | no_pace
    date: datetime.date | None
    text: str


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


def _after(day: datetime.date, months: float) -> datetime.date:
    return day + datetime.timedelta(days=math.ceil(months * DAYS_PER_MONTH))


def _month_key(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def weighted_rate(monthly: Mapping[str, float], as_of: datetime.date) -> float:
    """Return hours per month: the last 6 months (as_of's included) count twice the 6 before."""
    first = as_of.replace(day=1)
    recent = math.fsum(monthly.get(_month_key(add_months(first, -k)), 0.0) for k in range(6))
    older = math.fsum(monthly.get(_month_key(add_months(first, -k)), 0.0) for k in range(6, 12))
    return (2 * recent / 6 + older / 6) / 3


def _leaf(node: Node, res: Result, status: str, day: datetime.date | None, text: str):
    return LeafForecast(node.path, node.type, res.label, status, day, text)


def _needs_action(node: Node, res: Result) -> LeafForecast:
    task = res.missing[0] if res.missing else "needs action"
    return _leaf(node, res, NEEDS_ACTION, None, f"Needs action: {task}")


def _on_pace(node: Node, res: Result, as_of: datetime.date, months: float) -> LeafForecast:
    if months > HORIZON_MONTHS:
        return _leaf(node, res, NO_PACE, None, "At this pace it would take more than five years")
    day = _after(as_of, months)
    return _leaf(node, res, ON_PACE, day, f"At your pace: around {day.isoformat()}")


class _Forecaster:
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
        if not node.children:
            if res.met:
                self.leaves.append(_leaf(node, res, MET, self.as_of, "Met"))
                return self.as_of
            leaf = getattr(self, f"_{node.type}", None)
            fc = leaf(node, res) if leaf else _needs_action(node, res)
            self.leaves.append(fc)
            return fc.date
        dates = [self.node(n, r) for n, r in zip(node.children, res.children, strict=True)]
        if node.type == "all_of":
            return None if None in dates else max(dates)  # type: ignore[type-var]
        known = sorted(d for d in dates if d is not None)
        need = 1 if node.type == "any_of" else node.params["n"]
        return known[need - 1] if len(known) >= need else None

    def _training_hours(self, node: Node, res: Result) -> LeafForecast:
        rate = weighted_rate(self.summary.training_monthly, self.as_of)
        tags = node.params["tags"]
        if tags:
            # Tagged hours are not kept per month: assume the recent mix of topics goes on.
            hours = self.summary.training_hours
            total = hours.get("*", 0.0)
            tagged = math.fsum(hours.get(t, 0.0) for t in tags)
            rate = rate * (tagged / total) if total else 0.0
        if rate <= 0:
            words = " and ".join(TAG_WORDS.get(t, t) for t in tags)
            if tags:
                self.warnings.append(f"No recent training on {words}: plan one")
            else:
                self.warnings.append("No training recorded in the last 12 months")
            return _leaf(node, res, NO_PACE, None, "No recent training to set a pace")
        remaining = res.figures.target - res.figures.value if res.figures else 0.0
        return _on_pace(node, res, self.as_of, remaining / rate)

    def _area_coverage(self, node: Node, res: Result) -> LeafForecast:
        firsts = [it.date for it in self.ctx.by_kind.get("training", ())]
        firsts += [it.date for items in self.ctx.by_kind.values() for it in items if it.counted]
        if self.summary.training_monthly:
            first_month = min(self.summary.training_monthly)
            firsts.append(datetime.date(int(first_month[:4]), int(first_month[5:7]), 1))
        covered = res.figures.value if res.figures else 0
        if not firsts or covered <= 0:
            return _leaf(node, res, NO_PACE, None, "No area covered yet to set a pace")
        months = max(1.0, (self.as_of - min(firsts)).days / DAYS_PER_MONTH)
        rate = covered / months
        remaining = res.figures.target - covered if res.figures else 0
        return _on_pace(node, res, self.as_of, remaining / rate)

    def _work_experience(self, node: Node, res: Result) -> LeafForecast:
        fig = res.figures
        families = node.params.get("families")
        if fig is None or fig.value <= 0 or any(m.startswith("Work with") for m in res.missing):
            return _needs_action(node, res)
        if families is not None and fig.value >= fig.target:
            return _needs_action(node, res)
        # A recorded job in this kind of work is assumed to go on: years accrue in real time.
        return _on_pace(node, res, self.as_of, (fig.target - fig.value) * 12)

    def _rsc_hours(self, node: Node, res: Result) -> LeafForecast:
        params = node.params
        target, hi = params["min"], params["window_months"][1]
        ok, _ = rsc_screen(node, self.ctx)
        monthly: dict[str, float] = {}
        about_hours = 0.0
        for s in ok:
            key = _month_key(s.date)
            monthly[key] = monthly.get(key, 0.0) + s.hours
            if s.details.get("about_giving_rsc") and add_months(s.date, 12) > self.as_of:
                about_hours += s.hours
        rate = weighted_rate(monthly, self.as_of)
        if rate <= 0:
            self.warnings.append("No eligible reflective supervision in the last 12 months")
            return _leaf(node, res, NO_PACE, None, "No recent reflective supervision")
        choice = rsc_best(ok, params)
        recent_total = math.fsum(s.hours for s in ok if add_months(s.date, 12) > self.as_of)
        about_share = about_hours / recent_total if recent_total else 0.0
        main = self._main_provider(choice.sessions or tuple(ok))

        def met_after(months: int) -> bool:
            # One session a month at the recent pace, split by the recent share of sessions
            # about the supervision the clinician gives.
            extra = [
                EvidenceItem(
                    id=-2 * m - about,
                    kind="rsc",
                    date=add_months(self.as_of, m),
                    status="attested",
                    hours=rate * (about_share if about else 1 - about_share),
                    provider_id=main,
                    details={"about_giving_rsc": bool(about)},
                )
                for m in range(1, months + 1)
                for about in (0, 1)
            ]
            return rsc_best(ok + extra, params).progress >= 1.0

        day = None
        if met_after(HORIZON_MONTHS):
            lo_m, hi_m = 1, HORIZON_MONTHS
            while lo_m < hi_m:  # met_after is monotone: more sessions never hurt
                mid = (lo_m + hi_m) // 2
                lo_m, hi_m = (lo_m, mid) if met_after(mid) else (mid + 1, hi_m)
            day = add_months(self.as_of, lo_m)
        if choice.sessions:
            closes = add_months(choice.sessions[0].date, hi)
            if closes > self.as_of and (day is None or day > closes):
                months_left = sum(1 for m in range(1, hi + 1) if add_months(self.as_of, m) < closes)
                reach = min(target, choice.hours + rate * months_left)
                self.warnings.append(
                    f"At this pace your RSC window closes on {closes.isoformat()} with "
                    f"{fmt(reach)} of {fmt(target)} h"
                )
        if rate * hi + 1e-9 < target:
            self.warnings.append(
                f"At {fmt(rate)} h a month you cannot reach {fmt(target)} h of reflective "
                f"supervision within {hi} months: you need {fmt(target / hi)} h a month"
            )
        if day is None:
            return _leaf(node, res, NO_PACE, None, "Not reachable at the current pace")
        return _leaf(node, res, ON_PACE, day, f"At your pace: around {day.isoformat()}")

    def membership_until(self) -> datetime.date | None:
        """Return the latest end date of a counted membership, if any."""
        ends = []
        for it in self.ctx.counted("membership"):
            try:
                ends.append(datetime.date.fromisoformat(str(it.details.get("valid_until"))))
            except ValueError:
                continue
        return max(ends, default=None)

    @staticmethod
    def _main_provider(sessions: tuple[EvidenceItem, ...]) -> int | None:
        hours: dict[int | None, float] = {}
        for s in sessions:
            hours[s.provider_id] = hours.get(s.provider_id, 0.0) + s.hours
        return max(hours, key=lambda p: (hours[p], -1 if p is None else p)) if hours else None


def forecast(
    rule_set: RuleSet,
    category: str,
    summary: Summary,
    result: Result,
    as_of: datetime.date,
) -> Forecast:
    """Project when each unmet requirement, and the whole category, will be met."""
    fc = _Forecaster(rule_set, category, summary, as_of)
    ready = fc.node(fc.cat.requires, result)
    until = fc.membership_until()
    if ready is not None and until is not None and as_of <= until < ready:
        fc.warnings.append(
            f"Your membership ends on {until.isoformat()}, before you are projected to be "
            f"ready ({ready.isoformat()}): renew it"
        )
    return Forecast(as_of, ready, tuple(fc.leaves), tuple(dict.fromkeys(fc.warnings)))


def attach(result: Result, fc: Forecast) -> Result:
    """Return the root result carrying the forecast."""
    return replace(result, forecast=fc)


def plan_line(start_date: datetime.date, target_hours: float, months: int = 24) -> list[PlanPoint]:
    """Return monthly points of an even plan reaching target_hours after `months` months."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if target_hours < 0:
        raise ValueError(f"target_hours must not be negative, got {target_hours}")
    return [
        PlanPoint(add_months(start_date, m), target_hours * m / months) for m in range(months + 1)
    ]
