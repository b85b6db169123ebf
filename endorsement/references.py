"""References: raters named by the clinician rate each area through a single-use link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from competencies import ledger
from competencies.models import Pathway
from competencies.pathways import OPEN_STATUSES
from competencies.rulesets import bound_rule_set
from competencies.types import AreaInfo
from endorsement.errors import WorkflowError
from endorsement.models import ReferenceRequest
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.mail import send_mail
from lms.models import User, normalise_email, utcnow
from lms.security import new_token, token_hash

NOT_ENOUGH_INFO = "not_enough_info"
SCALE = (
    ("demonstrated", "Demonstrated"),
    ("emerging", "Emerging"),
    ("not_demonstrated", "Not demonstrated"),
    (NOT_ENOUGH_INFO, "Not enough information to rate"),
)
RATER_ROLES = (
    ("supervisor", "Supervisor"),
    ("rsc_provider", "Reflective supervision provider"),
    ("colleague", "Colleague"),
    ("trainer", "Trainer or instructor"),
    ("other", "Other professional"),
)
DEFAULT_DAYS = 30
MAX_OPEN = 6  # raters asked at the same time, voids included


@dataclass(frozen=True)
class IssuedRequest:
    """A reference request and the token of its link (never stored)."""

    request: ReferenceRequest
    token: str


def void_threshold(pathway: Pathway) -> int:
    """Return how many 'not enough information' answers void a rating under the pathway's rules."""
    rules = bound_rule_set(pathway.rule_set)
    for node in rules.category(pathway.category).requires.walk():
        if node.type == "references":
            return int(node.params["void_if_not_enough_info"])
    return 6


def areas_to_rate(pathway: Pathway) -> tuple[AreaInfo, ...]:
    """Return the areas of the pathway's category, one rating item each."""
    return bound_rule_set(pathway.rule_set).areas_for(pathway.category)


def rating_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/endorsement/rate/{token}"


@transactional
def ask(pathway: Pathway, *, email: str, name: str, role: str, actor: User) -> IssuedRequest:
    """Name a rater: store the request with its hashed token and email the link."""
    if pathway.clinician_id != actor.id:
        raise WorkflowError("Only the clinician asks for their references.", "email")
    if pathway.status not in OPEN_STATUSES:
        raise WorkflowError("This pathway is closed.", "email")
    email = normalise_email(email)
    if "@" not in email:
        raise WorkflowError("Give the rater's email address.", "email")
    if email == normalise_email(actor.email):
        raise WorkflowError("You cannot rate yourself; ask someone who knows your work.", "email")
    if role not in dict(RATER_ROLES):
        raise WorkflowError("Choose the rater's role.", "role")
    if not name.strip():
        raise WorkflowError("Give the rater's name.", "name")
    requests = ReferenceRequest.select().where(ReferenceRequest.pathway == pathway)
    if any(r.rater_email == email and r.status != "void" for r in requests):
        raise WorkflowError("You have already asked this person.", "email")
    if requests.count() >= MAX_OPEN:
        raise WorkflowError(f"At most {MAX_OPEN} raters can be asked.", "email")
    token, digest = new_token()
    days = int(current_app.config.get("WORKFLOW_REFERENCE_DAYS", DEFAULT_DAYS))
    request = ReferenceRequest.create(
        pathway=pathway,
        clinician=pathway.clinician_id,
        association=pathway.association_id,
        rater_email=email,
        rater_name=name.strip(),
        rater_role=role,
        token_hash=digest,
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    audit.record(
        "reference.ask",
        request,
        actor=actor,
        association_id=pathway.association_id,
        after={"rater_email": email, "rater_role": role, "expires_at": request.expires_at},
    )
    send_mail(
        email,
        f"{actor.display_name} asks you for a reference rating",
        f"Dear {name.strip()},\n\n{actor.display_name} is applying for the Infant Mental Health "
        f"Endorsement and named you as a rater. Please rate their competencies here (the link "
        f"works once, for {days} days):\n\n{rating_link(token)}\n",
    )
    return IssuedRequest(request, token)


def find(token: str) -> ReferenceRequest:
    """Return the usable request of a link, or raise WorkflowError saying why not."""
    request = ReferenceRequest.get_or_none(ReferenceRequest.token_hash == token_hash(token))
    if request is None:
        raise LookupError("This link is not valid.")
    if request.used_at is not None:
        raise WorkflowError("This link has already been used: the rating was received.")
    if request.expires_at < utcnow():
        raise WorkflowError("This link has expired. Ask the applicant to send a new one.")
    return request


@transactional
def rate(
    token: str,
    answers: dict[str, str],
    *,
    today: dt.date | None = None,
    rater: User | None = None,
) -> ReferenceRequest:
    """Record a rating once: a ledger reference row, void with too many unknown answers.

    `rater` is the signed-in person who opened the link, if any: never the applicant.
    """
    today = today or dt.date.today()
    request = find(token)
    pathway = request.pathway
    refuse_own(
        rater,
        pathway.clinician_id,
        "rate yourself",
        error=WorkflowError,
        field="submit",
        then="the link is for the rater you named",
    )
    areas = [a.id for a in areas_to_rate(pathway)]
    scale = dict(SCALE)
    for area in areas:
        if answers.get(area) not in scale:
            raise WorkflowError("Rate every area (or choose “not enough information”).", area)
    unknown = sum(1 for area in areas if answers[area] == NOT_ENOUGH_INFO)
    void = unknown >= void_threshold(pathway)
    used = (
        ReferenceRequest.update(used_at=utcnow())
        .where((ReferenceRequest.id == request.id) & ReferenceRequest.used_at.is_null())
        .execute()
    )
    if not used:
        raise WorkflowError("This link has already been used: the rating was received.")
    demonstrated = [] if void else [a for a in areas if answers[a] == "demonstrated"]
    row = ledger.record(
        clinician=pathway.clinician,
        association=pathway.association,
        kind="reference",
        occurred_on=today,
        status="verified",
        source="workflow",
        source_ref=f"reference:{request.id}",
        areas=demonstrated,
        details={"void": void, "not_enough_info": unknown, "rater_role": request.rater_role},
        label=f"Reference rating ({dict(RATER_ROLES)[request.rater_role].lower()})",
        today=today,
    )
    ReferenceRequest.update(
        status="void" if void else "rated",
        ratings={a: answers[a] for a in areas},
        not_enough_info=unknown,
        evidence=row,
    ).where(ReferenceRequest.id == request.id).execute()
    audit.record(
        "reference.rate",
        request,
        association_id=request.association_id,
        after={"void": void, "not_enough_info": unknown, "evidence": row.id},
    )
    if void:
        send_mail(
            pathway.clinician.email,
            "A reference rating could not count",
            f"{request.rater_name} answered “not enough information” {unknown} times, so the "
            "rating is void. Please ask someone who knows your work well for a rating.",
        )
    return ReferenceRequest.get_by_id(request.id)


def for_pathway(pathway: Pathway) -> list[ReferenceRequest]:
    """Return the raters asked for a pathway, oldest first."""
    return list(
        ReferenceRequest.select()
        .where(ReferenceRequest.pathway == pathway)
        .order_by(ReferenceRequest.created_at, ReferenceRequest.id)
    )
