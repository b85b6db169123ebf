"""Exams: sittings, registration of approved applicants, results and the retake rule."""

from __future__ import annotations

import datetime as dt
import math

from competencies import ledger
from competencies.evaluator import add_months
from competencies.rulesets import bound_rule_set
from endorsement.applications import COORDINATOR, refuse_own_application, transition
from endorsement.errors import WorkflowError
from endorsement.models import Application, ExamRegistration, ExamSitting
from lms import audit
from lms.db import transactional
from lms.models import Association, User, utcnow

REGISTRABLE = ("approved_for_exam", "exam_failed", "retake")


def needs_exam(application: Application) -> bool:
    """Tell whether the application's category has an exam requirement."""
    rules = bound_rule_set(application.rule_set)
    return any(n.type == "exam" for n in rules.category(application.category).requires.walk())


def pass_mark(application: Application) -> float:
    """Return the pass mark: the exam node's own, else the rule set's."""
    rules = bound_rule_set(application.rule_set)
    for node in rules.category(application.category).requires.walk():
        if node.type == "exam" and "pass_percent" in node.params:
            return float(node.params["pass_percent"])
    return float(rules.exam.pass_percent)


@transactional
def create_sitting(
    association: Association,
    *,
    held_on: dt.date,
    location: str,
    capacity: int,
    actor: User,
    today: dt.date | None = None,
) -> ExamSitting:
    """Schedule a sitting on a future day."""
    today = today or dt.date.today()
    if held_on < today:
        raise WorkflowError("A sitting cannot be scheduled in the past.", "held_on")
    if not location.strip():
        raise WorkflowError("Say where the exam is held.", "location")
    if not 1 <= capacity <= 1000:
        raise WorkflowError("Capacity must be between 1 and 1000 seats.", "capacity")
    sitting = ExamSitting.create(
        association=association, held_on=held_on, location=location.strip(), capacity=capacity
    )
    audit.record(
        "exam.sitting",
        sitting,
        actor=actor,
        association_id=association.id,
        after={"held_on": held_on, "location": sitting.location, "capacity": capacity},
    )
    return sitting


@transactional
def register(
    application: Application,
    sitting: ExamSitting,
    *,
    actor: User,
    today: dt.date | None = None,
) -> ExamRegistration:
    """Register an approved applicant for a sitting, respecting the retake interval."""
    today = today or dt.date.today()
    refuse_own_application(actor, application, "register yourself for an exam", "application")
    if sitting.association_id != application.association_id:
        raise WorkflowError("This sitting belongs to another association.", "sitting")
    if application.status not in REGISTRABLE:
        raise WorkflowError("Only applications approved for the exam can register.", "sitting")
    if sitting.held_on < today:
        raise WorkflowError("This sitting has already taken place.", "sitting")
    taken = ExamRegistration.select().where(ExamRegistration.sitting == sitting).count()
    if taken >= sitting.capacity:
        raise WorkflowError("This sitting is full.", "sitting")
    previous = list(
        ExamRegistration.select(ExamRegistration, ExamSitting)
        .join(ExamSitting)
        .where(ExamRegistration.application == application)
    )
    if any(r.passed is None for r in previous):
        raise WorkflowError("The applicant is already registered for a sitting.", "sitting")
    failed = [r.sitting.held_on for r in previous if r.passed is False]
    if failed:
        months = bound_rule_set(application.rule_set).exam.retake_after_months
        earliest = add_months(max(failed), months)
        if sitting.held_on < earliest:
            raise WorkflowError(
                f"A retake is possible from {earliest.isoformat()} ({months} months after the "
                "last attempt).",
                "sitting",
            )
    if application.status == "exam_failed":
        transition(application, "retake", actor=actor, role=COORDINATOR, note="registered again")
    registration = ExamRegistration.create(sitting=sitting, application=application)
    audit.record(
        "exam.register",
        registration,
        actor=actor,
        association_id=application.association_id,
        after={"application": application.id, "sitting": sitting.id},
    )
    return registration


@transactional
def record_result(
    registration: ExamRegistration,
    score: float,
    *,
    actor: User,
    today: dt.date | None = None,
) -> ExamRegistration:
    """Record a score (0-100): the exam evidence row and the passed or failed step."""
    today = today or dt.date.today()
    if (
        isinstance(score, bool)
        or not isinstance(score, int | float)
        or not math.isfinite(score)
        or not 0 <= score <= 100
    ):
        raise WorkflowError("The score is a percentage from 0 to 100.", "score")
    application = registration.application
    refuse_own_application(actor, application, "record your own exam result", "score")
    if registration.passed is not None:
        raise WorkflowError("This result is already recorded.", "score")
    sitting = registration.sitting
    if sitting.held_on > today:
        raise WorkflowError("The sitting has not taken place yet.", "score")
    mark = pass_mark(application)
    passed = score >= mark
    row = ledger.record(
        clinician=application.clinician,
        association=application.association,
        kind="exam",
        occurred_on=sitting.held_on,
        status="verified",
        source="workflow",
        source_ref=f"exam:{registration.id}",
        details={"score": float(score)},
        label=f"Exam on {sitting.held_on.isoformat()}",
        actor=actor,
        today=today,
    )
    updated = (
        ExamRegistration.update(
            score=float(score), passed=passed, evidence=row, recorded_at=utcnow()
        )
        .where((ExamRegistration.id == registration.id) & ExamRegistration.passed.is_null())
        .execute()
    )
    if not updated:
        raise WorkflowError("This result is already recorded.", "score")
    transition(
        application,
        "exam_passed" if passed else "exam_failed",
        actor=actor,
        role=COORDINATOR,
        note=f"score {score:g} %, pass mark {mark:g} %",
    )
    audit.record(
        "exam.result",
        registration,
        actor=actor,
        association_id=application.association_id,
        after={"score": float(score), "passed": passed},
    )
    return ExamRegistration.get_by_id(registration.id)
