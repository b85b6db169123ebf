"""Pathways: a clinician's declared goal and its evaluation under the pinned rule set."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import peewee as pw

from competencies import evaluator, forecast, kept_summaries, standing
from competencies.models import KeptSummary, Pathway, RuleSet, Standing
from competencies.rulesets import LIGHT, bound_rule_set, rule_set_in_force
from competencies.summaries import empty_summary
from competencies.types import Summary
from lms import audit, compiled
from lms.db import transactional
from lms.errors import ServiceError
from lms.models import Association, Membership, User

OPEN_STATUSES = ("in_progress", "submitted", "under_review", "on_hold", "deferred")


class PathwayError(ServiceError, ValueError):
    """A goal cannot be declared as asked; `field` names the input at fault."""


@transactional
def declare_goal(
    clinician: User,
    association: Association,
    category: str,
    started_on: dt.date,
    *,
    actor: User | None = None,
    today: dt.date | None = None,
) -> Pathway:
    """Start a pathway toward a category under the rule set in force on its start date."""
    today = today or dt.date.today()
    if started_on > today:
        raise PathwayError("The start date cannot be in the future.", "started_on")
    if (
        not Membership.select()
        .where(
            (Membership.user == clinician)
            & (Membership.association == association)
            & (Membership.role == "clinician")
        )
        .exists()
    ):
        raise PathwayError("Only a clinician of the association can declare a goal.", "clinician")
    row = rule_set_in_force(association, started_on) or rule_set_in_force(association, today)
    if row is None:
        raise PathwayError("The association has no rule set yet; ask the coordinator.", "category")
    rules = bound_rule_set(row)
    if category not in rules.categories:
        known = ", ".join(rules.categories)
        raise PathwayError(f"Unknown category {category!r}; choose one of {known}.", "category")
    duplicate = Pathway.select().where(
        (Pathway.clinician == clinician)
        & (Pathway.association == association)
        & (Pathway.category == category)
        & Pathway.status.in_(OPEN_STATUSES)
    )
    if duplicate.exists():
        raise PathwayError("You already work toward this category.", "category")
    pathway = Pathway.create(
        clinician=clinician,
        association=association,
        category=category,
        rule_set=row,
        started_on=started_on,
    )
    Standing.create(pathway=pathway, clinician=clinician, association=association)
    audit.record(
        "pathway.declare",
        pathway,
        actor=actor or clinician,
        association_id=association.id,
        after={"category": category, "rule_set": row.version, "started_on": started_on},
    )
    return pathway


@dataclass(frozen=True)
class Evaluation:
    """A pathway's evaluation: the readiness tree with its forecast attached."""

    pathway: Pathway
    result: evaluator.Result
    summary: Summary


def evaluate_with(
    rule_set: RuleSet, category: str, summary: Summary, as_of: dt.date
) -> evaluator.Result:
    """Evaluate one summary and attach the forecast (the pure engine, no queries)."""
    rules = bound_rule_set(rule_set)
    result = evaluator.evaluate(rules, category, summary, as_of)
    return forecast.attach(result, forecast.forecast(rules, category, summary, result, as_of))


# Evaluations this process made recently, by pathway, ledger generation, day and basis: a
# clinician reloading the dashboard with nothing new is not evaluated again. Any ledger write
# bumps the generation, so an entry is never used after its evidence changed.
_recent: OrderedDict[tuple, tuple[evaluator.Result, Summary]] = OrderedDict()
_recent_lock = threading.Lock()
RECENT_SIZE = 128


def _recent_key(p: Pathway, as_of: dt.date) -> tuple | None:
    row = getattr(p, "standing_row", None)  # joined by open_pathways
    if row is None or row.generation is None:
        return None
    return (p.id, row.generation, as_of, standing.basis(p, p.rule_set))


def evaluate_pathways(pathways: list[Pathway], as_of: dt.date) -> list[Evaluation]:
    """Evaluate many pathways with one round of summary queries (none for those this process
    evaluated already at the same ledger generation, nor for clinicians whose kept summary is
    current: `competencies.kept_summaries`, read only)."""
    done: dict[int, Evaluation] = {}
    by_association: dict[int, list[Pathway]] = {}
    keys = {p.id: _recent_key(p, as_of) for p in pathways}
    for p in pathways:
        with _recent_lock:
            hit = _recent.get(keys[p.id]) if keys[p.id] else None
        if hit is not None:
            done[p.id] = Evaluation(p, *hit)
        else:
            by_association.setdefault(p.association_id, []).append(p)
    for association_id, group in by_association.items():
        ids = sorted({p.clinician_id for p in group})
        read = {p.clinician_id: joined_summary(p) for p in group if hasattr(p, "kept_summary_row")}
        summaries, _, _ = kept_summaries.kept_or_built(
            association_id, ids, as_of, make=False, read=read
        )
        for ev in evaluate_each(group, as_of, summaries):
            p = ev.pathway
            done[p.id] = ev
            if keys[p.id]:
                with _recent_lock:
                    _recent[keys[p.id]] = (ev.result, ev.summary)
                    while len(_recent) > RECENT_SIZE:
                        _recent.popitem(last=False)
    return [done[p.id] for p in pathways]


def evaluate_each(
    pathways: list[Pathway], as_of: dt.date, summaries: Mapping[int, Summary]
) -> Iterator[Evaluation]:
    """Yield the evaluation of each pathway, in order, from its clinician's summary (an empty
    one for a clinician with no evidence); one at a time, so that a caller may free each
    before the next is made (the readiness refresh)."""
    for p in pathways:
        summary = summaries.get(p.clinician_id) or empty_summary(p.clinician_id)
        yield Evaluation(p, evaluate_with(p.rule_set, p.category, summary, as_of), summary)


def forget_recent() -> None:
    """Drop this process's recent evaluations."""
    with _recent_lock:
        _recent.clear()


def joined_summary(p: Pathway) -> tuple | None:
    """Return the kept summary's columns `open_pathways` read with a pathway (None: none)."""
    row = p.kept_summary_row
    if row is None or row.generation is None:
        return None
    return tuple(getattr(row, c.name) for c in kept_summaries.COLUMNS)


def open_pathways(clinician: User | int) -> list[Pathway]:
    """Return the clinician's open pathways with their rule sets, kept rows and kept summaries,
    newest first: `open_pathways_query` run from its SQL text built once (every dashboard and
    home page asks)."""
    value = (Pathway.clinician.db_value(clinician),)
    return list(compiled.select("competencies.open_pathways", open_pathways_query, value))


def open_pathways_query(clinician: Any) -> pw.ModelSelect:
    """The query of `open_pathways`, as peewee builds it for a clinician (or a placeholder)."""
    return (
        Pathway.select(Pathway, *LIGHT, Standing.generation, *kept_summaries.COLUMNS)
        .join(RuleSet)
        .switch(Pathway)
        .join(
            Standing,
            pw.JOIN.LEFT_OUTER,
            on=(Standing.pathway == Pathway.id),
            attr="standing_row",
        )
        .switch(Pathway)
        .join(
            KeptSummary,
            pw.JOIN.LEFT_OUTER,
            on=(
                (KeptSummary.association == Pathway.association)
                & (KeptSummary.clinician == Pathway.clinician)
            ),
            attr="kept_summary_row",
        )
        .where((Pathway.clinician == clinician) & Pathway.status.in_(OPEN_STATUSES))
        .order_by(Pathway.created_at.desc())
    )
