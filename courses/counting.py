"""Say at entry whether a training completion counts toward the clinician's open pathways.

What the evaluator does with a training completion: a verified row of the ledger, dated on or
before the day, counts toward the training requirements (training hours, composite training
hours, competency areas) of every open pathway of the same association. The catalogue's
prerequisites are not part of the rules the evaluator reads: a missing one is flagged for the
trainer and the clinician, and never stops a completion counting.

So this module does not assume: like competencies.entry.verdicts, it evaluates each open
pathway of the association twice, without and with the completion (the row just recorded, or a
draft of the one about to be), and reads which training requirements it added to. Nothing is
written. Two queries for any number of clinicians, then one evaluation per pathway and side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from competencies import evaluator, ledger
from competencies.models import Pathway, RuleSet
from competencies.nodes.result import Result
from competencies.pathways import OPEN_STATUSES
from competencies.rulesets import LIGHT, bound_rule_set
from competencies.types import EvidenceItem, Summary
from courses.models import Completion, Training
from courses.trainings import missing_prerequisites
from lms.models import User

DRAFT_ID = -1  # ledger ids are positive: the draft cannot be mistaken for a stored row
TRAINING_TYPES = ("training_hours", "training_mix", "area_coverage")
FLAG_ONLY = "only flagged: a missing prerequisite does not stop a training counting"


@dataclass(frozen=True)
class Verdict:
    """Whether one completion adds to one open pathway, and why not."""

    category: str
    category_name: str
    needed: bool  # the pathway still needs what a training gives
    counts: bool
    toward: tuple[str, ...] = ()  # the requirements it adds to, with their figures after it
    reason: str = ""


def _pathways(association_id: int, clinician_ids: list[int]) -> dict[int, list[Pathway]]:
    query = (
        Pathway.select(Pathway, *LIGHT)
        .join(RuleSet)
        .where(
            (Pathway.association == association_id)
            & Pathway.clinician.in_(clinician_ids)
            & Pathway.status.in_(OPEN_STATUSES)
        )
        .order_by(Pathway.created_at.desc())
    )
    out: dict[int, list[Pathway]] = {}
    for p in query:
        out.setdefault(p.clinician_id, []).append(p)
    return out


def _training_leaves(result: Result) -> dict[str, Result]:
    return {
        leaf.path: leaf
        for leaf in result.leaves()
        if leaf.type in TRAINING_TYPES and leaf.figures is not None
    }


def _judge(pathway: Pathway, before: Summary, after: Summary, as_of: dt.date) -> Verdict:
    rules = bound_rule_set(pathway.rule_set)
    old = evaluator.evaluate(rules, pathway.category, before, as_of)
    new = evaluator.evaluate(rules, pathway.category, after, as_of)
    name = new.category_name or pathway.category
    was, now = _training_leaves(old), _training_leaves(new)
    if not now:
        return Verdict(pathway.category, name, False, False, reason="it asks for no training")
    toward = tuple(
        f"{leaf.label} {leaf.figures.text}"
        for path, leaf in now.items()
        if path in was and leaf.figures.value > was[path].figures.value + 1e-9
    )
    if toward:
        return Verdict(pathway.category, name, True, True, toward)
    if all(leaf.met for leaf in was.values()):
        return Verdict(
            pathway.category, name, False, False, reason="its training requirements are met"
        )
    open_ = [leaf for leaf in was.values() if not leaf.met]
    labels = " and ".join(dict.fromkeys(leaf.label for leaf in open_))
    return Verdict(
        pathway.category,
        name,
        True,
        False,
        reason=f"its hours, topics and areas add nothing to {labels}",
    )


def verdicts(
    training: Training,
    clinician_ids: Iterable[int],
    *,
    completed_on: dt.date,
    hours: float | None = None,
    areas: Iterable[str] | None = None,
    recorded: Mapping[int, int] | None = None,
    as_of: dt.date | None = None,
) -> dict[int, list[Verdict]]:
    """Return, per clinician, a verdict for each open pathway in the training's association.

    `recorded` maps a clinician to the ledger row of the completion just recorded (judged
    without and with it); a clinician not in it is judged with a draft of the completion.
    """
    as_of = as_of or dt.date.today()
    ids = sorted(set(clinician_ids))
    if not ids:
        return {}
    recorded = recorded or {}
    items = ledger.items_of(training.association_id, ids)
    pathways = _pathways(training.association_id, ids)
    draft = EvidenceItem(
        DRAFT_ID,
        "training",
        completed_on,
        "verified",
        hours=float(training.hours if hours is None else hours),
        areas=frozenset(areas) if areas else training.area_set,
        tags=frozenset(training.tag_list),
        label=training.title,
    )
    out: dict[int, list[Verdict]] = {}
    for cid in ids:
        mine = items[cid]
        row_id = recorded.get(cid)
        if row_id is not None:
            before_items = [it for it in mine if it.id != row_id]
            after_items = mine
        else:
            before_items, after_items = mine, [*mine, draft]
        before = Summary.from_items(cid, before_items, end=as_of)
        after = Summary.from_items(cid, after_items, end=as_of)
        out[cid] = [_judge(p, before, after, as_of) for p in pathways.get(cid, ())]
    return out


def _clause(found: list[Verdict], done: bool) -> str:
    """Return what the verdicts say, e.g. "it counts now toward IFS: Training hours 12 of 30 h"."""
    if not found:
        return (
            "no pathway is open with this association, so it counts toward nothing yet; it is "
            "on the record and counts once a goal is declared"
        )
    parts = []
    for v in found:
        who = f"{v.category} ({v.category_name})"
        if v.counts:
            parts.append(f"it counts {'now ' if done else ''}toward {who}: {'; '.join(v.toward)}")
        elif not v.needed:
            parts.append(f"{who} does not need it: {v.reason}")
        else:
            parts.append(f"it will not count toward {who}: {v.reason}")
    return ". ".join(parts)


def row_words(found: list[Verdict], missing: Iterable[str]) -> str:
    """Return the roster row's words for a clinician whose prerequisite is missing."""
    titles = ", ".join(missing)
    return f"Prerequisite missing: {titles} ({FLAG_ONLY}). If recorded, {_clause(found, False)}."


