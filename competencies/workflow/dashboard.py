"""The association's workflow dashboard: pipeline, reviewers' queues, renewals due, chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from competencies.models import Endorsement
from competencies.workflow.applications import STATUS_WORDS
from competencies.workflow.models import Application, Review
from lms.models import User

CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 560, 22, 150


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: float
    width: float


def pipeline(association_id: int) -> dict[tuple[str, str], int]:
    """Return application counts by (status, category)."""
    rows = (
        Application.select(Application.status, Application.category, pw.fn.COUNT(Application.id))
        .where(Application.association == association_id)
        .group_by(Application.status, Application.category)
        .tuples()
    )
    return {(status, category): n for status, category, n in rows}


def by_status(counts: dict[tuple[str, str], int]) -> list[tuple[str, int]]:
    """Return the totals per status in the workflow's order (statuses with none included)."""
    totals = dict.fromkeys(STATUS_WORDS, 0)
    for (status, _), n in counts.items():
        totals[status] = totals.get(status, 0) + n
    return list(totals.items())


def chart(totals: list[tuple[str, int]]) -> tuple[list[Bar], int]:
    """Return horizontal bars (SVG coordinates) for the status totals, and the chart height."""
    top = max((n for _, n in totals), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 40
    bars = [
        Bar(STATUS_WORDS.get(status, status), n, i * (BAR_HEIGHT + 6), room * n / top)
        for i, (status, n) in enumerate(totals)
    ]
    return bars, len(bars) * (BAR_HEIGHT + 6)


def waiting_per_reviewer(association_id: int) -> list[tuple[str, int]]:
    """Return reviewers with reviews assigned and not yet sent, most waiting first."""
    n = pw.fn.COUNT(Review.id)
    rows = (
        Review.select(User.display_name, n)
        .join(Application)
        .switch(Review)
        .join(User, on=Review.reviewer)
        .where((Application.association == association_id) & Review.completed_at.is_null())
        .group_by(User.id, User.display_name)
        .order_by(n.desc(), User.display_name)
        .tuples()
    )
    return list(rows)


def renewals_due(association_id: int, today: dt.date, days: int = 90) -> list[Endorsement]:
    """Return active endorsements due within `days` (or overdue), soonest first."""
    return list(
        Endorsement.select(Endorsement, User)
        .join(User, on=Endorsement.clinician)
        .where(
            (Endorsement.association == association_id)
            & (Endorsement.status == "active")
            & (Endorsement.renewal_due <= today + dt.timedelta(days=days))
        )
        .order_by(Endorsement.renewal_due)
    )


def applications(association_id: int, status: str = ""):
    """Return the association's applications with their applicants, newest first."""
    query = (
        Application.select(Application, User)
        .join(User, on=Application.clinician)
        .where(Application.association == association_id)
        .order_by(Application.submitted_at.desc())
    )
    if status:
        query = query.where(Application.status == status)
    return query
