"""The association's workflow dashboard: pipeline, readiness, reviewers' queues, renewals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import peewee as pw

from competencies.charts import StackedChart, stacked_bars
from competencies.models import Endorsement
from competencies.readiness import association_report
from competencies.readiness_rows import BUCKET_LABELS, BUCKETS
from endorsement.applications import STATUS_WORDS
from endorsement.models import Application, Renewal, Review
from lms.models import Association, User

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


@dataclass(frozen=True)
class Readiness:
    """Open pathways of an association per readiness bucket, in all and per category."""

    as_of: dt.date
    counts: dict[str, int]  # bucket -> open pathways, in BUCKETS order
    by_category: dict[str, dict[str, int]]  # category code -> bucket -> open pathways
    names: dict[str, str]  # category code -> its name
    total: int


def readiness(association: Association, as_of: dt.date) -> Readiness:
    """Count the association's open pathways per readiness bucket, in all and per category."""
    # One report of every open pathway; only its counts and rows are used, not its pages.
    report = association_report(association, as_of, per_page=1)
    by_category = {code: dict.fromkeys(BUCKETS, 0) for code, _ in report.categories}
    for row in report.matching:
        by_category[row.category][row.status] += 1
    return Readiness(
        as_of=as_of,
        counts=dict(report.counts),
        by_category=by_category,
        names=dict(report.categories),
        total=report.total,
    )


def readiness_chart(data: Readiness) -> StackedChart:
    """Return one bar per bucket, split by category."""
    rows = [
        (BUCKET_LABELS[b], {code: counts[b] for code, counts in data.by_category.items()})
        for b in BUCKETS
    ]
    return stacked_bars(rows, list(data.by_category))


READINESS_HEADER = ("category", "category_name", *BUCKETS, "total")


def readiness_rows(data: Readiness) -> Iterator[tuple[Any, ...]]:
    """Yield one CSV row per category, then the row of all categories."""
    for code, counts in data.by_category.items():
        yield (code, data.names.get(code, code), *counts.values(), sum(counts.values()))
    yield ("all", "All categories", *(data.counts[b] for b in BUCKETS), data.total)


def recent_renewals(association_id: int, since: dt.datetime) -> list[Renewal]:
    """Return renewals decided since a moment (renewed, lapsed or reinstated), newest first."""
    return list(
        Renewal.select(Renewal, Endorsement, User)
        .join(Endorsement)
        .join(User, on=Endorsement.clinician)
        .where((Endorsement.association == association_id) & (Renewal.decided_at >= since))
        .order_by(Renewal.decided_at.desc())
        .limit(50)
    )
