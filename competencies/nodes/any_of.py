"""``any_of: [nodes]``: one child must be met; the best child stands for the node."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from competencies.checker import Checker
from competencies.nodes.all_of import parse_list
from competencies.nodes.base import Composite, ParamsModel, ParseContext, Parsed
from competencies.nodes.result import Result

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def rank(r: Result) -> tuple[bool, float]:
    """Order results: met first, then by progress."""
    return (r.met, r.progress)


def nth_date(dates: list[datetime.date | None], n: int) -> datetime.date | None:
    """Return the day the n-th child is projected to be met, or None."""
    known = sorted(d for d in dates if d is not None)
    return known[n - 1] if len(known) >= n else None


class AnyOf(Composite):
    name = "any_of"
    title = "One of"

    class Params(ParamsModel):
        """No parameters: the children are the list itself."""

    def parse(self, ck: Checker, body: Any, where: str, ctx: ParseContext) -> Parsed:
        return parse_list(ck, body, where, ctx)

    def evaluate(self, node: Node, ctx: Context) -> Result:
        kids = tuple(ctx.evaluate(c) for c in node.children)
        best = max(kids, key=rank)  # max keeps the first of equals: document order
        return Result(
            "any_of",
            "One of",
            best.status,
            best.progress,
            node.path,
            missing=best.missing,
            children=kids,
            weight=max(k.weight for k in kids),
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        return nth_date(
            [fc.node(n, r) for n, r in zip(node.children, res.children, strict=True)], 1
        )

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        return "Any one of the following"


TYPE = AnyOf()
