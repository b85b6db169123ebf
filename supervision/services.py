"""Supervision services: credentials, sessions, attestation (an e-signature), edits and checks.

Each public write is one transaction with its audit rows; attested sessions write their
evidence through the competencies ledger in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import peewee as pw

from competencies import ledger
from competencies.endorsements import active_credentials, category_names
from competencies.models import Evidence
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.errors import ServiceError
from lms.models import Association, Membership, User, utcnow
from lms.security import check_password
from supervision.models import FORMATS, MEANING, ProviderCredential, RscSession

EARLIEST = dt.date(1990, 1, 1)
MAX_HOURS = 24.0
MAX_NOTE = 2000
EXTRA_CODES = {"IFS:master": "Infant Family Specialist with a master's degree"}


class SupervisionError(ServiceError, ValueError):
    """A request cannot be done as asked; `field` names the input at fault."""


class SupervisionConflict(SupervisionError):
    """The record's state forbids the change (e.g. editing an attested session by API)."""

    status = 409


@dataclass(frozen=True)
class SessionInput:
    """What a session says, as typed: validated by `check_input`."""

    occurred_on: dt.date | None
    hours: float | None
    format: str = "individual"
    facilitated: bool = False
    group_size: int | None = None
    about_giving_rsc: bool = False
    private_note: str = ""


# --- checks ---------------------------------------------------------------------------------


def check_hours(hours: object) -> float:
    """Return the hours if they are quarter-hour steps from 0.25 to 24, else raise."""
    bad = SupervisionError(
        "Enter the duration in quarter hours from 0.25 to 24 (for example 1.5).", "hours"
    )
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise bad
    value = float(hours)
    if not math.isfinite(value) or value < 0.25 or value > MAX_HOURS:
        raise bad
    if abs(value * 4 - round(value * 4)) > 1e-9:
        raise bad
    return round(value * 4) / 4


def check_input(data: SessionInput, today: dt.date) -> SessionInput:
    """Return the input normalised, or raise SupervisionError naming the field at fault."""
    if data.occurred_on is None:
        raise SupervisionError("Enter the date of the session.", "occurred_on")
    if data.occurred_on > today:
        raise SupervisionError("The date is in the future; log sessions once held.", "occurred_on")
    if data.occurred_on < EARLIEST:
        raise SupervisionError("The date is before 1990; check the year.", "occurred_on")
    hours = check_hours(data.hours)
    if data.format not in FORMATS:
        raise SupervisionError("Choose individual, group or peer group.", "format")
    group_size = data.group_size
    facilitated = bool(data.facilitated)
    if data.format == "individual":
        group_size, facilitated = None, False
    else:
        if group_size is None or isinstance(group_size, bool) or not isinstance(group_size, int):
            raise SupervisionError("Enter how many people took part (2 or more).", "group_size")
        if group_size < 2:
            raise SupervisionError("A group has at least 2 people.", "group_size")
        if group_size > 100:
            raise SupervisionError("A group of more than 100 cannot be right.", "group_size")
        if data.format == "peer":
            facilitated = False
    note = (data.private_note or "").strip()
    if len(note) > MAX_NOTE:
        raise SupervisionError(f"Keep the note under {MAX_NOTE} characters.", "private_note")
    return SessionInput(
        data.occurred_on, hours, data.format, facilitated, group_size, data.about_giving_rsc, note
    )


def has_role(user: User, association: Association | int, role: str) -> bool:
    """Tell whether the user holds a role in the association."""
    return (
        Membership.select()
        .where(
            (Membership.user == user)
            & (Membership.association == association)
            & (Membership.role == role)
        )
        .exists()
    )


def providers_of(association: Association | int) -> pw.ModelSelect:
    """Return the association's RSC providers, by name."""
    return (
        User.select()
        .join(Membership)
        .where(
            (Membership.association == association)
            & (Membership.role == "rsc_provider")
            & (User.active == True)  # noqa: E712
        )
        .order_by(User.display_name)
    )


