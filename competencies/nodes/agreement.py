"""``agreement: {documents}``: every listed document signed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import ActLeaf, LeafParams, ParseContext
from competencies.nodes.result import (
    Figures,
    Result,
    label,
    not_counted,
    ratio,
    status,
    status_reason,
)
from competencies.types import AGREEMENT_DOCUMENTS
from competencies.vocabulary import DOCUMENT_LABELS, DOCUMENT_WORDS

if TYPE_CHECKING:
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node


class Agreement(ActLeaf):
    name = "agreement"
    title = "Signed agreements"
    kinds = ("agreement",)

    class Params(LeafParams):
        documents: tuple[str, ...] = Field(
            default=AGREEMENT_DOCUMENTS, min_length=1, title="Documents to sign"
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("documents", "label"))
        docs = ck.str_list(
            p.get("documents", list(AGREEMENT_DOCUMENTS)), join(where, "documents"), nonempty=True
        )
        return {"documents": docs or ()}

    def evaluate(self, node: Node, ctx: Context) -> Result:
        documents = node.params["documents"]
        signed: dict[str, int] = {}
        refused = []
        for it in ctx.by_kind.get("agreement", ()):
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
            else:
                signed[str(it.details.get("document"))] = it.id
        have = [d for d in documents if d in signed]
        n, k = len(documents), len(have)
        progress = ratio(k, n)
        missing = tuple(
            f"Sign {DOCUMENT_WORDS.get(d, 'the ' + d.replace('_', ' '))}"
            for d in documents
            if d not in signed
        )
        return Result(
            "agreement",
            label(node, "Signed agreements"),
            status(k == n, progress),
            progress,
            node.path,
            Figures(k, n, "documents", f"{k} of {n} signed"),
            tuple(signed[d] for d in have),
            tuple(refused),
            missing,
        )

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        names = [DOCUMENT_LABELS.get(d, d) for d in node.params["documents"]]
        return "Signed: " + ", ".join(names)


TYPE = Agreement()
