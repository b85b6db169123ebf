"""Corrections of verified completions: a voided original and its corrected replacement.

Nothing is deleted: the old completion becomes void with the reason, the new one replaces it,
and the ledger row is corrected through the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from competencies import ledger
from courses.access import RECORD_OTHERS, in_association, is_manager, may_record
from courses.completions import (
    check_completion_values,
    close_completion,
    completion_snapshot,
    evidence_for,
    live_completion,
    live_evidence,
    void_completion,
)
from courses.errors import CourseError
from courses.models import Completion
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.errors import Forbidden
from lms.models import Association
from lms.permissions import Actor

# --- corrections -------------------------------------------------------------------------------

MAX_REASON = 500


def may_correct(actor: Actor, completion: Completion) -> bool:
    """Coordinators correct any completion of their association, trainers their trainings'."""
    if not actor.can("courses:record_completion", completion.association_id):
        return False
    if is_manager(actor, completion.association_id):
        return True
    return completion.training_id is not None and may_record(actor, completion.training)


def check_correct(actor: Actor, completion: Completion) -> None:
    """Let the actor correct or void this completion: 404 elsewhere, 403 if not theirs."""
    in_association(actor, "courses:view_catalogue", completion.association_id)
    if not may_correct(actor, completion):
        raise Forbidden()
    refuse_own(
        actor,
        completion.clinician_id,
        "correct your own training",
        error=CourseError,
        field="status",
        then=RECORD_OTHERS,
    )
    if completion.status != "verified":
        raise CourseError(
            "Only a verified completion can be corrected or voided; this one is "
            f"{completion.status}.",
            "status",
        )


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise CourseError("Say why; the clinician sees the reason.", "reason")
    if len(reason) > MAX_REASON:
        raise CourseError(f"Keep the reason to {MAX_REASON} characters.", "reason")
    return reason


def _framework_areas(association: Association) -> set[str] | None:
    from competencies.frameworks import area_infos, framework_for

    framework = framework_for(association)
    return {a.id for a in area_infos(framework)} if framework else None


def corrected_values(
    completion: Completion,
    *,
    completed_on: dt.date | None,
    hours: float | None,
    areas: Iterable[str] | None,
    today: dt.date | None = None,
) -> tuple[dt.date, float, list[str]]:
    """Check a correction against the training; return (date, hours, sorted areas).

    Values left None keep the recorded ones. The hours must be above zero and at most the
    training's, the date not in the future, the areas among the training's (for a training
    outside the catalogue: among the framework's), and something must change.
    """
    training = completion.training if completion.training_id else None
    when = completion.completed_on if completed_on is None else completed_on
    chosen = (
        completion.area_list
        if areas is None
        else sorted({a.strip() for a in areas if a and a.strip()})
    )
    if training is not None and training.area_set and not chosen:
        raise CourseError("Choose at least one of the training's areas.", "areas")
    new_hours, chosen = check_completion_values(
        training, when, completion.hours if hours is None else hours, chosen, today
    )
    if training is None and areas is not None:
        known = _framework_areas(completion.association)
        stray = sorted(set(chosen) - known) if known is not None else []
        if stray:
            raise CourseError(f"{', '.join(stray)} not in the competency framework.", "areas")
    if (when, new_hours, chosen) == (
        completion.completed_on,
        completion.hours,
        completion.area_list,
    ):
        raise CourseError(
            "Nothing differs from the recorded completion: change a value, or void it.",
            "completion",
        )
    if training is not None and when != completion.completed_on:
        clash = live_completion(completion.clinician_id, training.id, when)
        if clash is not None:
            raise CourseError(
                f"{training.title} is already recorded for this clinician on "
                f"{when.isoformat()}; correct or void that one instead.",
                "completed_on",
            )
    return when, new_hours, chosen


@transactional
def correct_completion(
    actor: Actor,
    completion: Completion,
    *,
    reason: str,
    completed_on: dt.date | None = None,
    hours: float | None = None,
    areas: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> Completion:
    """Void a verified completion and record its corrected replacement, atomically.

    Nothing is deleted: the old completion becomes void with the reason, the new one
    `replaces` it, and its ledger row is corrected through the ledger (the old row voided, a
    new one written that replaces it). Values left None stay as recorded.
    """
    check_correct(actor, completion)
    reason = _reason(reason)
    when, new_hours, chosen = corrected_values(
        completion, completed_on=completed_on, hours=hours, areas=areas, today=today
    )
    evidence = live_evidence(completion)
    before = completion_snapshot(completion)
    close_completion(completion, "void", reason, actor.user)
    new = Completion.create(
        clinician=completion.clinician_id,
        association=completion.association_id,
        training=completion.training_id,
        session=completion.session_id,
        title=completion.title,
        provider=completion.provider,
        completed_on=when,
        hours=new_hours,
        areas=",".join(chosen),
        source=completion.source,
        status="verified",
        external_id=completion.external_id,
        replaces=completion,
        created_by=actor.user,
        decided_by=actor.user,
    )
    if evidence is not None:
        new.evidence = ledger.correct(
            evidence,
            reason=reason,
            actor=actor.user,
            occurred_on=when,
            hours=new_hours,
            areas=chosen,
            source_ref=f"completion:{new.id}",
        )
    else:  # recorded before the ledger knew it: write its row now
        new.evidence = evidence_for(new, actor.user)
    new.save(only=[Completion.evidence])
    audit.record(
        "completion.correct",
        new,
        actor=actor.user,
        association_id=completion.association_id,
        before={"completion": completion.id, **before},
        after={**completion_snapshot(new), "replaces": completion.id, "reason": reason},
    )
    return new


@transactional
def void_recorded_completion(actor: Actor, completion: Completion, *, reason: str) -> Completion:
    """Void a verified completion (and its ledger row) on a coordinator's or trainer's word."""
    check_correct(actor, completion)
    return void_completion(completion, reason=_reason(reason), actor=actor.user)


def latest_version(completion: Completion) -> Completion:
    """Return the completion that now stands for this one: itself, or its last correction."""
    current = completion
    for _ in range(1000):  # a chain of corrections; the bound only guards against a cycle
        successor = Completion.get_or_none(Completion.replaces == current.id)
        if successor is None:
            break
        current = successor
    return current


def correction_history(completions: Iterable[Completion]) -> dict[int, Completion]:
    """Map the id of each corrected completion to the one that replaced it (no queries)."""
    return {c.replaces_id: c for c in completions if c.replaces_id is not None}
