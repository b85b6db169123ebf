"""``exam: {pass_percent}``: a counted exam at or above the pass mark (the rule set's default).

An attempt less than the rule set's ``exam.retake_after_months`` after a failed attempt does
not count (nor moves the day a retake counts from).
"""

from __future__ import annotations

import datetime
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
        wait = ctx.rule_set.exam.retake_after_months
        passed, refused, scores = [], [], []
        failed_on: datetime.date | None = None  # the last failed attempt that counted
        retake: datetime.date | None = None  # the first day a retake counts
        for it in ctx.by_kind.get("exam", ()):  # in date order
            score = float(it.details.get("score") or 0)
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
            elif retake is not None and failed_on is not None and it.date < retake:
                # Too early: the attempt does not count, and does not move the retake date.
                refused.append(
                    not_counted(
                        it,
                        f"taken less than {wait} months after the failed attempt of "
                        f"{failed_on.isoformat()}; a retake counts from {retake.isoformat()}",
                    )
                )
            elif score + EPS >= pass_mark:
                passed.append(it)
                scores.append(score)
            else:
                refused.append(
                    not_counted(it, f"score {fmt(score)} % is below the {fmt(pass_mark)} % mark")
                )
                scores.append(score)
                failed_on, retake = it.date, add_months(it.date, wait)
        best = max(scores, default=0.0)
        met = bool(passed)
        missing = ()
        if not met:
            if retake is not None and retake > ctx.as_of:
                missing = (f"Retake the exam from {retake.isoformat()}",)
            else:
                missing = (f"Pass the exam ({fmt(pass_mark)} % needed)",)
        text = f"best {fmt(best)} of {fmt(pass_mark)} %" if scores else "not taken"
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
        return (
            f"Exam: {exam.questions} questions, pass mark {mark:g} %; a retake counts "
            f"{exam.retake_after_months} months or more after a failed attempt"
        )


TYPE = Exam()
