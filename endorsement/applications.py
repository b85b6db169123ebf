"""Applications: submission with a frozen snapshot, and the one state machine of their statuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw

from competencies import evaluator, ledger
from competencies.forms import DOCUMENT_LABELS
from competencies.models import Evidence, Pathway
from competencies.rulesets import bound_rule_set
from competencies.summaries import build_summaries, empty_summary
from competencies.types import AGREEMENT_DOCUMENTS, COUNTED
from endorsement.errors import WorkflowError
from endorsement.models import Application, Transition
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.models import User, utcnow

CLINICIAN, COORDINATOR = "clinician", "coordinator"

STATUS_WORDS = {
    "submitted": "Submitted",
    "under_review": "Under review",
    "on_hold": "On hold",
    "deferred": "Deferred",
    "approved_for_exam": "Approved for exam",
    "exam_passed": "Exam passed",
    "exam_failed": "Exam failed",
    "retake": "Retake",
    "emerging": "Emerging",
    "endorsed": "Endorsed",
    "withdrawn": "Withdrawn",
}

# The whole life of an application: (from, to) -> the roles that may take that step.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("submitted", "under_review"): frozenset({COORDINATOR}),
    ("submitted", "on_hold"): frozenset({COORDINATOR}),
    ("submitted", "withdrawn"): frozenset({CLINICIAN}),
    ("on_hold", "submitted"): frozenset({CLINICIAN}),
    ("on_hold", "withdrawn"): frozenset({CLINICIAN}),
    ("under_review", "endorsed"): frozenset({COORDINATOR}),
    ("under_review", "on_hold"): frozenset({COORDINATOR}),
    ("under_review", "deferred"): frozenset({COORDINATOR}),
    ("under_review", "approved_for_exam"): frozenset({COORDINATOR}),
    ("under_review", "emerging"): frozenset({COORDINATOR}),
    ("deferred", "submitted"): frozenset({CLINICIAN}),
    ("deferred", "withdrawn"): frozenset({CLINICIAN}),
    ("approved_for_exam", "exam_passed"): frozenset({COORDINATOR}),
    ("approved_for_exam", "exam_failed"): frozenset({COORDINATOR}),
    ("exam_failed", "retake"): frozenset({COORDINATOR}),
    ("retake", "exam_passed"): frozenset({COORDINATOR}),
    ("retake", "exam_failed"): frozenset({COORDINATOR}),
    ("exam_passed", "endorsed"): frozenset({COORDINATOR}),
}
EMERGING_CATEGORIES = frozenset({"IFRS"})
# The pathway shows the application's status while it is one the dashboard knows as open.
_PATHWAY_STATUS = {
    "submitted": "submitted",
    "on_hold": "on_hold",
    "deferred": "deferred",
    "endorsed": "endorsed",
    "withdrawn": "in_progress",
}


def refuse_own_application(
    actor: User | None,
    application: Application,
    action: str,
    field: str,
    then: str = "another coordinator of your association does it",
) -> None:
    """Refuse a coordinator's or reviewer's step on the actor's own application."""
    refuse_own(actor, application.clinician_id, action, error=WorkflowError, field=field, then=then)


def allowed(from_status: str, role: str) -> list[str]:
    """Return the statuses a role may move an application to from a status."""
    return [to for (fr, to), roles in TRANSITIONS.items() if fr == from_status and role in roles]


@transactional
def transition(
    application: Application, to: str, *, actor: User, role: str, note: str = ""
) -> Transition:
    """Move an application to a status, if the table allows it for the role; audit and log it."""
    if to not in STATUS_WORDS:
        raise WorkflowError(f"Unknown status {to!r}.", "status")
    if role == COORDINATOR:
        refuse_own_application(actor, application, "decide on your own application", "status")
    before = application.status
    roles = TRANSITIONS.get((before, to))
    if roles is None:
        raise WorkflowError(
            f"An application that is {STATUS_WORDS[before].lower()} cannot become "
            f"{STATUS_WORDS[to].lower()}.",
            "status",
        )
    if role not in roles:
        raise WorkflowError(
            f"Only the {' or '.join(sorted(roles))} can make it {STATUS_WORDS[to].lower()}.",
            "status",
        )
    if to == "emerging" and application.category not in EMERGING_CATEGORIES:
        raise WorkflowError("Only IFRS applications can be recorded as emerging.", "status")
    now = utcnow()
    # Conditional on the status read: of two simultaneous steps, one wins and one is refused.
    changed = (
        Application.update(status=to, updated_at=now)
        .where((Application.id == application.id) & (Application.status == before))
        .execute()
    )
    if not changed:
        raise WorkflowError("Someone changed this application in the meantime; reload.", "status")
    application.status, application.updated_at = to, now
    step = Transition.create(
        application=application,
        from_status=before,
        to_status=to,
        actor=actor,
        role=role,
        note=note.strip(),
        at=now,
    )
    pathway_status = _PATHWAY_STATUS.get(to, "under_review")
    Pathway.update(status=pathway_status, closed_at=now if to == "endorsed" else None).where(
        Pathway.id == application.pathway_id
    ).execute()
    audit.record(
        "application.transition",
        application,
        actor=actor,
        association_id=application.association_id,
        before={"status": before},
        after={"status": to, "role": role, "note": note.strip()},
    )
    return step


