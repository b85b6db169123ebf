"""Review: assign two endorsed reviewers, collect their recommendations, record the decision."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from competencies.endorsements import EndorsementError, record_endorsement
from competencies.evaluator import missing_tasks
from competencies.models import Endorsement, Evidence
from competencies.rulesets import bound_rule_set
from endorsement.applications import (
    COORDINATOR,
    STATUS_WORDS,
    evaluate_now,
    refuse_own_application,
    transition,
)
from endorsement.errors import NotVisible, WorkflowError
from endorsement.models import Application, ReferenceRequest, Review
from lms import audit
from lms.db import transactional
from lms.duties import is_own
from lms.models import Membership, User, normalise_email, utcnow

RECOMMENDATIONS = ("endorsed", "approved_for_exam", "on_hold", "deferred", "emerging")
REVIEWERS_NEEDED = 2
OVERRIDE_MAX = 2000  # characters of the reason to endorse an applicant who is not ready


def _rank(application: Application) -> tuple[str, int, dict[str, tuple[str, int]]]:
    rules = bound_rule_set(application.rule_set)
    cat = rules.category(application.category)
    ranks = {code: (c.family, c.rank) for code, c in rules.categories.items()}
    return cat.family, cat.rank, ranks


def conflict(application: Application, person: User) -> str | None:
    """Say why a person may not review this application, or None when they may."""
    if is_own(person, application.clinician_id):
        return "is the applicant"
    if not (
        Membership.select()
        .where(
            (Membership.user == person)
            & (Membership.association == application.association_id)
            & (Membership.role == "reviewer")
        )
        .exists()
    ):
        return "is not a reviewer of this association"
    gave_rsc = (
        Evidence.select()
        .where(
            (Evidence.clinician == application.clinician_id)
            & (Evidence.kind == "rsc")
            & (Evidence.provider == person)
        )
        .exists()
    )
    if gave_rsc:
        return "gave the applicant reflective supervision"
    rated = (
        ReferenceRequest.select()
        .where(
            (ReferenceRequest.pathway == application.pathway_id)
            & (ReferenceRequest.rater_email == normalise_email(person.email))
        )
        .exists()
    )
    if rated:
        return "was asked for a reference rating by the applicant"
    family, rank, ranks = _rank(application)
    held = [
        ranks[e.category]
        for e in Endorsement.select(Endorsement.category).where(
            (Endorsement.clinician == person)
            & (Endorsement.association == application.association_id)
            & (Endorsement.status == "active")
        )
        if e.category in ranks
    ]
    if not any(f == family and r >= rank for f, r in held):
        return f"is not endorsed at {application.category} or a higher category of its family"
    return None


def eligible_reviewers(application: Application) -> list[User]:
    """Return the association's reviewers who may review this application and are not assigned."""
    assigned = {r.reviewer_id for r in application.reviews}
    people = (
        User.select()
        .join(Membership, on=(Membership.user == User.id))
        .where(
            (Membership.association == application.association_id)
            & (Membership.role == "reviewer")
            & User.active
        )
        .order_by(User.display_name)
    )
    return [p for p in people if p.id not in assigned and conflict(application, p) is None]


def _reviews(application: Application) -> list[Review]:
    return list(Review.select().where(Review.application == application).order_by(Review.id))


def agreed(application: Application) -> str | None:
    """Return the recommendation at least two completed reviews share, if any."""
    counts = Counter(r.recommendation for r in _reviews(application) if r.completed_at)
    best = [rec for rec, n in counts.most_common() if n >= REVIEWERS_NEEDED]
    return best[0] if len(best) == 1 else None


def needs_third(application: Application) -> bool:
    """Tell whether the assigned reviews are all done and do not agree."""
    reviews = _reviews(application)
    done = [r for r in reviews if r.completed_at]
    return (
        len(reviews) >= REVIEWERS_NEEDED and len(done) == len(reviews) and not agreed(application)
    )


@transactional
def assign(application: Application, reviewer: User, *, actor: User) -> Review:
    """Assign a reviewer; the first assignment starts the review (submitted -> under review)."""
    refuse_own_application(
        actor, application, "assign reviewers to your own application", "reviewer"
    )
    if application.status not in ("submitted", "under_review"):
        raise WorkflowError(
            f"An application that is {STATUS_WORDS[application.status].lower()} is not reviewed.",
            "reviewer",
        )
    reason = conflict(application, reviewer)
    if reason:
        raise WorkflowError(f"{reviewer.display_name} {reason}.", "reviewer")
    reviews = _reviews(application)
    if any(r.reviewer_id == reviewer.id for r in reviews):
        raise WorkflowError(f"{reviewer.display_name} is already assigned.", "reviewer")
    if len(reviews) >= REVIEWERS_NEEDED and not needs_third(application):
        raise WorkflowError(
            "Two reviewers are assigned; a third one is assigned only when they disagree.",
            "reviewer",
        )
    if application.status == "submitted":
        transition(application, "under_review", actor=actor, role=COORDINATOR, note="complete")
    review = Review.create(application=application, reviewer=reviewer, assigned_by=actor)
    audit.record(
        "review.assign",
        review,
        actor=actor,
        association_id=application.association_id,
        after={"application": application.id, "reviewer": reviewer.id},
    )
    return review


