"""A clinician's training transcript: every completion, with status and flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import peewee as pw

from competencies.figures import Headline, headline
from competencies.models import Evidence
from competencies.pathways import evaluate_pathways, open_pathways
from competencies.types import COUNTED
from competencies.vocabulary import EVIDENCE_STATUS_LABELS
from courses.corrections import correction_history
from courses.models import Completion, Training
from courses.trainings import missing_prerequisites
from lms.csvutil import csv_rows
from lms.models import User

STATUS_WORDS = EVIDENCE_STATUS_LABELS  # a completion is evidence: the same words
CORRECTED = "Corrected"  # a void completion that another one replaces
SCHEDULED = "Scheduled, not yet counted"  # a counted status, dated after today


@dataclass(frozen=True)
class TranscriptRow:
    completion: Completion
    title: str
    code: str
    provider: str
    status_word: str
    missing: tuple[str, ...]  # titles of prerequisite trainings not completed
    replaced_by: Completion | None  # the correction that replaced this completion
    ahead: bool = False  # counted status, dated after today: it counts from its date


def transcript_rows(
    user: User, association_ids: Collection[int] | None = None, today: dt.date | None = None
) -> list[TranscriptRow]:
    """Return the clinician's completions, newest first (three queries).

    `association_ids` limits them to those associations (None: all, for the clinician). A
    correction keeps the clinician and association of the completion it replaces, so the
    successor of every corrected row is among the rows. A counted completion dated after
    `today` is scheduled: the evaluator counts it from its date, as the totals do.
    """
    today = today or dt.date.today()
    query = Completion.select(Completion, Training).join(Training, join_type=pw.JOIN.LEFT_OUTER)
    query = query.where(Completion.clinician == user)
    if association_ids is not None:
        query = query.where(Completion.association.in_(sorted(association_ids)))
    rows = list(query.order_by(Completion.completed_on.desc(), Completion.id.desc()))
    flags = missing_prerequisites(
        [(user.id, c.training_id) for c in rows if c.training_id and c.live]
    )
    successors = correction_history(rows)
    out = []
    for c in rows:
        t = c.training if c.training_id else None
        missing = flags.get((user.id, c.training_id), []) if c.live else []
        successor = successors.get(c.id)
        ahead = c.status in COUNTED and c.completed_on > today and successor is None
        if successor:
            word = CORRECTED
        elif ahead:
            word = SCHEDULED
        else:
            word = STATUS_WORDS.get(c.status, c.status)
        out.append(
            TranscriptRow(
                completion=c,
                title=t.title if t else c.title,
                code=t.code if t else "",
                provider=(t.provider if t else c.provider) or "",
                status_word=word,
                missing=tuple(m.title for m in missing),
                replaced_by=successor,
                ahead=ahead,
            )
        )
    return out


@dataclass(frozen=True)
class PathwayHours:
    """What counts toward one open pathway, from its evaluation of the day."""

    category: str
    category_name: str
    figures: Headline


def pathway_hours(user: User, association_ids: Collection[int] | None, today) -> list[PathwayHours]:
    """Return, per open pathway in scope, the training figures of its evaluation of the day:
    the same figures the pathway page, the PDF, the readiness report and the API show."""
    pathways = [
        p
        for p in open_pathways(user)
        if association_ids is None or p.association_id in association_ids
    ]
    return [
        PathwayHours(ev.pathway.category, ev.result.category_name or "", headline(ev))
        for ev in evaluate_pathways(pathways, today)
    ]


def recorded_elsewhere(user: User, association_ids: Collection[int] | None = None) -> list:
    """Return counted training rows of the ledger that no completion here holds (recorded by
    the association from its earlier records), oldest first: they count like the others."""
    held = Completion.select(Completion.evidence).where(
        (Completion.clinician == user) & Completion.evidence.is_null(False)
    )
    query = Evidence.select().where(
        (Evidence.clinician == user)
        & (Evidence.kind == "training")
        & Evidence.status.in_(sorted(COUNTED))
        & Evidence.id.not_in(held)
    )
    if association_ids is not None:
        query = query.where(Evidence.association.in_(sorted(association_ids)))
    return list(query.order_by(Evidence.occurred_on.desc(), Evidence.id.desc()))


def _entry(completion: Completion | None) -> str:
    if completion is None:
        return ""
    return f"{completion.completed_on.isoformat()}, {completion.hours:g} h"


def transcript_csv(user: User, association_ids: Collection[int] | None = None) -> Iterator[str]:
    """Yield the transcript (limited like `transcript_rows`) as formula-safe CSV."""
    header = (
        "completed_on",
        "code",
        "title",
        "provider",
        "hours",
        "areas",
        "source",
        "status",
        "reason",
        "prerequisites_missing",
        "replaced_by",
    )
    return csv_rows(
        header,
        (
            (
                r.completion.completed_on.isoformat(),
                r.code,
                r.title,
                r.provider,
                f"{r.completion.hours:g}",
                r.completion.areas.replace(",", ";"),
                r.completion.source,
                r.status_word,
                r.completion.reason,
                "; ".join(r.missing),
                _entry(r.replaced_by),
            )
            for r in transcript_rows(user, association_ids)
        ),
    )
