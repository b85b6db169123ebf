"""Association signing keys: encrypted with LMS_SIGNING_KEY_SECRET, named by key ids, rotated.

The private halves are Fernet tokens under a key derived from LMS_SIGNING_KEY_SECRET. Values
listed in LMS_SIGNING_KEY_SECRET_PREVIOUS are still accepted for decryption, so changing the
secret is: set the new value, move the old one to the previous list, run
`flask --app lms certificates rotate-secret` (re-encrypts every key), then drop the old value.
Keys written before key ids existed were encrypted with the session secret; that is accepted
for decryption too, until rotate-secret rewrites them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from certificates.models import SigningKey
from lms import audit
from lms.config import ConfigError
from lms.db import transactional
from lms.models import Association, utcnow

SECRET_FILE = "signing_key_secret"


class SigningKeyError(RuntimeError):
    """A signing key cannot be decrypted with any configured secret; the message says why."""


# --- configuration ------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return [str(v) for v in json.loads(text)]
        return [part.strip() for part in text.split(",") if part.strip()]
    return [str(v) for v in value]


def init_config(app: Flask) -> None:
    """Refuse to start without a signing-key secret outside development; keep one on disk in
    development (instance folder, mode 0600), as the session secret is kept."""
    config = app.config
    config["SIGNING_KEY_SECRET_PREVIOUS"] = _as_list(config.get("SIGNING_KEY_SECRET_PREVIOUS"))
    if config.get("SIGNING_KEY_SECRET"):
        return
    if config.get("TESTING"):
        config["SIGNING_KEY_SECRET"] = secrets.token_hex(32)
        return
    if config.get("ENV") != "development":
        raise ConfigError(
            "LMS_SIGNING_KEY_SECRET is not set. It encrypts the badge signing keys and must "
            "differ from LMS_SECRET_KEY: set it to a long random value "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )
    path = Path(app.instance_path) / SECRET_FILE
    if not path.exists():
        # Several workers may start at once: write aside, then link into place, which fails
        # if another process got there first; everyone then reads the one file.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        draft.write_text(secrets.token_hex(32), encoding="utf-8")
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    config["SIGNING_KEY_SECRET"] = path.read_text(encoding="utf-8").strip()


def _derive(secret: str, info: bytes) -> Fernet:
    key = HKDF(algorithm=SHA256(), length=32, salt=b"imh-pathway", info=info).derive(
        str(secret).encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _current() -> Fernet:
    return _derive(current_app.config["SIGNING_KEY_SECRET"], b"certificates:signing-key-secret")


def _accepted() -> MultiFernet:
    """The current secret first (it encrypts), then every previous one, then the legacy
    session-secret derivation of keys written before LMS_SIGNING_KEY_SECRET existed."""
    config = current_app.config
    fernets = [_current()]
    for old in config.get("SIGNING_KEY_SECRET_PREVIOUS") or []:
        fernets.append(_derive(old, b"certificates:signing-key-secret"))
    if config.get("SECRET_KEY"):
        fernets.append(_derive(config["SECRET_KEY"], b"certificates:signing-keys"))
    return MultiFernet(fernets)


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
    accepted = _accepted()
    rows = list(SigningKey.select())
    for row in rows:
        try:
            token = accepted.rotate(row.private_key.encode()).decode()
        except InvalidToken as exc:
            raise SigningKeyError(
                f"The signing key {row.kid} of association {row.association_id} cannot be "
                "decrypted with LMS_SIGNING_KEY_SECRET or any value of "
                "LMS_SIGNING_KEY_SECRET_PREVIOUS; nothing was re-encrypted."
            ) from exc
        SigningKey.update(private_key=token).where(SigningKey.id == row.id).execute()
    if rows:
        audit.record("certificates.secret_rotate", rows[0], after={"keys": [r.id for r in rows]})
    return len(rows)