@transactional
def complete(
    review: Review,
    *,
    actor: User,
    areas_met: list[str],
    recommendation: str,
    comment: str = "",
) -> Review:
    """Record a reviewer's ticked areas and recommendation, once."""
    if review.reviewer_id != actor.id:
        raise NotVisible("not this reviewer's review")
    application = review.application
    refuse_own_application(
        actor,
        application,
        "review your own application",
        "recommendation",
        then="another reviewer of your association reviews it",
    )
    if review.completed_at is not None:
        raise WorkflowError("You have already sent this review.", "recommendation")
    if application.status != "under_review":
        raise WorkflowError("This application is no longer under review.", "recommendation")
    if recommendation not in RECOMMENDATIONS:
        raise WorkflowError("Choose a recommendation.", "recommendation")
    known = {a.id for a in bound_rule_set(application.rule_set).areas_for(application.category)}
    unknown = sorted(set(areas_met) - known)
    if unknown:
        raise WorkflowError(f"Unknown areas: {', '.join(unknown)}.", "areas_met")
    updated = (
        Review.update(
            areas_met=sorted(set(areas_met)),
            recommendation=recommendation,
            comment=comment.strip(),
            completed_at=utcnow(),
        )
        .where((Review.id == review.id) & Review.completed_at.is_null())
        .execute()
    )
    if not updated:
        raise WorkflowError("You have already sent this review.", "recommendation")
    audit.record(
        "review.complete",
        review,
        actor=actor,
        association_id=application.association_id,
        after={"recommendation": recommendation, "areas_met": len(set(areas_met))},
    )
    return Review.get_by_id(review.id)


def missing_today(application: Application, today: dt.date) -> list[str] | None:
    """Return the steps today's evaluation of the applicant's pathway misses; None when ready."""
    result = evaluate_now(application.pathway, today)
    if result.ready:
        return None
    return list(missing_tasks(result))


def _override_note(missing: list[str], reason: str, note: str) -> str:
    """Refuse to endorse a not-ready applicant without a reason; return the timeline's note."""
    reason = reason.strip()
    steps = f"{len(missing)} step{'s' if len(missing) != 1 else ''} missing"
    if not reason:
        raise WorkflowError(
            f"The evaluation is not ready today ({steps}): write the override reason to "
            "endorse anyway.",
            "override_reason",
        )
    if len(reason) > OVERRIDE_MAX:
        raise WorkflowError(
            f"Keep the override reason under {OVERRIDE_MAX} characters.", "override_reason"
        )
    said = f"Endorsed although not ready ({steps}). Override reason: {reason}"
    return f"{said} Note: {note.strip()}" if note.strip() else said


@transactional
def decide(
    application: Application,
    outcome: str,
    *,
    actor: User,
    note: str = "",
    override_reason: str = "",
    today: dt.date | None = None,
) -> Application:
    """Record the coordinator's decision: what the reviewers agree on, or endorse after an exam.

    Endorsing an applicant whose evaluation is not ready today takes a written override
    reason, kept in the timeline and the audit log.
    """
    today = today or dt.date.today()
    refuse_own_application(actor, application, "decide on your own application", "outcome")
    if application.status == "under_review":
        agreement = agreed(application)
        if agreement is None:
            done = sum(1 for r in _reviews(application) if r.completed_at)
            if done < REVIEWERS_NEEDED:
                raise WorkflowError(
                    f"{done} of {REVIEWERS_NEEDED} reviews are in; decide once both agree.",
                    "outcome",
                )
            raise WorkflowError(
                "The reviewers disagree: assign a third reviewer before deciding.", "outcome"
            )
        if outcome != agreement:
            raise WorkflowError(
                f"The reviewers recommend “{STATUS_WORDS[agreement].lower()}”; record that or "
                "ask for another review.",
                "outcome",
            )
    elif application.status == "exam_passed" and outcome != "endorsed":
        raise WorkflowError("After a passed exam the decision is to endorse.", "outcome")
    missing = missing_today(application, today) if outcome == "endorsed" else None
    if missing is not None:
        note = _override_note(missing, override_reason, note)
    transition(application, outcome, actor=actor, role=COORDINATOR, note=note)
    if missing is not None:
        audit.record(
            "application.endorse_override",
            application,
            actor=actor,
            association_id=application.association_id,
            after={"reason": override_reason.strip(), "missing": missing},
        )
    if outcome == "endorsed":
        try:
            endorsement = record_endorsement(
                application.clinician,
                application.association,
                application.category,
                today,
                actor=actor,
                pathway=application.pathway,
                today=today,
            )
        except EndorsementError as exc:
            raise WorkflowError(str(exc), "outcome") from exc
        Application.update(endorsement=endorsement).where(
            Application.id == application.id
        ).execute()
        application.endorsement = endorsement
    return application
