"""``area_coverage: {areas}``: evidence for every competency area of the category (or listed)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import (
    DAYS_PER_MONTH,
    NO_PACE,
    Leaf,
    LeafParams,
    ParseContext,
    leaf_forecast,
    on_pace,
)
from competencies.nodes.result import (
    EvaluationError,
    Figures,
    Result,
    from_rules,
    label,
    plural,
    ratio,
    status,
)
from competencies.types import COUNTED, Problem

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def needed_areas(node: Node, ctx: Context) -> list[tuple[str, str, str]]:
    """Return (id, name, domain) of the areas a coverage node asks for."""
    wanted = node.params["areas"]
    bound = {a.id: a for a in ctx.rule_set.areas}
    if wanted == "category":
        areas = ctx.rule_set.areas_for(ctx.category.code)
        if not areas:
            why = (
                "the framework's areas are not bound: call bind_areas first"
                if not ctx.rule_set.areas
                else f"no bound area applies to {ctx.category.code}"
            )
            raise EvaluationError([Problem(f"{node.path}.areas", why)])
        return [(a.id, a.name, a.domain) for a in areas]
    out = []
    for area_id in wanted:
        info = bound.get(area_id)
        out.append((area_id, info.name, info.domain) if info else (area_id, area_id, "Other"))
    return out


class AreaCoverage(Leaf):
    name = "area_coverage"
    title = "Competency areas"
    kinds = ()  # reads the summary's areas, not rows one by one

    class Params(LeafParams):
        areas: Literal["category"] | tuple[str, ...] = Field(
            default="category", title="Areas (every area of the category, or those listed)"
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("areas", "label"))
        areas = p.get("areas", "category")
        if areas == "category":
            return {"areas": "category"}
        listed = ck.str_list(areas, join(where, "areas"), nonempty=True)
        return {"areas": listed or ()}

    def evaluate(self, node: Node, ctx: Context) -> Result:
        needed = from_rules(self.name, node, ctx, needed_areas)
        have = ctx.summary.areas
        found = [have.get(area[0]) for area in needed]
        # The evidence ids of each covered area, in order, each id once.
        covered = [ev.evidence_ids for ev in found if ev is not None and ev.count > 0]
        ids = dict.fromkeys(chain.from_iterable(covered))
        uncovered = []
        if len(covered) < len(needed):
            uncovered = [
                area for area, ev in zip(needed, found, strict=True) if ev is None or ev.count <= 0
            ]
        n, c = len(needed), len(covered)
        met = c == n
        progress = ratio(c, n)
        missing = ()
        if uncovered:
            by_domain: dict[str, int] = {}
            for _, _, domain in uncovered:
                by_domain[domain] = by_domain.get(domain, 0) + 1
            parts = ", ".join(f"{d} ({k})" for d, k in by_domain.items())
            k = len(uncovered)
            missing = (f"Cover {k} more {plural(k, 'area', 'areas')}: {parts}",)
        return Result(
            "area_coverage",
            label(node, "Competency areas"),
            status(met, progress),
            progress,
            node.path,
            Figures(c, n, "areas", f"{c} of {n} areas"),
            tuple(ids),
            (),
            missing,
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        # The context's lists are sorted by date: the first (counted) item of each is its
        # earliest, and no other item can be the earliest of all.
        firsts = []
        for kind, items in fc.ctx.by_kind.items():
            if kind == "training" and items:
                firsts.append(items[0].date)  # training of any status: none is earlier
                continue
            for it in items:
                if it.status in COUNTED:
                    firsts.append(it.date)
                    break
        if fc.summary.training_monthly:
            first_month = min(fc.summary.training_monthly)
            firsts.append(datetime.date(int(first_month[:4]), int(first_month[5:7]), 1))
        covered = res.figures.value if res.figures else 0
        if not firsts or covered <= 0:
            return fc.record(
                leaf_forecast(node, res, NO_PACE, None, "No area covered yet to set a pace")
            )
        months = max(1.0, (fc.as_of - min(firsts)).days / DAYS_PER_MONTH)
        rate = covered / months
        remaining = res.figures.target - covered if res.figures else 0
        return fc.record(on_pace(node, res, fc.as_of, remaining / rate))

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        if node.params["areas"] == "category":
            tail = f" ({area_count} in the framework)" if area_count is not None else ""
            return f"Competency areas: evidence for every area of the category{tail}"
        return f"Competency areas: evidence for {', '.join(node.params['areas'])}"


TYPE = AreaCoverage()
