"""Completions: recording them (one or a roster), voiding them, deciding self-reports.

Every write is one audited transaction and writes or voids the ledger row; corrections are in
courses.corrections, permission checks in courses.access.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import peewee as pw

from competencies import ledger
from competencies.models import Evidence
from courses.access import (
    check_clinician,
    check_record,
    clinicians_of,
    in_association,
    is_manager,
    refuse_own_record,
)
from courses.errors import CourseError
from courses.models import Completion, Session, Training
from courses.trainings import MAX_HOURS
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.errors import Forbidden, NotFound
from lms.models import User
from lms.permissions import Actor

# --- completions -------------------------------------------------------------------------------


def evidence_for(completion: Completion, actor: User | None) -> Evidence:
    training = completion.training if completion.training_id else None
    return ledger.record(
        clinician=completion.clinician,
        association=completion.association,
        kind="training",
        occurred_on=completion.completed_on,
        status="verified",
        source="courses",
        hours=completion.hours,
        areas=completion.area_list,
        tags=training.tag_list if training else (),
        label=completion.label,
        source_ref=f"completion:{completion.id}",
        details={"provider": training.provider if training else completion.provider},
        actor=actor,
    )


def check_completion_values(
    training: Training | None,
    completed_on: dt.date,
    hours: float,
    areas: Iterable[str] | None,
    today: dt.date | None = None,
) -> tuple[float, list[str]]:
    """Check date, hours and areas against the training; return (hours, sorted areas)."""
    today = today or dt.date.today()
    if completed_on > today:
        raise CourseError(f"{completed_on.isoformat()} is in the future.", "completed_on")
    if completed_on < ledger.EARLIEST:
        raise CourseError(f"{completed_on.isoformat()} is too long ago.", "completed_on")
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        raise CourseError("Hours must be a number.", "hours") from None
    if not math.isfinite(hours) or hours <= 0:
        raise CourseError("Hours must be a finite number above zero.", "hours")
    if training is not None and hours > training.hours + 1e-9:
        raise CourseError(
            f"{hours:g} is more than the training's {training.hours:g} hours.", "hours"
        )
    if training is None and hours > MAX_HOURS:
        raise CourseError(f"Hours above {MAX_HOURS:g} cannot be right.", "hours")
    chosen = sorted({a for a in (areas or ()) if a})
    if training is not None:
        if not chosen:
            chosen = sorted(training.area_set)
        stray = sorted(set(chosen) - training.area_set)
        if stray:
            raise CourseError(f"{', '.join(stray)} not among this training's areas.", "areas")
    return hours, chosen


def live_completion(clinician_id: int, training_id: int, completed_on: dt.date):
    return Completion.get_or_none(
        (Completion.clinician == clinician_id)
        & (Completion.training == training_id)
        & (Completion.completed_on == completed_on)
        & Completion.live.is_null(False)
    )


@transactional
def record_completion(
    actor: Actor,
    *,
    clinician: User,
    training: Training,
    completed_on: dt.date,
    hours: float | None = None,
    areas: Iterable[str] | None = None,
    source: str,
    session: Session | None = None,
    external_id: str | None = None,
    today: dt.date | None = None,
) -> tuple[Completion, bool]:
    """Record a verified completion and its ledger row; return (row, created).

    Idempotent by natural key: the same clinician, training and date returns the live row.
    """
    check_record(actor, training)
    check_clinician(training.association_id, clinician.id)
    refuse_own_record(actor, clinician.id)
    hours, chosen = check_completion_values(
        training, completed_on, training.hours if hours is None else hours, areas, today
    )
    existing = live_completion(clinician.id, training.id, completed_on)
    if existing is not None:
        return existing, False
    completion = Completion.create(
        clinician=clinician,
        association=training.association_id,
        training=training,
        session=session,
        completed_on=completed_on,
        hours=hours,
        areas=",".join(chosen),
        source=source,
        status="verified",
        external_id=external_id,
        created_by=actor.user,
        decided_by=actor.user,
    )
    completion.evidence = evidence_for(completion, actor.user)
    completion.save(only=[Completion.evidence])
    audit.record(
        "completion.record",
        completion,
        actor=actor.user,
        association_id=training.association_id,
        after=completion_snapshot(completion),
    )
    return completion, True


def completion_snapshot(c: Completion) -> dict[str, Any]:
    return audit.snapshot(
        c,
        "clinician",
        "training",
        "session",
        "completed_on",
        "hours",
        "areas",
        "source",
        "status",
        "external_id",
        "evidence",
    )


@transactional
def record_roster(
    actor: Actor,
    session: Session,
    clinician_ids: Iterable[int],
    *,
    completed_on: dt.date | None = None,
) -> list[tuple[Completion, bool]]:
    """Record every ticked attendee of a session as a verified completion, in one action."""
    training = session.training
    check_record(actor, training)
    ids = sorted(set(clinician_ids))
    if not ids:
        raise CourseError("Tick at least one attendee.", "attendees")
    if actor.user.id in ids:
        refuse_own_record(actor, actor.user.id, "attendees")
    if session.capacity is not None and len(ids) > session.capacity:
        raise CourseError(
            f"{len(ids)} attendees are more than the session's capacity of {session.capacity}.",
            "attendees",
        )
    when = completed_on or session.ends_on
    users = {u.id: u for u in clinicians_of(training.association).where(User.id.in_(ids))}
    if len(users) != len(ids):
        raise CourseError("Someone ticked is not a clinician of this association.", "attendees")
    return [
        record_completion(
            actor,
            clinician=users[i],
            training=training,
            completed_on=when,
            source="roster",
            session=session,
        )
        for i in ids
    ]


def get_completion(actor: Actor, completion_id: int, capability: str) -> Completion:
    completion = Completion.get_or_none(Completion.id == completion_id)
    if completion is None:
        raise NotFound()
    in_association(actor, capability, completion.association_id)
    return completion


def close_completion(completion: Completion, status: str, reason: str, actor: User | None) -> None:
    updated = (
        Completion.update(status=status, live=None, reason=reason, decided_by=actor)
        .where((Completion.id == completion.id) & (Completion.status == completion.status))
        .execute()
    )
    if not updated:
        raise CourseError("This completion changed in the meantime; reload.", "status")
    completion.status, completion.live, completion.reason = status, None, reason


@transactional
def void_completion(completion: Completion, *, reason: str, actor: User | None) -> Completion:
    """Void a completion and its ledger row; the row stays, with the reason."""
    if completion.status == "void":
        raise CourseError("This completion is already void.", "status")
    if not reason.strip():
        raise CourseError("Say why the completion is voided.", "reason")
    before = completion.status
    close_completion(completion, "void", reason.strip(), actor)
    evidence = live_evidence(completion)
    if evidence is not None:
        ledger.void(evidence, reason=reason.strip(), actor=actor)
    audit.record(
        "completion.void",
        completion,
        actor=actor,
        association_id=completion.association_id,
        before={"status": before},
        after={"status": "void", "reason": reason.strip()},
    )
    return completion


def live_evidence(completion: Completion) -> Evidence | None:
    if completion.evidence_id:
        row = Evidence.get_or_none(Evidence.id == completion.evidence_id)
    else:  # bulk imports link the ledger row by source_ref
        row = (
            Evidence.select()
            .where(
                (Evidence.source == "courses")
                & (Evidence.source_ref == f"completion:{completion.id}")
            )
            .first()
        )
    return row if row is not None and row.status != "void" else None


# --- self-reports ------------------------------------------------------------------------------


def may_verify(actor: Actor, completion: Completion) -> bool:
    """Coordinators verify any self-report of their association; trainers their trainings'."""
    if not actor.can("courses:verify_self_reports", completion.association_id):
        return False
    if is_manager(actor, completion.association_id):
        return True
    return completion.training_id is not None and completion.training.owner_id == actor.user.id


