"""``membership: {}``: an association membership still valid on the day that matters."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from competencies.checker import Checker
from competencies.nodes.base import ActLeaf, LeafParams, ParseContext
from competencies.nodes.result import (
    EXPIRED,
    MET,
    NOT_STARTED,
    Figures,
    Result,
    label,
    not_counted,
    status_reason,
)

if TYPE_CHECKING:
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def valid_until(ctx: Context) -> datetime.date | None:
    """Return the latest end date of a counted membership, if any."""
    ends = []
    for it in ctx.counted("membership"):
        try:
            ends.append(datetime.date.fromisoformat(str(it.details.get("valid_until"))))
        except ValueError:
            continue
    return max(ends, default=None)


class Membership(ActLeaf):
    name = "membership"
    title = "Association membership"
    kinds = ("membership",)

    class Params(LeafParams):
        """Only the label: a membership is current or not."""

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("label",))
        return {}

    def evaluate(self, node: Node, ctx: Context) -> Result:
        refused, valid = [], []
        for it in ctx.by_kind.get("membership", ()):
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
                continue
            try:
                until = datetime.date.fromisoformat(str(it.details.get("valid_until")))
            except ValueError:
                refused.append(not_counted(it, "end date missing or not a date"))
                continue
            valid.append((until, it.id))
        shown = label(node, "Association membership")
        if not valid:
            return Result(
                "membership",
                shown,
                NOT_STARTED,
                0.0,
                node.path,
                Figures(0, 1, "", "none recorded"),
                (),
                tuple(refused),
                ("Join the association: current membership is required",),
            )
        until, item_id = max(valid)
        if until >= ctx.membership_on:
            return Result(
                "membership",
                shown,
                MET,
                1.0,
                node.path,
                Figures(1, 1, "", f"valid until {until.isoformat()}"),
                (item_id,),
                tuple(refused),
            )
        return Result(
            "membership",
            shown,
            EXPIRED,
            0.0,
            node.path,
            Figures(0, 1, "", f"ended on {until.isoformat()}"),
            (),
            tuple(refused),
            (f"Renew your association membership (it ended on {until.isoformat()})",),
        )

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        return "Current association membership"


TYPE = Membership()
