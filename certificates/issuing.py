"""Issue and supersede certificates; each call is one audited transaction.

Issuing builds the data from the database, renders it once and stores the bytes, the SHA-256
and the code together. Object checks (own record, same association) answer 404. Revoking,
suspending and reinstating are in `certificates.revocation`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable

import peewee as pw
from flask import current_app

from certificates import badges, keys, render, sources, status
from certificates.codes import display, is_well_formed, new_code, normalise
from certificates.models import IssuedCertificate
from certificates.sources import CertificateError
from competencies.endorsements import category_names
from competencies.models import Endorsement, Evidence
from lms import audit
from lms.db import db, transactional
from lms.errors import NotFound
from lms.models import Association, Membership, User, utcnow
from lms.permissions import Actor

__all__ = [
    "CertificateError",
    "find_by_code",
    "issue_completion",
    "issue_endorsement",
    "issue_progress",
    "issue_transcript",
    "may_download",
    "verify_url",
]

INDEX_ATTEMPTS = 5  # draws of a status-list index before an issue gives up


def verify_url(code: str) -> str:
    """Return the public address that checks a code (also the QR code's payload)."""
    return f"{badges.public_base()}/verify/{display(code)}"


def _page_size() -> str:
    return str(current_app.config.get("PAGE_SIZE") or "letter")


def _fonts() -> render.FontSet:
    config = current_app.config
    return render.FontSet.configured(config.get("PDF_FONT"), config.get("PDF_FONT_BOLD"))


def _unused_code() -> str:
    while True:
        code = new_code()
        if not IssuedCertificate.select().where(IssuedCertificate.code == code).exists():
            return code


def _store(
    *,
    kind: str,
    data: object,
    renderer: Callable[..., bytes],
    holder: User,
    association: Association,
    issuer: User | None,
    title: str,
    category: str = "",
    source_ref: str = "",
    issued_on: dt.date,
    expires_on: dt.date | None = None,
    credential: Callable[[str], tuple[str, str]] | None = None,
    status_index: int | None = None,
) -> IssuedCertificate:
    """Render with a fresh code, store, supersede older valid twins and audit (one transaction).

    A suspended twin is not superseded: the issue is refused until it is reinstated or revoked.
    """
    suspended = IssuedCertificate.get_or_none(
        (IssuedCertificate.holder == holder)
        & (IssuedCertificate.association == association)
        & (IssuedCertificate.kind == kind)
        & (IssuedCertificate.category == category)
        & (IssuedCertificate.status == "valid")
        & IssuedCertificate.suspended_at.is_null(False)
    )
    if suspended is not None:
        raise CertificateError(
            f"Certificate {display(suspended.code)} of this person is suspended; reinstate or "
            "revoke it before issuing a new one.",
            "code",
        )
    code = _unused_code()
    data = dataclasses.replace(data, verification_code=display(code), verify_url=verify_url(code))
    pdf = renderer(data, page_size=_page_size(), fonts=_fonts())
    signed = credential(code) if credential else None
    cert = IssuedCertificate.create(
        kind=kind,
        holder=holder,
        association=association,
        issuer=issuer,
        code=code,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
        title=title[:300],
        category=category,
        source_ref=source_ref,
        issued_on=issued_on,
        expires_on=expires_on,
        credential=signed[0] if signed else None,
        credential_jwt=signed[1] if signed else None,
        status_index=status_index,
    )
    twins = IssuedCertificate.select(IssuedCertificate.id).where(
        (IssuedCertificate.holder == holder)
        & (IssuedCertificate.association == association)
        & (IssuedCertificate.kind == kind)
        & (IssuedCertificate.category == category)
        & (IssuedCertificate.status == "valid")
        & (IssuedCertificate.id != cert.id)
    )
    if kind == "completion":
        twins = twins.where(IssuedCertificate.source_ref == source_ref)
    superseded = [row.id for row in twins]
    if superseded:
        IssuedCertificate.update(status="superseded", superseded_by=cert).where(
            IssuedCertificate.id.in_(superseded)
        ).execute()
    audit.record(
        "certificate.issue",
        cert,
        actor=issuer,
        association_id=association.id,
        after={
            "kind": kind,
            "holder": holder.id,
            "code": display(code),
            "sha256": cert.sha256,
            "category": category,
            "source_ref": source_ref,
            "superseded": superseded,
        },
    )
    return cert


def _clinician_association(holder: User) -> Association:
    membership = (
        Membership.select()
        .where((Membership.user == holder) & (Membership.role == "clinician"))
        .order_by(Membership.association)
        .first()
    )
    if membership is None or membership.association_id is None:
        raise CertificateError("This person is not a clinician of any association.", "email")
    return membership.association


def _own(actor: Actor | None, holder: User, association: Association) -> None:
    if actor is None:
        return
    if actor.user.id != holder.id or not actor.can("certificates:issue_own", association.id):
        raise NotFound()


@transactional
def issue_progress(
    holder: User,
    association: Association | None = None,
    *,
    category: str | None = None,
    actor: Actor | None = None,
    issuer: User | None = None,
    today: dt.date | None = None,
) -> IssuedCertificate:
    """Issue the holder's progress certificate toward one open pathway."""
    association = association or _clinician_association(holder)
    _own(actor, holder, association)
    today = today or dt.date.today()
    data = sources.progress_data(holder, association, category, today)
    return _store(
        kind="progress",
        data=data,
        renderer=render.render_progress,
        holder=holder,
        association=association,
        issuer=actor.user if actor else issuer,
        title=f"Progress toward {data.category_name} ({data.category_code})",
        category=data.category_code,
        issued_on=today,
    )


@transactional
def issue_transcript(
    holder: User,
    association: Association | None = None,
    *,
    actor: Actor | None = None,
    issuer: User | None = None,
    today: dt.date | None = None,
) -> IssuedCertificate:
    """Issue the holder's transcript of counted trainings."""
    association = association or _clinician_association(holder)
    _own(actor, holder, association)
    today = today or dt.date.today()
    data = sources.transcript_data(holder, association, today)
    return _store(
        kind="transcript",
        data=data,
        renderer=render.render_transcript,
        holder=holder,
        association=association,
        issuer=actor.user if actor else issuer,
        title="Training transcript",
        issued_on=today,
    )


def trainer_of(evidence: Evidence, user: User) -> bool:
    """Tell whether the user recorded or delivered this training row."""
    return user.id in (evidence.created_by_id, evidence.provider_id)


def completions_for(actor: Actor):
    """Return the counted training rows the actor may certify (own trainings; all for managers)."""
    from competencies.types import COUNTED

    query = Evidence.select().where(
        (Evidence.kind == "training") & Evidence.status.in_(sorted(COUNTED))
    )
    managed = actor.association_ids("certificates:manage")
    own = (Evidence.created_by == actor.user) | (Evidence.provider == actor.user)
    trainer_in = actor.association_ids("certificates:issue_completion")
    if managed is None:
        return query
    scope = Evidence.association.in_(managed or [0]) | (
        Evidence.association.in_(trainer_in or [0]) & own
    )
    return query.where(scope)


@transactional
def issue_completion(
    evidence: Evidence,
    *,
    actor: Actor | None = None,
    issuer: User | None = None,
    today: dt.date | None = None,
) -> IssuedCertificate:
    """Issue a completion certificate for one counted training row."""
    if actor is not None:
        manager = actor.can("certificates:manage", evidence.association_id)
        trainer = actor.can(
            "certificates:issue_completion", evidence.association_id
        ) and trainer_of(evidence, actor.user)
        if not (manager or trainer):
            raise NotFound()
    who = actor.user if actor else issuer
    trainer_user = evidence.created_by if evidence.created_by_id else who
    today = today or dt.date.today()
    data = sources.completion_data(evidence, trainer_user, today)
    return _store(
        kind="completion",
        data=data,
        renderer=render.render_completion,
        holder=evidence.clinician,
        association=evidence.association,
        issuer=who,
        title=f"Completion: {data.training_title}",
        source_ref=f"evidence:{evidence.id}",
        issued_on=today,
    )


@transactional
def issue_endorsement(
    endorsement: Endorsement,
    *,
    actor: Actor | None = None,
    issuer: User | None = None,
    today: dt.date | None = None,
) -> IssuedCertificate:
    """Issue the certificate (PDF and signed Open Badges 3.0 credential) of an endorsement."""
    if actor is not None and not actor.can("certificates:manage", endorsement.association_id):
        raise NotFound()
    today = today or dt.date.today()
    data = sources.endorsement_data(endorsement, today)
    association = endorsement.association
    names = category_names(association, endorsement.awarded_on)

    def credential(index: int) -> Callable[[str], tuple[str, str]]:
        def signed(code: str) -> tuple[str, str]:
            doc = badges.build_credential(
                code=code,
                association=association,
                holder=endorsement.clinician,
                category=endorsement.category,
                category_name=names.get(endorsement.category, ""),
                number=endorsement.number,
                awarded_on=endorsement.awarded_on,
                renewal_due=endorsement.renewal_due,
                status_index=index,
            )
            kid, key = keys.active_key(association)
            proof = badges.sign(doc, key, kid=kid, created=utcnow())
            return json.dumps(proof, ensure_ascii=False, indent=2), badges.to_jwt(doc, key, kid=kid)

        return signed

    status.ensure(association)
    tried: set[int] = set()
    for attempt in range(1, INDEX_ATTEMPTS + 1):
        index = status.allocate_index(association, avoid=tried)
        try:
            # A savepoint: a collision with a certificate another issuer committed after our
            # check undoes this attempt only, and the issue goes on with a fresh index.
            with db.atomic():
                return _store(
                    kind="endorsement",
                    data=data,
                    renderer=render.render_endorsement,
                    holder=endorsement.clinician,
                    association=association,
                    issuer=actor.user if actor else issuer,
                    title=f"Endorsement {endorsement.number} ({endorsement.category})",
                    category=endorsement.category,
                    source_ref=f"endorsement:{endorsement.id}",
                    issued_on=today,
                    expires_on=endorsement.renewal_due,
                    credential=credential(index),
                    status_index=index,
                )
        except pw.IntegrityError:
            if attempt == INDEX_ATTEMPTS:
                raise
            tried.add(index)
    raise AssertionError("unreachable")


def find_by_code(text: str) -> IssuedCertificate | None:
    """Return the certificate with this code as typed (case, spaces, O/0 and I/1 forgiven).

    A malformed code runs the same query as a well-formed unknown one, so both take as long.
    """
    code = normalise(text)
    probe = code if is_well_formed(code) else "-" * 16
    return IssuedCertificate.get_or_none(IssuedCertificate.code == probe)


def may_download(actor: Actor, cert: IssuedCertificate) -> bool:
    """Tell whether the actor may download a certificate: holder, issuer of a completion, or
    a manager of its association."""
    if cert.holder_id == actor.user.id:
        return True
    if cert.kind == "completion" and cert.issuer_id == actor.user.id:
        return actor.can("certificates:issue_completion", cert.association_id)
    return actor.can("certificates:manage", cert.association_id)
