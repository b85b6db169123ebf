"""What courses tells competencies' pathway page: where to find a training for an unmet
training requirement, and which upcoming sessions cover an uncovered competency area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for

from courses.models import Session, Training
from lms import compiled
from lms.signals import UpcomingTraining

TRAINING_NODES = ("training_hours", "training_mix", "area_coverage")
SESSIONS_READ = 500


def task_pages(sender, *, node_types, **_: object) -> dict[str, tuple[str, str]]:
    """Training requirements are done from the catalogue."""
    url = url_for("courses.catalogue")
    return {t: (url, "Find a training") for t in TRAINING_NODES if t in node_types}


def _sessions_query(association_id: Any, today: Any):
    return (
        Session.select(Session, Training)
        .join(Training)
        .where(
            (Training.association == association_id)
            & Training.active
            & (Session.starts_on >= today)
        )
        .order_by(Session.starts_on, Session.id)
        .limit(SESSIONS_READ)
    )


def trainings_for_areas(
    sender, *, association_id: int, area_ids: list[str], today: dt.date, **_: object
) -> dict[str, list[UpcomingTraining]]:
    """The association's sessions to come whose training covers each area, soonest first."""
    wanted = set(area_ids)
    values = (Training.association.db_value(association_id), Session.starts_on.db_value(today))
    rows = compiled.select("courses.upcoming_sessions", _sessions_query, values)
    out: dict[str, list[UpcomingTraining]] = {}
    for session in rows:
        training = session.training
        covered = wanted.intersection((training.areas or {}).keys())
        if not covered:
            continue
        found = UpcomingTraining(
            training.title,
            session.starts_on,
            url_for("courses.training_detail", training_id=training.id),
        )
        for area in covered:
            out.setdefault(area, []).append(found)
    return out
