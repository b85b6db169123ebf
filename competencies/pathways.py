"""Pathways: a clinician's declared goal and its evaluation under the pinned rule set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from competencies import evaluator, forecast
from competencies.models import Pathway, RuleSet
from competencies.rulesets import bound_rule_set, rule_set_in_force
from competencies.summaries import build_summaries, empty_summary
from competencies.types import Summary
from lms import audit
from lms.db import transactional
from lms.models import Association, Membership, User

OPEN_STATUSES = ("in_progress", "submitted", "under_review", "on_hold", "deferred")


class PathwayError(ValueError):
    """A goal cannot be declared as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


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


def evaluate_pathways(pathways: list[Pathway], as_of: dt.date) -> list[Evaluation]:
    """Evaluate many pathways with one round of summary queries."""
    by_association: dict[int, list[Pathway]] = {}
    for p in pathways:
        by_association.setdefault(p.association_id, []).append(p)
    out = []
    for association_id, group in by_association.items():
        summaries = build_summaries(
            as_of=as_of,
            clinician_ids=[p.clinician_id for p in group],
            association_id=association_id,
        )
        for p in group:
            summary = summaries.get(p.clinician_id) or empty_summary(p.clinician_id)
            out.append(
                Evaluation(p, evaluate_with(p.rule_set, p.category, summary, as_of), summary)
            )
    return out


def open_pathways(clinician: User):
    """Return the clinician's open pathways with their rule sets, newest first."""
    return (
        Pathway.select(Pathway, RuleSet)
        .join(RuleSet)
        .where((Pathway.clinician == clinician) & Pathway.status.in_(OPEN_STATUSES))
        .order_by(Pathway.created_at.desc())
    )
