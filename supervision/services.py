"""Supervision sessions: log, enter for attendees, attest, reject, change and withdraw.

Each public write is one transaction with its audit rows; attested sessions write their
evidence through the competencies ledger in that same transaction. The shared checks live in
`supervision.rules`, credentials in `supervision.credentials` and the e-signature in
`supervision.attestation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.models import Association, User, utcnow
from supervision.attestation import check_signer, sign, unsign
from supervision.models import RscSession
from supervision.rules import (
    SessionInput,
    SupervisionConflict,
    SupervisionError,
    check_input,
    has_role,
)

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
    check_signer(provider, password)
    sessions = []
    for clinician in attendees:
        # A private note is the clinician's own; a provider's entry never carries one.
        shared = replace(data, private_note="")
        session = _create(
            clinician, provider, association, shared, entered_by=provider, action="enter"
        )
        sessions.append(sign(session, provider))
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
    check_signer(provider, password)
    return [sign(session, provider) for session in sessions]


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
        unsign(session, reason="session changed after attestation", actor=actor, new_status="")
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
    unsign(session, reason="session withdrawn by the clinician", actor=actor, new_status="void")
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
