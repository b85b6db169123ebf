"""``training_hours: {min, tags}``: hours of counted training, optionally on tagged topics."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import (
    NO_PACE,
    ChartSeries,
    Leaf,
    LeafParams,
    ParseContext,
    leaf_forecast,
    on_pace,
    weighted_rate,
)
from competencies.nodes.result import (
    EPS,
    Figures,
    Result,
    fmt,
    label,
    more,
    not_counted,
    ratio,
    status,
    status_reason,
)
from competencies.types import Summary
from competencies.vocabulary import TAG_WORDS

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def _hours(value: float) -> str:
    return f"{value:g} h"


def target_of(result: Result, node_type: str) -> float:
    """Return the largest target among a result's leaves of one type (0 when none)."""
    targets = [
        leaf.figures.target
        for leaf in result.leaves()
        if leaf.type == node_type and leaf.figures is not None
    ]
    return max(targets, default=0.0)


class TrainingHours(Leaf):
    name = "training_hours"
    title = "Training hours"
    kinds = ("training",)

    class Params(LeafParams):
        min: float = Field(ge=0, title="Hours at least")
        tags: tuple[str, ...] = Field(default=(), title="Only training tagged")

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("min", "tags", "label"))
        out: dict[str, Any] = {"min": ck.number(p, "min", where)}
        tags = ck.str_list(p.get("tags", []), join(where, "tags"))
        out["tags"] = tags if tags is not None else ()
        return out

    def evaluate(self, node: Node, ctx: Context) -> Result:
        tags = node.params["tags"]
        hours = ctx.summary.training_hours
        total = hours.get("*", 0.0)
        # Several tags add up; a row carrying two listed tags counts twice, capped by the total.
        value = min(total, math.fsum(hours.get(t, 0.0) for t in tags)) if tags else total
        target = node.params["min"]
        progress = ratio(value, target)
        met = value + EPS >= target
        words = " and ".join(TAG_WORDS.get(t, t) for t in tags)
        default = f"Training hours on {words}" if tags else "Training hours"
        tagset = frozenset(tags)
        refused = tuple(
            not_counted(it, status_reason(it))
            for it in ctx.by_kind.get("training", ())
            if not it.counted and (not tagset or it.tags & tagset)
        )
        missing = ()
        if not met:
            on = f" on {words}" if tags else ""
            missing = (f"Complete {more(target - value, 'hour', 'hours')} of training{on}",)
        return Result(
            "training_hours",
            label(node, default),
            status(met, progress),
            1.0 if met else progress,
            node.path,
            Figures(value, target, "h", f"{fmt(value)} of {fmt(target)} h"),
            (),
            refused,
            missing,
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        rate = weighted_rate(fc.summary.training_monthly, fc.as_of)
        tags = node.params["tags"]
        if tags:
            # Tagged hours are not kept per month: assume the recent mix of topics goes on.
            hours = fc.summary.training_hours
            total = hours.get("*", 0.0)
            tagged = math.fsum(hours.get(t, 0.0) for t in tags)
            rate = rate * (tagged / total) if total else 0.0
        if rate <= 0:
            words = " and ".join(TAG_WORDS.get(t, t) for t in tags)
            if tags:
                fc.warnings.append(f"No recent training on {words}: plan one")
            else:
                fc.warnings.append("No training recorded in the last 12 months")
            return fc.record(
                leaf_forecast(node, res, NO_PACE, None, "No recent training to set a pace")
            )
        remaining = res.figures.target - res.figures.value if res.figures else 0.0
        return fc.record(on_pace(node, res, fc.as_of, remaining / rate))

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        p = node.params
        tags = f" (tags: {', '.join(p['tags'])})" if p.get("tags") else ""
        return f"Training hours: at least {_hours(p['min'])}{tags}"

    def chart(self, result: Result, summary: Summary) -> ChartSeries | None:
        """Counted training hours by month, against the largest training target.

        The series stands for every training type: a composite requirement (training_mix)
        draws no series of its own, its target is counted here.
        """
        target = max(target_of(result, self.name), target_of(result, "training_mix"))
        return ChartSeries("training", target, summary.training_monthly)


TYPE = TrainingHours()
