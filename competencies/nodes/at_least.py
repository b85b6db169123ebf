"""``at_least: {n, of: [nodes]}``: n children must be met; progress is the mean of the n best."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join, kind_of
from competencies.nodes.any_of import nth_date, rank
from competencies.nodes.base import Composite, ParamsModel, ParseContext, Parsed
from competencies.nodes.result import Result, status

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


class AtLeast(Composite):
    name = "at_least"
    title = "At least n of"

    class Params(ParamsModel):
        n: int = Field(ge=1, title="How many must be met")

    def parse(self, ck: Checker, body: Any, where: str, ctx: ParseContext) -> Parsed:
        body = ck.mapping(body, where)
        if body is None:
            return {"n": 1}, ()
        ck.keys(body, where, ("n", "of"))
        of = body.get("of")
        if not isinstance(of, list) or not of:
            ck.add(
                join(where, "of"), f"must be a non-empty list of requirements, got {kind_of(of)}"
            )
            of = []
        kids = tuple(ctx.node(ck, c, f"{where}.of[{i}]") for i, c in enumerate(of))
        n = ck.number(body, "n", where, integer=True, low=1, high=max(len(kids), 1))
        return {"n": n or 1}, kids

    def evaluate(self, node: Node, ctx: Context) -> Result:
        kids = tuple(ctx.evaluate(c) for c in node.children)
        n = node.params["n"]
        top = sorted(kids, key=rank, reverse=True)[:n]
        met = all(k.met for k in top)
        progress = math.fsum(k.progress for k in top) / n
        weight = sum(sorted((k.weight for k in kids), reverse=True)[:n])
        return Result(
            "at_least",
            f"At least {n} of",
            status(met, progress),
            1.0 if met else progress,
            node.path,
            missing=tuple(m for k in top for m in k.missing),
            children=kids,
            weight=weight,
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        dates = [fc.node(n, r) for n, r in zip(node.children, res.children, strict=True)]
        return nth_date(dates, node.params["n"])

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        return f"At least {node.params['n']} of the following"


TYPE = AtLeast()
