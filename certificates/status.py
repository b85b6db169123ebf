"""The W3C Bitstring Status List of each association: an index per credential, a signed list.

Indices are drawn at random among the list's 131,072 bits (so neighbouring credentials do not
reveal each other's order); a certificate keeps its index for life. The signed list is stored
and rewritten in the transaction that revokes a certificate, so the list, the certificate row
and the 1EdTech revocation list (read from the same rows) never disagree.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from certificates import badges, keys
from certificates.models import IssuedCertificate, StatusList
from certificates.sources import CertificateError
from lms.models import Association, utcnow

MAX_DRAWS = 10_000


def index_taken(association: Association, index: int) -> bool:
    """Tell whether a visible certificate of the association holds this index."""
    return (
        IssuedCertificate.select()
        .where(
            (IssuedCertificate.association == association)
            & (IssuedCertificate.status_index == index)
        )
        .exists()
    )


def allocate_index(association: Association, avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """Return an index no visible certificate of the association holds, nor one in `avoid`.

    Another issuer's uncommitted certificate is invisible here, so the insert may still collide
    on the unique (association, status_index): the issuer then draws again (issuing.py).
    """
    for _ in range(MAX_DRAWS):
        index = secrets.randbelow(badges.STATUS_LIST_BITS)
        if index not in avoid and not index_taken(association, index):
            return index
    raise CertificateError("The association's status list has no free index left.", "code")


def revoked_indices(association: Association) -> set[int]:
    rows = IssuedCertificate.select(IssuedCertificate.status_index).where(
        (IssuedCertificate.association == association)
        & (IssuedCertificate.status == "revoked")
        & IssuedCertificate.status_index.is_null(False)
    )
    return {r.status_index for r in rows}


def write(association: Association) -> StatusList:
    """Sign the association's current revocation list and store it (inside the caller's write)."""
    now = utcnow()
    unsigned = badges.status_list_credential(association, revoked_indices(association), created=now)
    kid, key = keys.active_key(association)
    signed = json.dumps(badges.sign(unsigned, key, kid=kid, created=now), ensure_ascii=False)
    row = StatusList.get_or_none(
        (StatusList.association == association) & (StatusList.purpose == badges.STATUS_PURPOSE)
    )
    if row is None:
        return StatusList.create(
            association=association,
            purpose=badges.STATUS_PURPOSE,
            credential=signed,
            updated_at=now,
        )
    row.credential = signed
    row.updated_at = now
    row.save()
    return row


def ensure(association: Association) -> None:
    """Create the association's status list if it has none yet."""
    exists = StatusList.select().where(
        (StatusList.association == association) & (StatusList.purpose == badges.STATUS_PURPOSE)
    )
    if not exists.exists():
        write(association)


def current(association: Association) -> dict[str, Any] | None:
    row = StatusList.get_or_none(
        (StatusList.association == association) & (StatusList.purpose == badges.STATUS_PURPOSE)
    )
    return json.loads(row.credential) if row else None


def bit(credential: dict[str, Any], index: int) -> bool:
    """Read one bit of a BitstringStatusListCredential's encodedList."""
    import base64
    import gzip

    encoded = credential["credentialSubject"]["encodedList"]
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return bool(raw[index // 8] & (0x80 >> (index % 8)))