def clinicians_of(association: Association | int) -> pw.ModelSelect:
    """Return the association's clinicians, by name."""
    return (
        User.select()
        .join(Membership)
        .where(
            (Membership.association == association)
            & (Membership.role == "clinician")
            & (User.active == True)  # noqa: E712
        )
        .order_by(User.display_name)
    )


# --- credentials ----------------------------------------------------------------------------


def credential_names(association: Association, today: dt.date | None = None) -> dict[str, str]:
    """Return the credential codes a provider may hold, with their names."""
    names = category_names(association, today or dt.date.today())
    names.update(EXTRA_CODES)
    return names


def credentials_of(provider: User, association: Association | int) -> list[str]:
    """Return the provider's credentials now: recorded ones plus active endorsements."""
    recorded = ProviderCredential.select(ProviderCredential.code).where(
        (ProviderCredential.provider == provider)
        & (ProviderCredential.association == association)
        & ProviderCredential.revoked_at.is_null()
        & (ProviderCredential.valid_from <= dt.date.today())
    )
    codes = {row.code for row in recorded}
    codes.update(active_credentials(provider, association))
    return sorted(codes)


@transactional
def record_credential(
    provider: User,
    association: Association,
    code: str,
    valid_from: dt.date,
    *,
    actor: User,
    today: dt.date | None = None,
) -> ProviderCredential:
    """Record that a provider holds a credential (an endorsement category or add-on)."""
    today = today or dt.date.today()
    refuse_own(
        actor,
        provider,
        "record your own credential",
        error=SupervisionError,
        field="provider",
        then="another coordinator of your association records it",
    )
    if not has_role(provider, association, "rsc_provider"):
        raise SupervisionError("This person is not an RSC provider of the association.", "provider")
    code = (code or "").strip()
    if code not in credential_names(association, today):
        raise SupervisionError(f"Unknown credential {code!r}.", "code")
    if valid_from is None or valid_from > today or valid_from < EARLIEST:
        raise SupervisionError("Enter a date between 1990 and today.", "valid_from")
    if (
        ProviderCredential.select()
        .where(
            (ProviderCredential.provider == provider)
            & (ProviderCredential.association == association)
            & (ProviderCredential.code == code)
            & ProviderCredential.revoked_at.is_null()
        )
        .exists()
    ):
        raise SupervisionError("The provider already holds this credential.", "code")
    row = ProviderCredential.create(
        provider=provider,
        association=association,
        code=code,
        valid_from=valid_from,
        recorded_by=actor,
    )
    audit.record(
        "rsc_credential.record",
        row,
        actor=actor,
        association_id=association.id,
        after={"provider": provider.id, "code": code, "valid_from": valid_from},
    )
    return row


@transactional
def revoke_credential(row: ProviderCredential, *, actor: User) -> ProviderCredential:
    """Revoke a recorded credential; sessions attested before keep what they recorded."""
    now = utcnow()
    updated = (
        ProviderCredential.update(revoked_at=now)
        .where((ProviderCredential.id == row.id) & ProviderCredential.revoked_at.is_null())
        .execute()
    )
    if not updated:
        raise SupervisionError("This credential is already revoked.", "code")
    row.revoked_at = now
    audit.record(
        "rsc_credential.revoke",
        row,
        actor=actor,
        association_id=row.association_id,
        after={"revoked_at": now},
    )
    return row


# --- the signature --------------------------------------------------------------------------


def attested_content(session: RscSession) -> dict:
    """Return the canonical content an attestation signs."""
    return {
        "session": session.id,
        "clinician": session.clinician_id,
        "provider": session.provider_id,
        "association": session.association_id,
        "date": session.occurred_on.isoformat(),
        "hours": f"{float(session.hours):.2f}",
        "format": session.format,
        "facilitated": bool(session.facilitated),
        "group_size": session.group_size,
        "about_giving_rsc": bool(session.about_giving_rsc),
        "meaning": MEANING,
    }


