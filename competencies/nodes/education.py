"""``education: {alternatives}``: a counted degree or credential among the alternatives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import ActLeaf, LeafParams, ParseContext
from competencies.nodes.result import (
    MET,
    NOT_STARTED,
    Figures,
    Result,
    label,
    not_counted,
    status_reason,
)
from competencies.types import EDUCATION_LEVELS
from competencies.vocabulary import EDUCATION_LABELS, LEVEL_WORDS

if TYPE_CHECKING:
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


def level_words(level: object) -> str:
    """Return an education level in words, also one the vocabulary does not know."""
    return LEVEL_WORDS.get(str(level), str(level).replace("_", " "))


class Education(ActLeaf):
    name = "education"
    title = "Education"
    kinds = ("education",)

    class Params(LeafParams):
        alternatives: tuple[str, ...] = Field(
            min_length=1, title="Any of", json_schema_extra={"enum": list(EDUCATION_LEVELS)}
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("alternatives", "label"))
        if "alternatives" not in p:
            ck.add(join(where, "alternatives"), "is required")
            return {"alternatives": ()}
        alts = ck.str_list(
            p["alternatives"],
            join(where, "alternatives"),
            allowed=EDUCATION_LEVELS,
            nonempty=True,
        )
        return {"alternatives": alts or ()}

    def evaluate(self, node: Node, ctx: Context) -> Result:
        alternatives = node.params["alternatives"]
        good, refused = [], []
        for it in ctx.by_kind.get("education", ()):
            level = it.details.get("level")
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
            elif level in alternatives:
                good.append(it)
            else:
                words = level_words(level)
                refused.append(not_counted(it, f"{words} does not meet this requirement"))
        met = bool(good)
        names = [level_words(a) for a in alternatives]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        shown = level_words(good[-1].details.get("level")) if good else "none recorded"
        return Result(
            "education",
            label(node, "Education"),
            MET if met else NOT_STARTED,
            1.0 if met else 0.0,
            node.path,
            Figures(1 if met else 0, 1, "", shown),
            tuple(it.id for it in good),
            tuple(refused),
            () if met else (f"Add proof of education: {listed}",),
        )

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        names = [EDUCATION_LABELS.get(a, a) for a in node.params["alternatives"]]
        return "Education: one of " + ", ".join(names)


TYPE = Education()
