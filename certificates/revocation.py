"""Revoke, suspend and reinstate issued certificates; each call is one audited transaction.

A revoked certificate keeps verifying, as REVOKED, and revocation is final. Suspension is for
endorsement certificates only and is undone by `reinstate`. Each change rewrites the
association's signed status list in the same transaction. Object checks answer 404.
"""

from __future__ import annotations

from certificates import badges, status
from certificates.codes import display
from certificates.models import IssuedCertificate
from certificates.sources import CertificateError
from lms import audit
from lms.db import is_sqlite, transactional
from lms.duties import refuse_own
from lms.errors import NotFound
from lms.models import User, utcnow
from lms.permissions import Actor

__all__ = ["MAX_REASON", "reinstate", "revoke", "suspend"]

MAX_REASON = 500


@transactional
def revoke(
    cert: IssuedCertificate,
    *,
    reason: str,
    actor: Actor | None = None,
    revoker: User | None = None,
) -> IssuedCertificate:
    """Revoke a certificate with a reason; it keeps verifying, as REVOKED. Final: a suspended
    certificate may be revoked, a revoked one is never reinstated."""
    if actor is not None and not actor.can("certificates:manage", cert.association_id):
        raise NotFound()
    reason = _reason(reason, "revoking")
    if cert.status == "revoked":
        raise CertificateError("This certificate is already revoked.", "code")
    before = {"status": cert.status}
    was_suspended = cert.suspended_at is not None
    if was_suspended:
        before["suspended_reason"] = cert.suspended_reason
    who = actor.user if actor else revoker
    cert.status = "revoked"
    cert.revoked_reason = reason
    cert.revoked_by = who
    cert.revoked_at = utcnow()
    cert.save()
    if cert.status_index is not None:
        status.write(cert.association)  # the signed status list, in this same transaction
        if was_suspended:  # only valid certificates are listed as suspended
            status.write(cert.association, badges.SUSPENSION_PURPOSE)
    audit.record(
        "certificate.revoke",
        cert,
        actor=who,
        association_id=cert.association_id,
        before=before,
        after={"status": "revoked", "reason": reason, "code": display(cert.code)},
    )
    return cert


def _reason(text: str, doing: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise CertificateError(f"Give the reason for {doing}.", "reason")
    if len(reason) > MAX_REASON:
        raise CertificateError(f"Keep the reason under {MAX_REASON} characters.", "reason")
    return reason


def _fresh(cert: IssuedCertificate) -> IssuedCertificate:
    """Read the row again inside the write (locked on PostgreSQL; SQLite's write lock is held)."""
    query = IssuedCertificate.select().where(IssuedCertificate.id == cert.id)
    return (query if is_sqlite() else query.for_update()).get()


def _suspendable(cert: IssuedCertificate, actor: Actor | None) -> None:
    if actor is not None and not actor.can("certificates:manage", cert.association_id):
        raise NotFound()
    if cert.status == "revoked":
        raise CertificateError("This certificate is revoked; revocation is final.", "code")
    if cert.status != "valid":
        raise CertificateError("Only a valid certificate can be suspended or reinstated.", "code")
    if cert.kind != "endorsement":
        raise CertificateError("Only an endorsement certificate can be suspended.", "code")


@transactional
def suspend(
    cert: IssuedCertificate,
    *,
    reason: str,
    actor: Actor | None = None,
    suspender: User | None = None,
) -> IssuedCertificate:
    """Suspend an endorsement certificate with a reason (e.g. pending an ethics review).

    It verifies as SUSPENDED with the date and reason, and its bit is set in the association's
    suspension status list, in this transaction; `reinstate` undoes it.
    """
    _suspendable(cert, actor)
    refuse_own(
        actor or suspender,
        cert.holder_id,
        "suspend your own certificate",
        error=CertificateError,
        field="reason",
        then="another coordinator of your association decides it",
    )
    reason = _reason(reason, "suspending")
    cert = _fresh(cert)
    _suspendable(cert, None)  # read again inside the write: a concurrent change is seen
    if cert.suspended_at is not None:
        raise CertificateError("This certificate is already suspended.", "code")
    who = actor.user if actor else suspender
    cert.suspended_at = utcnow()
    cert.suspended_reason = reason
    cert.suspended_by = who
    cert.save()
    if cert.status_index is not None:
        status.write(cert.association, badges.SUSPENSION_PURPOSE)
    audit.record(
        "certificate.suspend",
        cert,
        actor=who,
        association_id=cert.association_id,
        before={"suspended": False},
        after={"suspended": True, "reason": reason, "code": display(cert.code)},
    )
    return cert


@transactional
def reinstate(
    cert: IssuedCertificate,
    *,
    actor: Actor | None = None,
    reinstater: User | None = None,
    reason: str = "",
) -> IssuedCertificate:
    """Lift a certificate's suspension; it verifies as VALID again and leaves the list."""
    _suspendable(cert, actor)
    refuse_own(
        actor or reinstater,
        cert.holder_id,
        "reinstate your own certificate",
        error=CertificateError,
        field="reason",
        then="another coordinator of your association decides it",
    )
    cert = _fresh(cert)
    _suspendable(cert, None)
    if cert.suspended_at is None:
        raise CertificateError("This certificate is not suspended.", "code")
    who = actor.user if actor else reinstater
    before = {"suspended": True, "reason": cert.suspended_reason}
    cert.suspended_at = None
    cert.suspended_reason = ""
    cert.suspended_by = None
    cert.save()
    if cert.status_index is not None:
        status.write(cert.association, badges.SUSPENSION_PURPOSE)
    after = {"suspended": False, "code": display(cert.code)}
    if reason.strip():
        after["reason"] = " ".join(reason.split())[:MAX_REASON]
    audit.record(
        "certificate.reinstate",
        cert,
        actor=who,
        association_id=cert.association_id,
        before=before,
        after=after,
    )
    return cert
