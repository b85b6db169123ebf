"""Who may see whose readiness: an association's agencies, the agencies a user manages, and the
open pathways of one clinician an actor may see (the clinician page and its API)."""

from __future__ import annotations

from competencies.models import Pathway, RuleSet
from competencies.pathways import OPEN_STATUSES
from competencies.rulesets import LIGHT
from lms.models import Agency, Association, Membership, User
from lms.permissions import Actor


def agencies_of(association: Association) -> list[tuple[int, str]]:
    """Return the association's agencies as (id, name), by name."""
    return list(
        Agency.select(Agency.id, Agency.name)
        .where(Agency.association == association.id)
        .order_by(Agency.name)
        .tuples()
    )


def managed_agencies(user: User, association_id: int | None = None) -> list[Agency]:
    """Return the agencies a user manages (agency_manager memberships with an agency)."""
    query = (
        Agency.select(Agency, Association)
        .join(Membership, on=(Membership.agency == Agency.id))
        .switch(Agency)
        .join(Association)
        .where(
            (Membership.user == user.id)
            & (Membership.role == "agency_manager")
            & (Membership.association == Agency.association)
        )
        .order_by(Association.name, Agency.name)
    )
    if association_id is not None:
        query = query.where(Agency.association == association_id)
    return list(query)


def viewable_pathways(actor: Actor, clinician_id: int) -> tuple[User, list[Pathway]] | None:
    """Return a clinician and the open pathways the actor may see, or None (answer 404).

    Allowed: the clinician themself; a holder of competencies:view_readiness in the
    pathway's association (reviewer, coordinator, admin); the manager of the clinician's
    agency. An API token sees only its own association.
    """
    clinician = User.get_or_none(User.id == clinician_id)
    if clinician is None:
        return None
    memberships = list(
        Membership.select(Membership.association, Membership.agency)
        .where((Membership.user == clinician.id) & (Membership.role == "clinician"))
        .tuples()
    )
    allowed = set()
    for association_id, agency_id in memberships:
        token = actor.token
        if token is not None and token.association_id not in (None, association_id):
            continue  # an association's token sees that association only; an admin's, all
        if actor.user.id == clinician.id:
            allowed.add(association_id)
        elif actor.can("competencies:view_readiness", association_id):
            allowed.add(association_id)
        elif (
            agency_id is not None
            and actor.can("competencies:view_staff", association_id)
            and agency_id in {a.id for a in managed_agencies(actor.user, association_id)}
        ):
            allowed.add(association_id)
    if not allowed:
        return None
    pathways = list(
        Pathway.select(Pathway, *LIGHT, Association)
        .join(RuleSet)
        .switch(Pathway)
        .join(Association)
        .where(
            (Pathway.clinician == clinician.id)
            & Pathway.status.in_(OPEN_STATUSES)
            & Pathway.association.in_(sorted(allowed))
        )
        .order_by(Pathway.started_on, Pathway.id)
    )
    return clinician, pathways
