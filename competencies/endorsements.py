"""Endorsements: award one (or record an existing endorsee) and tell the other plugins."""

from __future__ import annotations

import datetime as dt

from competencies.models import Endorsement, Pathway
from competencies.rulesets import bound_rule_set, rule_set_in_force
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.errors import ServiceError
from lms.models import Association, Membership, User
from lms.signals import endorsement_awarded

ADD_ONS = {"ERS": "Endorsed Reflective Supervisor"}


class EndorsementError(ServiceError, ValueError):
    """An endorsement cannot be recorded as asked; `field` names the input at fault."""


def renewal_due_after(association: Association, awarded_on: dt.date) -> dt.date:
    """Return the first renewal due date: the association's due day in the year after the award."""
    month, day = (int(p) for p in association.renewal_due.split("-"))
    return dt.date(awarded_on.year + 1, month, day)


def category_names(association: Association, on: dt.date) -> dict[str, str]:
    """Return the category codes (and add-ons) an endorsement may name, with their names."""
    row = rule_set_in_force(association, on)
    names = dict(ADD_ONS)
    if row is not None:
        names.update({code: c.name for code, c in bound_rule_set(row).categories.items()})
    return names


def next_number(association: Association, category: str, year: int) -> str:
    """Return the next free endorsement number, e.g. DEMO-IMHS-2026-0007."""
    prefix = f"{association.code}-{category}-{year}-"
    taken = (
        Endorsement.select()
        .where((Endorsement.association == association) & Endorsement.number.startswith(prefix))
        .count()
    )
    return f"{prefix}{taken + 1:04d}"


@transactional
def record_endorsement(
    clinician: User,
    association: Association,
    category: str,
    awarded_on: dt.date,
    *,
    actor: User,
    number: str | None = None,
    pathway: Pathway | None = None,
    today: dt.date | None = None,
) -> Endorsement:
    """Record an endorsement; receivers of `endorsement_awarded` run in this transaction."""
    today = today or dt.date.today()
    refuse_own(
        actor,
        clinician,
        "record your own endorsement",
        error=EndorsementError,
        field="clinician",
        then="another coordinator of your association records it",
    )
    if awarded_on > today:
        raise EndorsementError("The award date cannot be in the future.", "awarded_on")
    if category not in category_names(association, awarded_on):
        raise EndorsementError(f"Unknown category {category!r}.", "category")
    if (
        not Membership.select()
        .where((Membership.user == clinician) & (Membership.association == association))
        .exists()
    ):
        raise EndorsementError("The person is not a member of this association.", "clinician")
    number = (number or "").strip() or next_number(association, category, awarded_on.year)
    if (
        Endorsement.select()
        .where((Endorsement.association == association) & (Endorsement.number == number))
        .exists()
    ):
        raise EndorsementError(f"The number {number} is already used.", "number")
    if (
        Endorsement.select()
        .where(
            (Endorsement.clinician == clinician)
            & (Endorsement.association == association)
            & (Endorsement.category == category)
            & (Endorsement.status == "active")
        )
        .exists()
    ):
        raise EndorsementError(
            "This person already holds an active endorsement of this category.", "category"
        )
    endorsement = Endorsement.create(
        clinician=clinician,
        association=association,
        category=category,
        number=number,
        awarded_on=awarded_on,
        renewal_due=renewal_due_after(association, awarded_on),
        pathway=pathway,
        recorded_by=actor,
    )
    audit.record(
        "endorsement.award",
        endorsement,
        actor=actor,
        association_id=association.id,
        after={
            "clinician": clinician.id,
            "category": category,
            "number": number,
            "awarded_on": awarded_on,
        },
    )
    endorsement_awarded.send(endorsement)
    return endorsement


def active_credentials(user: User, association: Association | None = None) -> list[str]:
    """Return the categories and add-ons a person actively holds (for RSC eligibility)."""
    query = Endorsement.select(Endorsement.category).where(
        (Endorsement.clinician == user) & (Endorsement.status == "active")
    )
    if association is not None:
        query = query.where(Endorsement.association == association)
    return sorted({row.category for row in query})
