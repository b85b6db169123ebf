"""The home-page panel for clinicians (pending and rejected trainings, missing prerequisites)
and the to-dos of trainers and coordinators (imports not finished, self-reports to verify)."""

from __future__ import annotations

import datetime as dt

import peewee as pw
from flask import current_app, url_for

from courses import previews
from lms.home import Todo, plural
from lms.models import Membership, User
from lms.permissions import Actor


def self_reports_to_verify(actor: Actor) -> tuple[int, dt.datetime | None]:
    """Return how many self-reported trainings wait for the actor's decision, the oldest when."""
    from courses.completions import pending_self_reports
    from courses.models import Completion

    count, oldest = (
        pending_self_reports(actor)
        .select(pw.fn.COUNT(Completion.id), pw.fn.MIN(Completion.created_at))
        .order_by()
        .tuples()
        .get()
    )
    if oldest is not None and not isinstance(oldest, dt.datetime):
        oldest = dt.datetime.fromisoformat(str(oldest))  # SQLite's MIN() of a datetime is text
    return count, oldest


def todos(actor: Actor) -> list[Todo]:
    """Return the trainer's or coordinator's to-dos."""
    items: list[Todo] = []
    if actor.can("courses:import"):
        kept = previews.kept(current_app.instance_path, actor.user.id)
        n = len(kept)
        items.append(
            Todo(
                n,
                plural(n, "import previewed but not saved", "imports previewed but not saved"),
                url_for("courses.import_upload") + ("#kept-heading" if kept else ""),
                order=40,
                since=kept[-1][1] if kept else None,
            )
        )
    if actor.can("courses:verify_self_reports"):
        n, since = self_reports_to_verify(actor)
        items.append(
            Todo(
                n,
                plural(n, "self-reported training to verify", "self-reported trainings to verify"),
                url_for("courses.verify_queue"),
                order=42,
                since=since,
            )
        )
    return items


def home_todos(user: User, actor: Actor | None = None, **_: object) -> list[Todo]:
    return todos(actor) if actor is not None else []


def home_panel(user: User, **_: object):
    if (
        not Membership.select()
        .where((Membership.user == user) & (Membership.role == "clinician"))
        .exists()
    ):
        return []
    from courses.transcript import transcript_rows

    rows = transcript_rows(user)
    panel = {
        "pending": [r for r in rows if r.completion.status == "pending"],
        "rejected": [r for r in rows if r.completion.status == "rejected"],
        "flagged": [r for r in rows if r.missing],
        "verified": sum(1 for r in rows if r.completion.status == "verified"),
    }
    return [(20, "courses/home_panel.html", panel)]