def content_hash(session: RscSession) -> str:
    """Return the SHA-256 of the canonical attested content."""
    payload = json.dumps(attested_content(session), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def signature_valid(session: RscSession) -> bool:
    """Tell whether an attested session still matches what its provider signed."""
    return (
        session.status == "attested"
        and session.signed_at is not None
        and session.meaning == MEANING
        and bool(session.content_hash)
        and session.content_hash == content_hash(session)
    )


def _session_details(session: RscSession, credentials: list[str], provider: User) -> dict:
    return {
        "format": session.format,
        "facilitated": bool(session.facilitated),
        "group_size": session.group_size,
        "about_giving_rsc": bool(session.about_giving_rsc),
        "provider_credentials": list(credentials),
        "provider_name": provider.display_name,
    }


def _sign(session: RscSession, provider: User) -> RscSession:
    """Sign a pending session and write its evidence (inside the caller's transaction)."""
    now = utcnow()
    digest = content_hash(session)
    updated = (
        RscSession.update(
            status="attested",
            signed_name=provider.display_name,
            signed_at=now,
            meaning=MEANING,
            content_hash=digest,
            reject_reason="",
            updated_at=now,
        )
        .where((RscSession.id == session.id) & (RscSession.status == "pending"))
        .execute()
    )
    if not updated:
        raise SupervisionConflict("Someone decided on this session in the meantime.", "session")
    credentials = credentials_of(provider, session.association_id)
    evidence = ledger.record(
        clinician=session.clinician,
        association=session.association,
        kind="rsc",
        occurred_on=session.occurred_on,
        status="attested",
        source="supervision",
        hours=session.hours,
        provider=provider,
        details=_session_details(session, credentials, provider),
        label=f"Reflective supervision with {provider.display_name}",
        source_ref=f"session:{session.id}",
        actor=provider,
    )
    RscSession.update(evidence=evidence).where(RscSession.id == session.id).execute()
    session.status, session.signed_name, session.signed_at = "attested", provider.display_name, now
    session.meaning, session.content_hash, session.evidence = MEANING, digest, evidence
    session.reject_reason = ""
    audit.record(
        "rsc_session.attest",
        session,
        actor=provider,
        association_id=session.association_id,
        before={"status": "pending"},
        after={
            "status": "attested",
            "signed_name": provider.display_name,
            "signed_at": now,
            "meaning": MEANING,
            "content_hash": digest,
            "provider_credentials": credentials,
        },
    )
    return session


def _check_signer(provider: User, password: str) -> None:
    if not check_password(provider.password_hash, password or ""):
        raise SupervisionError("The password is not correct; nothing was signed.", "password")


def _unsign(session: RscSession, *, reason: str, actor: User, new_status: str) -> None:
    """Void the attestation and its evidence (inside the caller's transaction)."""
    if session.evidence_id is not None:
        row = Evidence.get_by_id(session.evidence_id)
        if row.status != "void":
            ledger.void(row, reason=reason, actor=actor)
    session.status = new_status
    session.signed_name, session.signed_at, session.meaning, session.content_hash = "", None, "", ""
    session.evidence = None


# --- sessions -------------------------------------------------------------------------------


def _snapshot(session: RscSession) -> dict:
    return {
        "clinician": session.clinician_id,
        "provider": session.provider_id,
        "occurred_on": session.occurred_on,
        "hours": session.hours,
        "format": session.format,
        "facilitated": session.facilitated,
        "group_size": session.group_size,
        "about_giving_rsc": session.about_giving_rsc,
        "status": session.status,
    }


def _check_pair(clinician: User, provider: User, association: Association) -> None:
    if not has_role(clinician, association, "clinician"):
        raise SupervisionError("The person is not a clinician of this association.", "clinician")
    if not has_role(provider, association, "rsc_provider"):
        raise SupervisionError("Choose an RSC provider of your association.", "provider")
    refuse_own(
        provider,
        clinician,
        "be your own RSC provider",
        error=SupervisionError,
        field="provider",
        then="choose the provider who gave you the session",
    )


@transactional
def log_session(
    clinician: User,
    association: Association,
    provider: User,
    data: SessionInput,
    *,
    today: dt.date | None = None,
) -> RscSession:
    """Log a session the clinician received; it is pending until the provider attests it."""
    data = check_input(data, today or dt.date.today())
    _check_pair(clinician, provider, association)
    return _create(clinician, provider, association, data, entered_by=clinician, action="log")


def _create(
    clinician: User,
    provider: User,
    association: Association,
    data: SessionInput,
    *,
    entered_by: User,
    action: str,
) -> RscSession:
    """Store one checked session and audit it as `rsc_session.<action>`."""
    session = RscSession.create(
        clinician=clinician,
        provider=provider,
        association=association,
        occurred_on=data.occurred_on,
        hours=data.hours,
        format=data.format,
        facilitated=data.facilitated,
        group_size=data.group_size,
        about_giving_rsc=data.about_giving_rsc,
        private_note=data.private_note,
        entered_by=entered_by,
    )
    audit.record(
        f"rsc_session.{action}",
        session,
        actor=entered_by,
        association_id=association.id,
        after=_snapshot(session),
    )
    return session


@transactional
def enter_for_attendees(
    provider: User,
    association: Association,
    attendees: Iterable[User],
    data: SessionInput,
    *,
    password: str,
    today: dt.date | None = None,
) -> list[RscSession]:
    """Enter one session for each attendee, attested at once with the provider's signature."""
    attendees = list({u.id: u for u in attendees}.values())
    data = check_input(data, today or dt.date.today())
    if not attendees:
        raise SupervisionError("Choose at least one attendee.", "attendees")
    if data.format == "individual" and len(attendees) > 1:
        raise SupervisionError("An individual session has one attendee.", "attendees")
    if data.group_size is not None and data.group_size < len(attendees):
        raise SupervisionError(
            f"The group size is smaller than the {len(attendees)} attendees chosen.", "group_size"
        )
    for clinician in attendees:
        _check_pair(clinician, provider, association)
    _check_signer(provider, password)
    sessions = []
    for clinician in attendees:
        # A private note is the clinician's own; a provider's entry never carries one.
        shared = replace(data, private_note="")
        session = _create(
            clinician, provider, association, shared, entered_by=provider, action="enter"
        )
        sessions.append(_sign(session, provider))
    return sessions


def _check_attestable(session: RscSession, provider: User) -> None:
    refuse_own(
        provider,
        session.clinician_id,
        "attest your own session",
        error=SupervisionError,
        field="session",
        then="it stays pending for another provider",
    )
    if session.provider_id != provider.id:
        raise SupervisionError(
            f"The session of {session.occurred_on.isoformat()} was logged with another "
            "provider; only that provider can attest it.",
            "session",
        )
    if not has_role(provider, session.association_id, "rsc_provider"):
        raise SupervisionError("You are not an RSC provider of this association.", "session")
    if session.status != "pending":
        raise SupervisionConflict(
            f"The session of {session.occurred_on.isoformat()} is {session.status}, not pending.",
            "session",
        )


@transactional
def attest(sessions: Iterable[RscSession], *, provider: User, password: str) -> list[RscSession]:
    """Sign pending sessions the provider gave (one or many): all of them or none."""
    sessions = list(sessions)
    if not sessions:
        raise SupervisionError("Choose at least one session to attest.", "session")
    for session in sessions:
        _check_attestable(session, provider)
    _check_signer(provider, password)
    return [_sign(session, provider) for session in sessions]


@transactional
def reject(session: RscSession, *, provider: User, reason: str) -> RscSession:
    """Refuse to attest a pending session; the clinician sees the reason."""
    _check_attestable(session, provider)
    reason = (reason or "").strip()
    if not reason:
        raise SupervisionError("Say why you reject the session; the clinician sees it.", "reason")
    if len(reason) > 500:
        raise SupervisionError("Keep the reason under 500 characters.", "reason")
    updated = (
        RscSession.update(status="rejected", reject_reason=reason, updated_at=utcnow())
        .where((RscSession.id == session.id) & (RscSession.status == "pending"))
        .execute()
    )
    if not updated:
        raise SupervisionConflict("Someone decided on this session in the meantime.", "session")
    session.status, session.reject_reason = "rejected", reason
    audit.record(
        "rsc_session.reject",
        session,
        actor=provider,
        association_id=session.association_id,
        before={"status": "pending"},
        after={"status": "rejected", "reason": reason},
    )
    return session


@transactional
def update_session(
    session: RscSession,
    data: SessionInput,
    *,
    actor: User,
    provider: User | None = None,
    allow_attested: bool = True,
    today: dt.date | None = None,
) -> RscSession:
    """Change the clinician's own session; an attested one loses its attestation and evidence.

    A rejected session goes back to pending too: the provider sees it again.
    """
    if session.clinician_id != actor.id:
        raise SupervisionError("Only the clinician who received the session can change it.")
    if session.status == "void":
        raise SupervisionConflict("This session was withdrawn; log a new one.", "session")
    if session.status == "attested" and not allow_attested:
        raise SupervisionConflict(
            "This session is attested; changing it would void the provider's signature. "
            "Change it on the session page, where you confirm that.",
            "session",
        )
    data = check_input(data, today or dt.date.today())
    provider = provider or session.provider
    _check_pair(actor, provider, session.association)
    before = _snapshot(session)
    if session.status == "attested":
        _unsign(session, reason="session changed after attestation", actor=actor, new_status="")
    session.provider = provider
    session.occurred_on, session.hours, session.format = data.occurred_on, data.hours, data.format
    session.facilitated, session.group_size = data.facilitated, data.group_size
    session.about_giving_rsc, session.private_note = data.about_giving_rsc, data.private_note
    session.status, session.reject_reason, session.updated_at = "pending", "", utcnow()
    session.save()
    audit.record(
        "rsc_session.update",
        session,
        actor=actor,
        association_id=session.association_id,
        before=before,
        after=_snapshot(session),
    )
    return session


@transactional
def withdraw(session: RscSession, *, actor: User) -> RscSession:
    """Withdraw the clinician's own session (voiding any attestation and evidence)."""
    if session.clinician_id != actor.id:
        raise SupervisionError("Only the clinician who received the session can withdraw it.")
    if session.status == "void":
        raise SupervisionConflict("This session is already withdrawn.", "session")
    before = {"status": session.status}
    _unsign(session, reason="session withdrawn by the clinician", actor=actor, new_status="void")
    session.status, session.updated_at = "void", utcnow()
    session.save()
    audit.record(
        "rsc_session.withdraw",
        session,
        actor=actor,
        association_id=session.association_id,
        before=before,
        after={"status": "void"},
    )
    return session


@transactional
def check_signatures(*, actor: User | None = None) -> list[RscSession]:
    """Find attested sessions whose content no longer matches the signature and void them.

    Their evidence is voided and they go back to pending, for the provider to sign again.
    """
    broken = []
    for session in RscSession.select().where(RscSession.status == "attested").iterator():
        if signature_valid(session):
            continue
        stored = session.content_hash
        _unsign(
            session,
            reason="content changed after the provider signed it",
            actor=actor,
            new_status="pending",
        )
        session.status, session.updated_at = "pending", utcnow()
        session.save()
        audit.record(
            "rsc_session.signature_invalid",
            session,
            actor=actor,
            association_id=session.association_id,
            before={"status": "attested", "content_hash": stored},
            after={"status": "pending", "content_hash": content_hash(session)},
        )
        broken.append(session)
    return broken