def recorded_message(name: str, found: list[Verdict], missing: Iterable[str]) -> str:
    """Return the message after recording a completion whose prerequisite is missing."""
    titles = ", ".join(missing)
    return (
        f"{name}: recorded; {_clause(found, True)}. Prerequisite missing: {titles} ({FLAG_ONLY})."
    )


def completion_verdicts(completions: Iterable[Completion], as_of: dt.date | None = None):
    """Return, per clinician, the verdicts of completions just recorded (one training)."""
    rows = [c for c in completions if c.evidence_id]
    if not rows:
        return {}
    training = rows[0].training
    return verdicts(
        training,
        [c.clinician_id for c in rows],
        completed_on=rows[0].completed_on,
        recorded={c.clinician_id: c.evidence_id for c in rows},
        as_of=as_of,
    )


def prerequisite_words(
    training: Training,
    people: Iterable[User],
    completed_on: dt.date,
    recorded: Iterable[int] = (),
) -> dict[int, str]:
    """Return, for each clinician whose prerequisite is missing, what it means: for one not yet
    recorded, whether recording on `completed_on` would count toward their open pathways."""
    people = list(people)
    flags = missing_prerequisites([(u.id, training.id) for u in people])
    if not flags:
        return {}
    done = set(recorded)
    flagged = [u.id for u in people if (u.id, training.id) in flags]
    found = verdicts(training, [c for c in flagged if c not in done], completed_on=completed_on)
    words = {}
    for cid in flagged:
        titles = [t.title for t in flags[(cid, training.id)]]
        if cid in found:
            words[cid] = row_words(found[cid], titles)
        else:
            words[cid] = f"Prerequisite missing: {', '.join(titles)} ({FLAG_ONLY})."
    return words


def recorded_messages(results: Iterable[tuple[Completion, bool]]) -> list[tuple[str, bool]]:
    """Return, for each completion just recorded whose prerequisite is missing, whether it
    counts toward the clinician's open pathways and why not (nothing for the others), with
    whether it counts toward every one of them."""
    created = [c for c, new in results if new]
    if not created:
        return []
    flags = missing_prerequisites([(c.clinician_id, c.training_id) for c in created])
    affected = [c for c in created if (c.clinician_id, c.training_id) in flags]
    found = completion_verdicts(affected)
    names = dict(
        User.select(User.id, User.display_name)
        .where(User.id.in_([c.clinician_id for c in affected]))
        .tuples()
    )
    out = []
    for c in sorted(affected, key=lambda c: names.get(c.clinician_id, "")):
        mine = found.get(c.clinician_id, [])
        titles = [t.title for t in flags[(c.clinician_id, c.training_id)]]
        text = recorded_message(names.get(c.clinician_id, ""), mine, titles)
        out.append((text, bool(mine) and all(v.counts or not v.needed for v in mine)))
    return out
