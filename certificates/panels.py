"""The home page's to-dos of certificates: endorsements without a valid certificate
(coordinators), counted trainings of one's own without a completion certificate (trainers)."""

from __future__ import annotations

import peewee as pw
from flask import url_for

from certificates import issuing
from certificates.models import IssuedCertificate
from competencies.models import Endorsement, Evidence
from lms.home import Todo, plural
from lms.models import User
from lms.permissions import Actor


def _certified(kind: str, ref):
    """A valid certificate of this kind exists for the row whose `<kind>:<id>` ref is given."""
    return pw.fn.EXISTS(
        IssuedCertificate.select(IssuedCertificate.id).where(
            (IssuedCertificate.kind == kind)
            & (IssuedCertificate.status == "valid")
            & (IssuedCertificate.source_ref == ref)
        )
    )


def _ref(prefix: str, field) -> pw.Expression:
    return pw.Value(f"{prefix}:").concat(field.cast("TEXT"))


def endorsements_without_certificate(actor: Actor) -> int:
    """Return how many active endorsements the actor manages have no valid certificate."""
    query = Endorsement.select(pw.fn.COUNT(Endorsement.id)).where(
        (Endorsement.status == "active")
        & ~_certified("endorsement", _ref("endorsement", Endorsement.id))
    )
    ids = actor.association_ids("certificates:manage")
    if ids is not None:
        query = query.where(Endorsement.association.in_(ids or [0]))
    return query.scalar() or 0


def completions_without_certificate(actor: Actor) -> int:
    """Return how many counted trainings the actor may certify have no completion certificate."""
    return (
        issuing.completions_for(actor)
        .select(pw.fn.COUNT(Evidence.id))
        .where(~_certified("completion", _ref("evidence", Evidence.id)))
        .scalar()
        or 0
    )


def todos(actor: Actor) -> list[Todo]:
    """Return the certificates the actor could issue and has not."""
    if actor.can("certificates:manage"):
        n = endorsements_without_certificate(actor)
        label = plural(
            n,
            "endorsement without a valid certificate, to issue",
            "endorsements without a valid certificate, to issue",
        )
        return [Todo(n, label, url_for("certificates.manage"), order=35)]
    if actor.can("certificates:issue_completion"):
        n = completions_without_certificate(actor)
        label = plural(
            n,
            "training you gave without a completion certificate",
            "trainings you gave without a completion certificate",
        )
        return [Todo(n, label, url_for("certificates.completions"), order=45)]
    return []


def home_todos(user: User, actor: Actor | None = None, **_: object) -> list[Todo]:
    return todos(actor) if actor is not None else []
