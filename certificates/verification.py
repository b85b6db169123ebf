"""What the public may learn about a certificate: name, document, dates, status, hash."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass

from certificates import badges, status
from certificates.codes import display
from certificates.models import STATUS_LABELS, IssuedCertificate
from competencies.endorsements import category_names

STATUS_WORDS = {code: name.upper() for code, name in STATUS_LABELS.items()}


@dataclass(frozen=True)
class PublicRecord:
    """The only fields verification shows; nothing about evidence, no email."""

    code: str
    holder_name: str
    kind: str
    document: str
    title: str
    category: str
    category_name: str
    issuer: str
    issued_on: str
    expires_on: str | None
    status: str
    revoked_on: str | None
    revoked_reason: str | None
    sha256: str
    superseded_by: str | None = None  # the code of the certificate that replaced this one
    # endorsement: "revoked", "suspended" or "active", read from the published status lists
    credential_status: str | None = None
    suspended_on: str | None = None
    suspended_reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def public_record(cert: IssuedCertificate) -> PublicRecord:
    """Return what the verify page and API show for a certificate."""
    names = category_names(cert.association, cert.issued_on) if cert.category else {}
    revoked = cert.status == "revoked"
    suspended = cert.status == "valid" and cert.suspended_at is not None
    word = "SUSPENDED" if suspended else STATUS_WORDS.get(cert.status, cert.status.upper())
    return PublicRecord(
        code=display(cert.code),
        holder_name=cert.holder.display_name,
        kind=cert.kind,
        document=cert.kind_word,
        title=cert.title,
        category=cert.category,
        category_name=names.get(cert.category, ""),
        issuer=cert.association.name,
        issued_on=cert.issued_on.isoformat(),
        expires_on=cert.expires_on.isoformat() if cert.expires_on else None,
        status=word,
        revoked_on=cert.revoked_at.date().isoformat() if revoked and cert.revoked_at else None,
        revoked_reason=cert.revoked_reason if revoked else None,
        sha256=cert.sha256,
        superseded_by=_replacement(cert),
        credential_status=list_status(cert),
        suspended_on=cert.suspended_at.date().isoformat() if suspended else None,
        suspended_reason=cert.suspended_reason if suspended else None,
    )


def _replacement(cert: IssuedCertificate) -> str | None:
    """Return the code of the newest certificate in the chain that replaced this one."""
    seen = {cert.id}
    current = cert
    while current.superseded_by_id and current.superseded_by_id not in seen:
        seen.add(current.superseded_by_id)
        current = IssuedCertificate.get_by_id(current.superseded_by_id)
    return display(current.code) if current.id != cert.id else None


def list_status(cert: IssuedCertificate) -> str | None:
    """Read the certificate's bits in its association's published status lists."""
    if cert.status_index is None:
        return None
    published = status.current(cert.association)
    if published is None:
        return None
    if status.bit(published, cert.status_index):
        return "revoked"
    suspension = status.current(cert.association, badges.SUSPENSION_PURPOSE)
    if suspension is not None and status.bit(suspension, cert.status_index):
        return "suspended"
    return "active"


def matches(cert: IssuedCertificate, content: bytes) -> bool:
    """Tell whether uploaded bytes are exactly the issued PDF (compared by SHA-256)."""
    return hmac.compare_digest(hashlib.sha256(content).hexdigest(), cert.sha256)
