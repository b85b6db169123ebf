"""Say at entry whether an education, work or membership record will count, and why not.

The same approach as the RSC form's check (supervision.explain.verdicts): the record, not yet
saved, is added as if verified to the clinician's evidence and each open pathway is evaluated;
the requirement types that judge that kind of record say whether it counted and why not.
Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from competencies.models import Pathway
from competencies.nodes import NODE_TYPES
from competencies.nodes.result import Result, reason_of
from competencies.nodes.work_experience import UNPAID_TWIN
from competencies.pathways import evaluate_with, open_pathways
from competencies.rulesets import bound_rule_set
from competencies.summaries import build_summaries, empty_summary
from competencies.types import EvidenceItem
from competencies.vocabulary import KIND_WORDS
from lms.models import User

DRAFT_ID = -1  # ledger ids are positive: the draft cannot be mistaken for a stored row


@dataclass(frozen=True)
class Verdict:
    """Whether one record would count toward one pathway, and why not."""

    category: str
    category_name: str
    needed: bool  # the category has a requirement judging this kind of record
    counts: bool
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _judging(result: Result, kind: str) -> list[Result]:
    leaves = []
    for leaf in result.leaves():
        node_type = NODE_TYPES.get(leaf.type)
        if node_type is not None and kind in node_type.kinds:
            leaves.append(leaf)
    return leaves


def _asks_for(pathway: Pathway, work_kind: str) -> bool:
    """Tell whether a pathway's category has a requirement on this kind of work."""
    rules = bound_rule_set(pathway.rule_set).category(pathway.category)
    kinds = {work_kind, *(k for k, twin in UNPAID_TWIN.items() if twin == work_kind)}
    return any(
        node.type == "work_experience" and node.params.get("kind") in kinds
        for node in rules.requires.walk()
    )


def _fallback(kind: str, details: Mapping[str, Any], leaves: list[Result], as_of: dt.date):
    """Why a record no requirement counted and none refused (another one already counts)."""
    if kind == "membership":
        until = str(details.get("valid_until") or "")
        if until and until < as_of.isoformat():
            return f"it ended on {until}: a current membership is needed"
    if any(leaf.met for leaf in leaves):
        return "another record already meets this requirement"
    missing = [task for leaf in leaves for task in leaf.missing]
    return missing[0] if missing else "it adds nothing to the requirement"


def verdicts(
    clinician: User,
    kind: str,
    occurred_on: dt.date,
    details: Mapping[str, Any],
    as_of: dt.date | None = None,
) -> list[Verdict]:
    """Judge a record of `kind` against each open pathway of the clinician (nothing saved)."""
    as_of = as_of or dt.date.today()
    base = build_summaries(as_of=as_of, clinician_ids=[clinician.id]).get(clinician.id)
    base = base or empty_summary(clinician.id)
    draft = EvidenceItem(
        DRAFT_ID,
        kind,
        occurred_on,
        "verified",
        details=dict(details),
        label=KIND_WORDS.get(kind, kind),
    )
    summary = replace(base, items=(*base.items, draft))
    out = []
    for pathway in open_pathways(clinician):
        result = evaluate_with(pathway.rule_set, pathway.category, summary, as_of)
        name = result.category_name or ""
        leaves = _judging(result, kind)
        if kind == "work" and not _asks_for(pathway, str(details.get("kind"))):
            leaves = []  # the category asks for other kinds of work only
        if not leaves:
            out.append(Verdict(pathway.category, name, False, False, ()))
            continue
        counted = [leaf for leaf in leaves if DRAFT_ID in leaf.evidence_ids]
        reasons = tuple(
            dict.fromkeys(
                reason_of(nc)
                for leaf in leaves
                for nc in leaf.not_counted
                if nc.evidence_id == DRAFT_ID
            )
        )
        if counted:
            notes = tuple(note for leaf in counted for note in leaf.notes)
            out.append(Verdict(pathway.category, name, True, True, (), notes))
        else:
            reasons = reasons or (_fallback(kind, details, leaves, as_of),)
            out.append(Verdict(pathway.category, name, True, False, reasons))
    return out


def summary_text(found: list[Verdict]) -> str:
    """Return the verdicts in one sentence for a flash message ("" when there is none)."""
    parts = []
    for v in found:
        if not v.needed:
            parts.append(f"{v.category}: not needed")
        elif v.counts:
            parts.append(f"{v.category}: counts once verified")
        else:
            parts.append(f"{v.category}: will not count — {'; '.join(v.reasons)}")
    return ". ".join(parts)


def added_message(
    title: str, kind: str, clinician: User, occurred_on: dt.date, details: Mapping[str, Any]
) -> str:
    """Return the message after a record is added: when it counts, and for whom it will not."""
    text = f"{title} added. It counts once your association verifies it."
    if kind not in CHECKED_KINDS:
        return text
    found = [v for v in verdicts(clinician, kind, occurred_on, details) if v.needed]
    refused = [v for v in found if not v.counts]
    if refused:
        text += " " + summary_text(refused) + "."
    return text


CHECKED_KINDS = frozenset({"work", "education", "membership"})


def work_details(form: Any) -> dict[str, Any]:
    """Return the ledger details of a work period from the work form."""
    details = {
        "kind": form.kind.data,
        "start": form.occurred_on.data.isoformat(),
        "end": form.end.data.isoformat() if form.end.data else None,
        "paid": bool(form.paid.data) and form.kind.data not in UNPAID_TWIN.values(),
        "families": form.families.data or 0,
    }
    if form.post_degree.data in ("yes", "no"):  # "not sure": the dates decide
        details["post_degree"] = form.post_degree.data == "yes"
    return details


def check_work_form(form: Any, today: dt.date) -> None:
    """Add the work form's period errors (an end before the start or in the future)."""
    end = getattr(form, "end", None)
    if end is None:
        return
    if end.data and end.data > today:
        end.errors.append("This date is in the future.")
    elif end.data and form.occurred_on.data and end.data < form.occurred_on.data:
        end.errors.append("The end must be after the start.")
    if form.paid.data and form.kind.data in UNPAID_TWIN.values():
        form.paid.errors.append("Unpaid work cannot be paid: untick Paid or choose another kind.")
