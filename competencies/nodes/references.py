"""``references: {count, void_if_not_enough_info}``: reference ratings that count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker
from competencies.nodes.base import ActLeaf, LeafParams, ParseContext
from competencies.nodes.result import (
    Figures,
    Result,
    label,
    not_counted,
    plural,
    ratio,
    status,
    status_reason,
)

if TYPE_CHECKING:
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


class References(ActLeaf):
    name = "references"
    title = "Reference ratings"
    kinds = ("reference",)

    class Params(LeafParams):
        count: int = Field(default=3, ge=1, title="Ratings")
        void_if_not_enough_info: int = Field(
            default=6, ge=1, title="A rating is void from this many “not enough information”"
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("count", "void_if_not_enough_info", "label"))
        count = ck.number(p, "count", where, required=False, integer=True, low=1)
        void = ck.number(p, "void_if_not_enough_info", where, required=False, integer=True, low=1)
        return {
            "count": count if count is not None else 3,
            "void_if_not_enough_info": void if void is not None else 6,
        }

    def evaluate(self, node: Node, ctx: Context) -> Result:
        target, void_at = node.params["count"], node.params["void_if_not_enough_info"]
        good, refused = [], []
        for it in ctx.by_kind.get("reference", ()):
            unknown = int(it.details.get("not_enough_info") or 0)
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
            elif unknown >= void_at:
                refused.append(
                    not_counted(it, f"void — {unknown} answers of 'not enough information'")
                )
            elif it.details.get("void"):
                refused.append(not_counted(it, "void"))
            else:
                good.append(it)
        n = len(good)
        met = n >= target
        progress = ratio(n, target)
        missing = ()
        if not met:
            k = target - n
            missing = (
                f"Ask {k} more {plural(k, 'person', 'people')} for "
                f"{plural(k, 'a reference rating', 'reference ratings')}",
            )
        return Result(
            "references",
            label(node, "Reference ratings"),
            status(met, progress),
            progress,
            node.path,
            Figures(n, target, "ratings", f"{n} of {target}"),
            tuple(it.id for it in good),
            tuple(refused),
            missing,
        )

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        p = node.params
        return (
            f"Reference ratings: {p['count']} (a rating with {p['void_if_not_enough_info']} or "
            "more “not enough information” answers does not count)"
        )


TYPE = References()
