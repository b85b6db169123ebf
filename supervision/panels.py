"""The home page's to-do of RSC providers: sessions waiting for their attestation."""

from __future__ import annotations

import datetime as dt

import peewee as pw
from flask import url_for

from lms.home import Todo, plural
from lms.models import User
from lms.permissions import Actor
from supervision.models import RscSession


def attestations_pending(
    provider: User, association_ids: list[int] | None
) -> tuple[int, dt.datetime | None]:
    """Return how many sessions wait for the provider's signature, the oldest logged when."""
    query = RscSession.select(pw.fn.COUNT(RscSession.id), pw.fn.MIN(RscSession.created_at)).where(
        (RscSession.provider == provider) & (RscSession.status == "pending")
    )
    if association_ids is not None:
        query = query.where(RscSession.association.in_(association_ids or [0]))
    count, oldest = query.tuples().get()
    if oldest is not None and not isinstance(oldest, dt.datetime):
        oldest = dt.datetime.fromisoformat(str(oldest))  # SQLite's MIN() of a datetime is text
    return count, oldest


def todos(actor: Actor) -> list[Todo]:
    """Return the provider's to-do, if the actor attests sessions."""
    if not actor.can("supervision:attest"):
        return []
    n, since = attestations_pending(actor.user, actor.association_ids("supervision:attest"))
    label = plural(
        n,
        "supervision session waiting for your signature",
        "supervision sessions waiting for your signature",
    )
    return [Todo(n, label, url_for("supervision.provider"), order=12, since=since)]


def home_todos(user: User, actor: Actor | None = None, **_: object) -> list[Todo]:
    return todos(actor) if actor is not None else []
