"""``all_of: [nodes]``: every child must be met; progress weighs each leaf requirement alike."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING, Any

from competencies.checker import Checker, kind_of
from competencies.nodes.base import Composite, ParamsModel, ParseContext, Parsed
from competencies.nodes.result import MET, Result, status

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def parse_list(ck: Checker, body: Any, where: str, ctx: ParseContext) -> Parsed:
    """Parse a non-empty list of child requirements (all_of, any_of)."""
    if not isinstance(body, list) or not body:
        ck.add(where, f"must be a non-empty list of requirements, got {kind_of(body)}")
        return {}, ()
    return {}, tuple(ctx.node(ck, c, f"{where}[{i}]") for i, c in enumerate(body))


class AllOf(Composite):
    name = "all_of"
    title = "All of"

    class Params(ParamsModel):
        """No parameters: the children are the list itself."""

    def parse(self, ck: Checker, body: Any, where: str, ctx: ParseContext) -> Parsed:
        return parse_list(ck, body, where, ctx)

    def evaluate(self, node: Node, ctx: Context) -> Result:
        # The mean of the children's progress weighted by the leaf requirements each holds.
        # List comprehensions, not generators: the same values in the same order, made faster.
        evaluate = ctx.evaluate
        kids = tuple([evaluate(c) for c in node.children])
        weight = sum([k.weight for k in kids])
        progress = math.fsum([k.weight * k.progress for k in kids]) / weight
        met = all([k.status == MET for k in kids])
        return Result(
            "all_of",
            "All of",
            status(met, progress),
            1.0 if met else progress,
            node.path,
            missing=tuple([m for k in kids for m in k.missing]),
            children=kids,
            weight=weight,
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        dates = [fc.node(n, r) for n, r in zip(node.children, res.children, strict=True)]
        return None if None in dates else max(dates)  # type: ignore[type-var]

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        return "All of the following"


TYPE = AllOf()
