"""Encryption of keys kept in the database, under LMS_SIGNING_KEY_SECRET.

Plugins that store private keys (certificates' Ed25519 issuer keys, lti's RSA tool keys) seal
them with a Fernet key derived (HKDF-SHA256) from LMS_SIGNING_KEY_SECRET and a purpose of their
own, so one secret never yields the same key twice. Values in LMS_SIGNING_KEY_SECRET_PREVIOUS
still open what they sealed: changing the secret is setting the new value, listing the old one
as previous, re-encrypting (each plugin's `rotate-secret` command), then dropping the old value.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def fernet(secret: str, purpose: bytes) -> Fernet:
    """Return the Fernet key derived from a secret for one purpose."""
    key = HKDF(algorithm=SHA256(), length=32, salt=b"imh-pathway", info=purpose).derive(
        str(secret).encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def sealer(purpose: bytes) -> Fernet:
    """Return the key that encrypts now: the current secret's, for this purpose."""
    return fernet(current_app.config["SIGNING_KEY_SECRET"], purpose)


def opener(purpose: bytes, *also: Fernet) -> MultiFernet:
    """Return the keys that decrypt: the current secret's, every previous one's, then `also`."""
    config = current_app.config
    previous = config.get("SIGNING_KEY_SECRET_PREVIOUS") or []
    return MultiFernet([sealer(purpose), *(fernet(s, purpose) for s in previous), *also])


def reseal(rows: Iterable[Any], opener_: MultiFernet, refuse: Callable[[Any], Exception]) -> None:
    """Re-encrypt each row's `private_key` under the current secret, in the caller's transaction.

    A row that no accepted secret opens raises `refuse(row)`, so the transaction changes nothing.
    """
    for row in rows:
        try:
            token = opener_.rotate(row.private_key.encode()).decode()
        except InvalidToken as exc:
            raise refuse(row) from exc
        model = type(row)
        model.update(private_key=token).where(model.id == row.id).execute()
