"""The tool's RSA keys, one set per association: encrypted at rest, named by kid, rotated.

LTI 1.3 platforms verify the tool's messages (deep-linking responses, service token
requests) with RS256, so these are RSA keys, unlike the Ed25519 keys of certificates. The
private half is a Fernet token under a key derived (HKDF-SHA256, its own `info`) from
LMS_SIGNING_KEY_SECRET; values in LMS_SIGNING_KEY_SECRET_PREVIOUS still decrypt, so the
secret is changed as the certificates' is, then `flask --app lms lti rotate-secret`.
The kid is the key's RFC 7638 thumbprint, the one PyLTI1p3 puts in the JWT header.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from jwcrypto.jwk import JWK

from lms import audit, keyring
from lms.config import ensure_signing_key_secret
from lms.db import transactional
from lms.models import Association, utcnow
from lti.models import ToolKey

_INFO = b"lti:tool-key"
RETIRED_KEYS_SERVED = dt.timedelta(days=7)  # platforms cache a key set for hours, not days


class ToolKeyError(RuntimeError):
    """A tool key cannot be decrypted with any configured secret."""


def init_config(app: Flask) -> None:
    """Refuse to start without LMS_SIGNING_KEY_SECRET outside development (lms.config)."""
    ensure_signing_key_secret(app.config, app.instance_path)


def public_jwk(public_pem: str) -> dict[str, Any]:
    """Return the public JWK of a PEM key, with kid (thumbprint), alg RS256 and use sig."""
    jwk = json.loads(JWK.from_pem(public_pem.encode()).export_public())
    jwk.update(alg="RS256", use="sig")
    return jwk


def _new_row(association: Association) -> ToolKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return ToolKey.create(
        association=association,
        kid=public_jwk(public_pem)["kid"],
        public_pem=public_pem,
        private_key=keyring.sealer(_INFO).encrypt(private_pem).decode(),
    )


def active_key(association: Association) -> tuple[str, str, str]:
    """Return (kid, private PEM, public PEM) of the key that signs now, creating the first.

    Call inside a transaction.
    """
    row = (
        ToolKey.select()
        .where((ToolKey.association == association) & ToolKey.retired_at.is_null())
        .order_by(ToolKey.id.desc())
        .first()
    )
    if row is None:
        row = _new_row(association)
    try:
        private = keyring.opener(_INFO).decrypt(row.private_key.encode()).decode()
    except InvalidToken as exc:
        raise ToolKeyError(
            f"The LTI tool key {row.kid} of association {association.code} cannot be decrypted: "
            "LMS_SIGNING_KEY_SECRET changed and the old value is not listed in "
            "LMS_SIGNING_KEY_SECRET_PREVIOUS."
        ) from exc
    return row.kid, private, row.public_pem


def jwks(association: Association) -> dict[str, list[dict[str, Any]]]:
    """Return the association's public keys as a JWK set: the active key and keys retired
    less than a week ago (a platform may still hold a token signed with one)."""
    since = utcnow() - RETIRED_KEYS_SERVED
    rows = (
        ToolKey.select(ToolKey.public_pem)
        .where(
            (ToolKey.association == association)
            & (ToolKey.retired_at.is_null() | (ToolKey.retired_at > since))
        )
        .order_by(ToolKey.id)
    )
    return {"keys": [public_jwk(r.public_pem) for r in rows]}


@transactional
def ensure_key(association: Association) -> str:
    """Return the kid of the association's active key, creating it if there is none."""
    return active_key(association)[0]


@transactional
def rotate_key(association: Association) -> str:
    """Retire the association's active key and make a new one; return the new kid."""
    retired = [
        r.kid
        for r in ToolKey.select(ToolKey.kid).where(
            (ToolKey.association == association) & ToolKey.retired_at.is_null()
        )
    ]
    ToolKey.update(retired_at=utcnow()).where(
        (ToolKey.association == association) & ToolKey.retired_at.is_null()
    ).execute()
    row = _new_row(association)
    audit.record(
        "lti.key_rotate",
        row,
        association_id=association.id,
        after={"kid": row.kid, "retired": retired},
    )
    return row.kid


@transactional
def rotate_secret() -> int:
    """Re-encrypt every tool key under the current LMS_SIGNING_KEY_SECRET; all or nothing."""
    rows = list(ToolKey.select())
    keyring.reseal(
        rows,
        keyring.opener(_INFO),
        lambda row: ToolKeyError(
            f"The LTI tool key {row.kid} cannot be decrypted with LMS_SIGNING_KEY_SECRET or "
            "LMS_SIGNING_KEY_SECRET_PREVIOUS; nothing was re-encrypted."
        ),
    )
    if rows:
        audit.record("lti.secret_rotate", rows[0], after={"keys": [r.id for r in rows]})
    return len(rows)
