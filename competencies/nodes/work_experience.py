"""``work_experience: {years, kind, families}``: years of one kind of work (and families seen)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import Leaf, LeafParams, ParseContext, needs_action, on_pace
from competencies.nodes.result import (
    EPS,
    Figures,
    Result,
    fmt,
    label,
    not_counted,
    plural,
    ratio,
    status,
    status_reason,
)
from competencies.types import WORK_KINDS
from competencies.vocabulary import WORK_LABELS, WORK_WORDS

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def _years(value: float) -> str:
    return f"{value:g} year" + ("" if value == 1 else "s")


class WorkExperience(Leaf):
    name = "work_experience"
    title = "Work experience"
    kinds = ("work",)

    class Params(LeafParams):
        years: float = Field(ge=0, title="Years at least")
        kind: str = Field(title="Kind of work", json_schema_extra={"enum": list(WORK_KINDS)})
        families: int | None = Field(default=None, ge=0, title="Families at least")

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("years", "kind", "families", "label"))
        out: dict[str, Any] = {"years": ck.number(p, "years", where)}
        kind = ck.string(p, "kind", where)
        if kind is not None and kind not in WORK_KINDS:
            ck.add(
                join(where, "kind"),
                f"unknown work kind {kind!r} (allowed: {', '.join(WORK_KINDS)})",
            )
        out["kind"] = kind
        if "families" in p:
            out["families"] = ck.number(p, "families", where, integer=True)
        return out

    def evaluate(self, node: Node, ctx: Context) -> Result:
        kind = node.params["kind"]
        target, families_min = node.params["years"], node.params.get("families")
        rows = [it for it in ctx.by_kind.get("work", ()) if it.details.get("kind") == kind]
        counted = [it for it in rows if it.counted]
        years = math.fsum(float(it.details.get("years") or 0) for it in counted)
        families = sum(int(it.details.get("families") or 0) for it in counted)
        words = WORK_WORDS.get(kind, kind.replace("_", " "))
        years_ok = years + EPS >= target
        fam_ok = families_min is None or families >= families_min
        parts = [1.0 if years_ok else ratio(years, target)]
        text = f"Work {fmt(years)} of {fmt(target)} years"
        missing: list[str] = []
        if not years_ok:
            missing.append(f"Record {fmt(target - years)} more years of {words}")
        if families_min is not None:
            parts.append(1.0 if fam_ok else ratio(families, families_min))
            text += f", {families} of {families_min} families"
            if not fam_ok:
                k = families_min - families
                missing.append(f"Work with {k} more {plural(k, 'family', 'families')} of infants")
        met = years_ok and fam_ok
        progress = math.fsum(parts) / len(parts)
        return Result(
            "work_experience",
            label(node, f"Work experience: {words}"),
            status(met, progress),
            1.0 if met else progress,
            node.path,
            Figures(years, target, "years", text),
            tuple(it.id for it in counted),
            tuple(not_counted(it, status_reason(it)) for it in rows if not it.counted),
            tuple(missing),
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        fig = res.figures
        families = node.params.get("families")
        if fig is None or fig.value <= 0 or any(m.startswith("Work with") for m in res.missing):
            return fc.record(needs_action(node, res))
        if families is not None and fig.value >= fig.target:
            return fc.record(needs_action(node, res))
        # A recorded job in this kind of work is assumed to go on: years accrue in real time.
        return fc.record(on_pace(node, res, fc.as_of, (fig.target - fig.value) * 12))

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        p = node.params
        what = WORK_LABELS.get(p["kind"], p["kind"]).lower()
        text = f"Work experience: at least {_years(p['years'])} of {what}"
        if "families" in p:
            text += f", with at least {p['families']} families"
        return text


TYPE = WorkExperience()
