"""Association signing keys: encrypted with LMS_SIGNING_KEY_SECRET, named by key ids, rotated.

The private halves are Fernet tokens under a key derived from LMS_SIGNING_KEY_SECRET. Values
listed in LMS_SIGNING_KEY_SECRET_PREVIOUS are still accepted for decryption, so changing the
secret is: set the new value, move the old one to the previous list, run
`flask --app lms certificates rotate-secret` (re-encrypts every key), then drop the old value.
Keys written before key ids existed were encrypted with the session secret; that is accepted
for decryption too, until rotate-secret rewrites them.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

from certificates.models import SigningKey
from lms import audit, keyring
from lms.config import ensure_signing_key_secret
from lms.db import transactional
from lms.models import Association, utcnow


class SigningKeyError(RuntimeError):
    """A signing key cannot be decrypted with any configured secret; the message says why."""


# --- configuration ------------------------------------------------------------------------------

_PURPOSE = b"certificates:signing-key-secret"
_LEGACY_PURPOSE = b"certificates:signing-keys"  # keys sealed with the session secret, before


def init_config(app: Flask) -> None:
    """Refuse to start without a signing-key secret outside development (lms.config)."""
    ensure_signing_key_secret(app.config, app.instance_path)


def _current() -> Fernet:
    return keyring.sealer(_PURPOSE)


def _accepted() -> MultiFernet:
    """The current secret first (it encrypts), then every previous one, then the legacy
    session-secret derivation of keys written before LMS_SIGNING_KEY_SECRET existed."""
    legacy = current_app.config.get("SECRET_KEY")
    return keyring.opener(_PURPOSE, *([keyring.fernet(legacy, _LEGACY_PURPOSE)] if legacy else []))


# --- keys ---------------------------------------------------------------------------------------


def _decrypt(row: SigningKey) -> Ed25519PrivateKey:
    try:
        raw = _accepted().decrypt(row.private_key.encode())
    except InvalidToken as exc:
        raise SigningKeyError(
            f"The signing key {row.kid} of association {row.association_id} cannot be "
            "decrypted: LMS_SIGNING_KEY_SECRET changed and the old value is not listed in "
            "LMS_SIGNING_KEY_SECRET_PREVIOUS."
        ) from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


def _new_row(association: Association, kid: str) -> tuple[SigningKey, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    row = SigningKey.create(
        association=association,
        kid=kid,
        public_key=key.public_key().public_bytes_raw().hex(),
        private_key=_current().encrypt(key.private_bytes_raw()).decode(),
    )
    return row, key


def _next_kid(association: Association) -> str:
    numbers = [
        int(k.kid.removeprefix("key-"))
        for k in SigningKey.select(SigningKey.kid).where(SigningKey.association == association)
        if k.kid.removeprefix("key-").isdigit()
    ]
    return f"key-{max(numbers, default=0) + 1}"


def active_key(association: Association) -> tuple[str, Ed25519PrivateKey]:
    """Return the (kid, private key) that signs for the association, creating the first key.

    Call inside the issuing transaction.
    """
    row = (
        SigningKey.select()
        .where((SigningKey.association == association) & SigningKey.retired_at.is_null())
        .order_by(SigningKey.id.desc())
        .first()
    )
    if row is None:
        row, key = _new_row(association, _next_kid(association))
        return row.kid, key
    return row.kid, _decrypt(row)


def public_keys(association: Association) -> list[tuple[str, Ed25519PublicKey]]:
    """Return every (kid, public key) of the association, oldest first (all still verify)."""
    rows = (
        SigningKey.select(SigningKey.kid, SigningKey.public_key)
        .where(SigningKey.association == association)
        .order_by(SigningKey.id)
    )
    return [(r.kid, Ed25519PublicKey.from_public_bytes(bytes.fromhex(r.public_key))) for r in rows]


@transactional
def rotate_key(association: Association) -> str:
    """Retire the association's signing key and add a new one; return the new key id."""
    now = utcnow()
    retired = [
        r.kid
        for r in SigningKey.select(SigningKey.kid).where(
            (SigningKey.association == association) & SigningKey.retired_at.is_null()
        )
    ]
    SigningKey.update(retired_at=now).where(
        (SigningKey.association == association) & SigningKey.retired_at.is_null()
    ).execute()
    row, _ = _new_row(association, _next_kid(association))
    audit.record(
        "certificates.key_rotate",
        row,
        association_id=association.id,
        after={"kid": row.kid, "retired": retired},
    )
    return row.kid


@transactional
def rotate_secret() -> int:
    """Re-encrypt every signing key under the current LMS_SIGNING_KEY_SECRET; return the count.

    Fails as a whole, changing nothing, if one key cannot be decrypted.
    """
    rows = list(SigningKey.select())
    keyring.reseal(
        rows,
        _accepted(),
        lambda row: SigningKeyError(
            f"The signing key {row.kid} of association {row.association_id} cannot be "
            "decrypted with LMS_SIGNING_KEY_SECRET or any value of "
            "LMS_SIGNING_KEY_SECRET_PREVIOUS; nothing was re-encrypted."
        ),
    )
    if rows:
        audit.record("certificates.secret_rotate", rows[0], after={"keys": [r.id for r in rows]})
    return len(rows)