def pending_self_reports(actor: Actor) -> pw.ModelSelect:
    """Return the self-reports waiting for this actor's decision (never the actor's own)."""
    ids = actor.association_ids("courses:verify_self_reports")
    query = Completion.select().where(
        (Completion.status == "pending")
        & (Completion.source == "self-report")
        & (Completion.clinician != actor.user.id)
    )
    if ids is not None:
        managed = [a for a in ids if is_manager(actor, a)]
        own = Completion.training.in_(
            Training.select(Training.id).where(Training.owner == actor.user)
        )
        query = query.where(
            Completion.association.in_(managed) | (Completion.association.in_(ids) & own)
        )
    return query.order_by(Completion.created_at)


@transactional
def decide(actor: Actor, completion: Completion, *, accept: bool, reason: str = "") -> Completion:
    """Verify (writing the ledger row) or reject (with a reason the clinician sees)."""
    if not may_verify(actor, completion):
        raise Forbidden()
    if completion.status != "pending":
        raise CourseError("Only a pending training can be verified or rejected.", "status")
    refuse_own(
        actor,
        completion.clinician_id,
        "verify your own training",
        error=CourseError,
        field="status",
        then="it stays pending for a trainer or coordinator",
    )
    if not accept and not reason.strip():
        raise CourseError("Say why the training is rejected; the clinician sees it.", "reason")
    if accept:
        updated = (
            Completion.update(status="verified", decided_by=actor.user, reason=reason.strip())
            .where((Completion.id == completion.id) & (Completion.status == "pending"))
            .execute()
        )
        if not updated:
            raise CourseError("Someone decided on this training in the meantime.", "status")
        completion.status = "verified"
        completion.evidence = evidence_for(completion, actor.user)
        completion.save(only=[Completion.evidence])
    else:
        close_completion(completion, "rejected", reason.strip(), actor.user)
    audit.record(
        "completion.verify" if accept else "completion.reject",
        completion,
        actor=actor.user,
        association_id=completion.association_id,
        before={"status": "pending"},
        after={"status": completion.status, "reason": reason.strip()},
    )
    return completion
