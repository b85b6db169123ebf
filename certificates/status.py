"""The W3C Bitstring Status Lists of each association: an index per credential, signed lists.

Indices are drawn at random among the list's 131,072 bits (so neighbouring credentials do not
reveal each other's order); a certificate keeps its index for life, the same in both lists.
Each signed list (revocation, suspension) is stored and rewritten in the transaction that
changes one of its bits, so the lists, the certificate rows and the 1EdTech revocation list
(read from the same rows) never disagree.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from certificates import badges, keys
from certificates.models import IssuedCertificate, StatusList
from certificates.sources import CertificateError
from lms.db import transactional
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


PURPOSES = (badges.STATUS_PURPOSE, badges.SUSPENSION_PURPOSE)


def revoked_indices(association: Association) -> set[int]:
    return _indices(association, IssuedCertificate.status == "revoked")


def suspended_indices(association: Association) -> set[int]:
    return _indices(
        association,
        (IssuedCertificate.status == "valid") & IssuedCertificate.suspended_at.is_null(False),
    )


def _indices(association: Association, condition) -> set[int]:
    rows = IssuedCertificate.select(IssuedCertificate.status_index).where(
        (IssuedCertificate.association == association)
        & condition
        & IssuedCertificate.status_index.is_null(False)
    )
    return {r.status_index for r in rows}


def write(association: Association, purpose: str = badges.STATUS_PURPOSE) -> StatusList:
    """Sign the association's current list of one purpose and store it (inside the caller's
    write): revocation sets the bits of revoked certificates, suspension those of suspended
    ones that are still valid."""
    now = utcnow()
    indices = (
        suspended_indices(association)
        if purpose == badges.SUSPENSION_PURPOSE
        else revoked_indices(association)
    )
    unsigned = badges.status_list_credential(association, indices, created=now, purpose=purpose)
    kid, key = keys.active_key(association)
    signed = json.dumps(badges.sign(unsigned, key, kid=kid, created=now), ensure_ascii=False)
    row = StatusList.get_or_none(
        (StatusList.association == association) & (StatusList.purpose == purpose)
    )
    if row is None:
        return StatusList.create(
            association=association, purpose=purpose, credential=signed, updated_at=now
        )
    row.credential = signed
    row.updated_at = now
    row.save()
    return row


def ensure(association: Association) -> None:
    """Create the association's status lists (revocation, suspension) it has not got yet."""
    have = {
        r.purpose
        for r in StatusList.select(StatusList.purpose).where(StatusList.association == association)
    }
    for purpose in PURPOSES:
        if purpose not in have:
            write(association, purpose)


@transactional
def publish_missing(association: Association, purpose: str) -> dict[str, Any] | None:
    """Write a list of this purpose if the association has none yet; return it."""
    if purpose not in PURPOSES:
        return None
    ensure(association)
    return current(association, purpose)


def current(
    association: Association, purpose: str = badges.STATUS_PURPOSE
) -> dict[str, Any] | None:
    row = StatusList.get_or_none(
        (StatusList.association == association) & (StatusList.purpose == purpose)
    )
    return json.loads(row.credential) if row else None


def bit(credential: dict[str, Any], index: int) -> bool:
    """Read one bit of a BitstringStatusListCredential's encodedList."""
    import base64
    import gzip

    encoded = credential["credentialSubject"]["encodedList"]
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return bool(raw[index // 8] & (0x80 >> (index % 8)))
