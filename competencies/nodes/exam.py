"""``exam: {pass_percent}``: a counted exam at or above the pass mark (the rule set's default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker
from competencies.nodes.base import ActLeaf, LeafParams, ParseContext
from competencies.nodes.result import (
    EPS,
    MET,
    NOT_STARTED,
    Figures,
    Result,
    add_months,
    fmt,
    label,
    not_counted,
    status_reason,
)

if TYPE_CHECKING:
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


class Exam(ActLeaf):
    name = "exam"
    title = "Exam"
    kinds = ("exam",)

    class Params(LeafParams):
        pass_percent: float | None = Field(
            default=None, ge=0, le=100, title="Pass mark in % (the rule set's when empty)"
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("pass_percent", "label"))
        out: dict[str, Any] = {}
        if "pass_percent" in p:
            out["pass_percent"] = ck.number(p, "pass_percent", where, high=100)
        return out

    def evaluate(self, node: Node, ctx: Context) -> Result:
        pass_mark = node.params.get("pass_percent", ctx.rule_set.exam.pass_percent)
        passed, refused, failed_dates = [], [], []
        for it in ctx.by_kind.get("exam", ()):
            score = float(it.details.get("score") or 0)
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
            elif score + EPS >= pass_mark:
                passed.append(it)
            else:
                refused.append(
                    not_counted(it, f"score {fmt(score)} % is below the {fmt(pass_mark)} % mark")
                )
                failed_dates.append(it.date)
        scores = [float(it.details.get("score") or 0) for it in ctx.counted("exam")]
        best = max(scores, default=0.0)
        met = bool(passed)
        missing = ()
        if not met:
            retake = (
                add_months(max(failed_dates), ctx.rule_set.exam.retake_after_months)
                if failed_dates
                else None
            )
            if retake is not None and retake > ctx.as_of:
                missing = (f"Retake the exam from {retake.isoformat()}",)
            else:
                missing = (f"Pass the exam ({fmt(pass_mark)} % needed)",)
        text = f"Exam best {fmt(best)} of {fmt(pass_mark)} %" if scores else "Exam not taken"
        return Result(
            "exam",
            label(node, "Exam"),
            MET if met else NOT_STARTED,
            1.0 if met else 0.0,
            node.path,
            Figures(best, pass_mark, "%", text),
            tuple(it.id for it in passed),
            tuple(refused),
            missing,
        )

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        mark = node.params.get("pass_percent", exam.pass_percent)
        return f"Exam: {exam.questions} questions, pass mark {mark:g} %"


TYPE = Exam()
