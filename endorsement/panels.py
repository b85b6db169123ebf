"""The home page's to-dos of the endorsement workflow: reviews waiting, applications to decide,
renewals due. Each count is one aggregate query over the actor's associations."""

from __future__ import annotations

import datetime as dt

import peewee as pw
from flask import url_for

from competencies.models import Endorsement
from endorsement.models import Application, Review
from endorsement.reviews import REVIEWERS_NEEDED
from lms.home import Todo, plural
from lms.models import User
from lms.permissions import Actor

RENEWAL_WINDOW = dt.timedelta(days=90)


def _in(query, field, association_ids: list[int] | None):
    return query if association_ids is None else query.where(field.in_(association_ids or [0]))


def reviews_waiting(user: User) -> tuple[int, dt.datetime | None]:
    """Return how many reviews assigned to the user are not sent, and the oldest assignment."""
    count, oldest = (
        Review.select(pw.fn.COUNT(Review.id), pw.fn.MIN(Review.assigned_at))
        .where((Review.reviewer == user) & Review.completed_at.is_null())
        .tuples()
        .get()
    )
    return count, _as_datetime(oldest)


def applications_to_decide(
    actor: Actor, association_ids: list[int] | None
) -> dict[str, tuple[int, dt.datetime | None]]:
    """Return, per step, applications waiting for a coordinator and since when (oldest update):
    "submitted" (assign reviewers), "reviewed" (under review with every review in: decide),
    "exam_passed" (endorse). The actor's own application is never theirs to decide."""

    def completed(is_done: bool):
        return Review.select(pw.fn.COUNT(Review.id)).where(
            (Review.application == Application.id) & Review.completed_at.is_null(not is_done)
        )

    mine = Application.clinician != actor.user
    by_status = _in(
        Application.select(
            Application.status, pw.fn.COUNT(Application.id), pw.fn.MIN(Application.updated_at)
        )
        .where(Application.status.in_(["submitted", "exam_passed"]) & mine)
        .group_by(Application.status),
        Application.association,
        association_ids,
    )
    found = {key: (n, _as_datetime(oldest)) for key, n, oldest in by_status.tuples()}
    n, oldest = (
        _in(
            Application.select(
                pw.fn.COUNT(Application.id), pw.fn.MIN(Application.updated_at)
            ).where(
                (Application.status == "under_review")
                & mine
                & (completed(True) >= REVIEWERS_NEEDED)
                & (completed(False) == 0)
            ),
            Application.association,
            association_ids,
        )
        .tuples()
        .get()
    )
    found["reviewed"] = (n, _as_datetime(oldest))
    return {key: found.get(key, (0, None)) for key in ("submitted", "reviewed", "exam_passed")}


def renewals_due(association_ids: list[int] | None, today: dt.date) -> tuple[int, dt.date | None]:
    """Return how many active endorsements are due for renewal within 90 days (or overdue),
    and the soonest due date."""
    count, soonest = (
        _in(
            Endorsement.select(
                pw.fn.COUNT(Endorsement.id), pw.fn.MIN(Endorsement.renewal_due)
            ).where(
                (Endorsement.status == "active")
                & (Endorsement.renewal_due <= today + RENEWAL_WINDOW)
            ),
            Endorsement.association,
            association_ids,
        )
        .tuples()
        .get()
    )
    return count, _as_date(soonest)


def todos(actor: Actor, today: dt.date) -> list[Todo]:
    """Return the workflow's to-dos for the actor's roles."""
    items: list[Todo] = []
    if actor.can("endorsement:review"):
        n, since = reviews_waiting(actor.user)
        items.append(
            Todo(
                n,
                plural(n, "review waiting for you", "reviews waiting for you"),
                url_for("endorsement.my_reviews"),
                order=10,
                since=since,
            )
        )
    if actor.can("endorsement:decide"):
        ids = actor.association_ids("endorsement:decide")
        steps = applications_to_decide(actor, ids)
        words = {
            "submitted": (
                "new application to assign reviewers to",
                "new applications to assign reviewers to",
            ),
            "reviewed": (
                "application with its reviews in, to decide",
                "applications with their reviews in, to decide",
            ),
            "exam_passed": (
                "application with a passed exam, to endorse",
                "applications with a passed exam, to endorse",
            ),
        }
        status = {
            "submitted": "submitted",
            "reviewed": "under_review",
            "exam_passed": "exam_passed",
        }
        for i, (key, (n, since)) in enumerate(steps.items()):
            items.append(
                Todo(
                    n,
                    plural(n, *words[key]),
                    url_for("endorsement.workflow_dashboard", status=status[key]) + "#list-heading",
                    order=20 + i,
                    since=since,
                )
            )
        n, due = renewals_due(ids, today)
        items.append(
            Todo(
                n,
                plural(n, "renewal due within 90 days", "renewals due within 90 days"),
                url_for("endorsement.workflow_dashboard") + "#due-heading",
                order=30,
                due=due,
            )
        )
    return items


def _as_datetime(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))  # SQLite's MIN() of a datetime is its text


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def home_todos(user: User, actor: Actor | None = None, **_: object) -> list[Todo]:
    if actor is None:
        return []
    return todos(actor, dt.date.today())
