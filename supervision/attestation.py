"""The attestation of a session: an e-signature over its canonical content.

A provider signs with their password; the signature records the meaning and a SHA-256 of the
content, and the session's evidence is written through the competencies ledger in the caller's
transaction. `check_signatures` finds and voids signatures whose content changed.
"""

from __future__ import annotations

import hashlib
import json

from competencies import ledger
from competencies.models import Evidence
from lms import audit
from lms.db import transactional
from lms.models import User, utcnow
from lms.security import check_password
from supervision.credentials import credentials_of
from supervision.models import MEANING, RscSession
from supervision.rules import SupervisionConflict, SupervisionError

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


def sign(session: RscSession, provider: User) -> RscSession:
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


def check_signer(provider: User, password: str) -> None:
    if not check_password(provider.password_hash, password or ""):
        raise SupervisionError("The password is not correct; nothing was signed.", "password")


def unsign(session: RscSession, *, reason: str, actor: User, new_status: str) -> None:
    """Void the attestation and its evidence (inside the caller's transaction)."""
    if session.evidence_id is not None:
        row = Evidence.get_by_id(session.evidence_id)
        if row.status != "void":
            ledger.void(row, reason=reason, actor=actor)
    session.status = new_status
    session.signed_name, session.signed_at, session.meaning, session.content_hash = "", None, "", ""
    session.evidence = None


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
        unsign(
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
