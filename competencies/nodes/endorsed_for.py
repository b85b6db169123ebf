"""``endorsed_for: {years}``: the category renewed has been held for at least so many years.

For renewals (e.g. 10 h of RSC instead of 12 for a mentor endorsed three years or more:
``any_of: [rsc 12 h, all_of: [endorsed_for 3, rsc 10 h]]``). Counted from the award date of the
endorsement being renewed up to the renewal's due date. An application has no endorsement yet,
so it is never met there. A condition, not progress: 0 until it holds, so the option of a
group that needs it never outranks an option the clinician can act on.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker
from competencies.nodes.base import (
    NO_PACE,
    ON_PACE,
    Explanation,
    Leaf,
    LeafParams,
    ParseContext,
    leaf_forecast,
)
from competencies.nodes.result import (
    MET,
    NOT_STARTED,
    Figures,
    Result,
    add_months,
    fmt,
    label,
    plural,
)
from competencies.types import EvidenceItem

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def _years(value: float) -> str:
    return f"{fmt(value)} {plural(value, 'year', 'years')}"


def held_from(node: Node, since: datetime.date) -> datetime.date:
    """Return the day an endorsement awarded on `since` has been held for the node's years."""
    return add_months(since, round(node.params["years"] * 12))


class EndorsedFor(Leaf):
    name = "endorsed_for"
    title = "Endorsed for"
    kinds = ()  # reads the award date of the endorsement renewed, not evidence rows

    class Params(LeafParams):
        years: float = Field(ge=0, title="Years at least")

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("years", "label"))
        years = ck.number(p, "years", where)
        return {"years": years if years is not None else 0}

    def evaluate(self, node: Node, ctx: Context) -> Result:
        years = node.params["years"]
        shown = label(node, f"Endorsed for {_years(years)}")
        since = ctx.endorsed_on
        if since is None:
            return Result(
                "endorsed_for",
                shown,
                NOT_STARTED,
                0.0,
                node.path,
                Figures(0, years, "years", "not endorsed yet"),
                missing=(f"Be endorsed for at least {_years(years)}: not endorsed yet",),
            )
        on = held_from(node, since)
        held = max(0.0, (ctx.membership_on - since).days / 365.25)
        met = on <= ctx.membership_on
        return Result(
            "endorsed_for",
            shown,
            MET if met else NOT_STARTED,
            1.0 if met else 0.0,
            node.path,
            Figures(held, years, "years", f"endorsed since {since.isoformat()}"),
            missing=()
            if met
            else (f"Be endorsed for at least {_years(years)}: from {on.isoformat()}",),
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        """The day the years are reached, when the award date is known."""
        since = fc.ctx.endorsed_on
        if since is None:
            return fc.record(leaf_forecast(node, res, NO_PACE, None, "Not endorsed yet"))
        day = held_from(node, since)
        return fc.record(leaf_forecast(node, res, ON_PACE, day, f"From {day.isoformat()}"))

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        return (
            f"Endorsed for at least {_years(node.params['years'])} "
            "(from the award to the renewal's due date)"
        )

    def explain(
        self, res: Result, items: Mapping[int, EvidenceItem], node: Node | None = None
    ) -> Explanation:
        """Nothing counted: the award date stands for the evidence."""
        return Explanation((), None, None)


TYPE = EndorsedFor()