def evaluate_now(pathway: Pathway, as_of: dt.date) -> evaluator.Result:
    """Evaluate a pathway from the ledger as it stands (no forecast: it is not frozen)."""
    summary = build_summaries(
        as_of=as_of, clinician_ids=[pathway.clinician_id], association_id=pathway.association_id
    ).get(pathway.clinician_id) or empty_summary(pathway.clinician_id)
    return evaluator.evaluate(bound_rule_set(pathway.rule_set), pathway.category, summary, as_of)


def _counted_rows(pathway: Pathway, as_of: dt.date) -> list[dict[str, Any]]:
    rows = (
        Evidence.select()
        .where(
            (Evidence.clinician == pathway.clinician_id)
            & (Evidence.association == pathway.association_id)
            & Evidence.status.in_(sorted(COUNTED))
            & (Evidence.occurred_on <= as_of)
        )
        .order_by(Evidence.occurred_on, Evidence.id)
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "occurred_on": r.occurred_on.isoformat(),
            "hours": r.hours,
            "status": r.status,
            "label": r.label,
            "areas": r.area_list,
            "tags": r.tag_list,
            "provider": r.provider_id,
        }
        for r in rows
    ]


def _snapshot(pathway: Pathway, as_of: dt.date) -> tuple[dict[str, Any], bool]:
    result = evaluate_now(pathway, as_of)
    missing = list(evaluator.missing_tasks(result))
    snapshot = {
        "taken_on": as_of.isoformat(),
        "result": result.to_dict(),
        "missing": missing,
        "evidence": _counted_rows(pathway, as_of),
    }
    return snapshot, bool(result.ready)


def _sign(pathway: Pathway, signed: set[str], actor: User, as_of: dt.date) -> None:
    """Record the agreements signed now that the ledger does not already count."""
    have = {
        str((row.details or {}).get("document"))
        for row in Evidence.select().where(
            (Evidence.clinician == pathway.clinician_id)
            & (Evidence.association == pathway.association_id)
            & (Evidence.kind == "agreement")
            & Evidence.status.in_(sorted(COUNTED))
        )
    }
    for document in AGREEMENT_DOCUMENTS:
        if document not in signed:
            raise WorkflowError(
                f"Sign the {DOCUMENT_LABELS[document]} to apply.", f"sign_{document}"
            )
        if document in have:
            continue
        ledger.record(
            clinician=pathway.clinician,
            association=pathway.association,
            kind="agreement",
            occurred_on=as_of,
            status="attested",
            source="workflow",
            details={"document": document},
            label=f"{DOCUMENT_LABELS[document]}, signed when applying",
            actor=actor,
            today=as_of,
        )


@transactional
def submit(
    pathway: Pathway,
    *,
    actor: User,
    signed: set[str],
    apply_anyway: bool = False,
    today: dt.date | None = None,
) -> Application:
    """Submit a pathway: sign the agreements, evaluate, freeze the snapshot; once per pathway."""
    today = today or dt.date.today()
    if pathway.clinician_id != actor.id:
        raise WorkflowError("Only the clinician can submit their own application.", "pathway")
    if Application.select().where(Application.pathway == pathway).exists():
        raise WorkflowError("This pathway has already been submitted.", "pathway")
    if pathway.status != "in_progress":
        raise WorkflowError("Only a pathway in progress can be submitted.", "pathway")
    _sign(pathway, signed, actor, today)
    snapshot, ready = _snapshot(pathway, today)
    if not ready and not apply_anyway:
        raise WorkflowError(
            f"You do not meet every requirement yet ({len(snapshot['missing'])} steps "
            "missing). Tick “apply anyway” to send it to your association as it is.",
            "apply_anyway",
        )
    application = Application.create(
        clinician=pathway.clinician_id,
        association=pathway.association_id,
        pathway=pathway,
        rule_set=pathway.rule_set_id,
        category=pathway.category,
        ready=ready,
        snapshot=snapshot,
    )
    Transition.create(
        application=application,
        from_status="in_progress",
        to_status="submitted",
        actor=actor,
        role=CLINICIAN,
        note="" if ready else "applied anyway",
    )
    Pathway.update(status="submitted").where(Pathway.id == pathway.id).execute()
    audit.record(
        "application.submit",
        application,
        actor=actor,
        association_id=pathway.association_id,
        after={
            "pathway": pathway.id,
            "category": pathway.category,
            "ready": ready,
            "evidence": len(snapshot["evidence"]),
        },
    )
    return application


@transactional
def resubmit(application: Application, *, actor: User, today: dt.date | None = None) -> None:
    """Send an application on hold or deferred back, with a fresh snapshot."""
    today = today or dt.date.today()
    if application.clinician_id != actor.id:
        raise WorkflowError("Only the clinician can resubmit their application.", "status")
    transition(application, "submitted", actor=actor, role=CLINICIAN, note="resubmitted")
    snapshot, ready = _snapshot(application.pathway, today)
    Application.update(snapshot=snapshot, ready=ready).where(
        Application.id == application.id
    ).execute()
    application.snapshot, application.ready = snapshot, ready


def timeline(application: Application) -> list[Transition]:
    """Return the application's steps, oldest first, with who took them."""
    return list(
        Transition.select(Transition, User)
        .join(User, on=Transition.actor, join_type=pw.JOIN.LEFT_OUTER)
        .where(Transition.application == application)
        .order_by(Transition.at, Transition.id)
    )
