"""Open Badges 3.0 credentials for endorsements, signed with the association's Ed25519 key.

The proof follows the Data Integrity `eddsa-jcs-2022` recipe: SHA-256 of the canonical JSON of
the proof options, then of the credential without its proof, signed together with Ed25519;
the signature is written as multibase base58btc. Canonical JSON here is sorted keys, no spaces,
UTF-8 (the credential holds only strings, lists and objects, so that is RFC 8785's form).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

from certificates.codes import display
from certificates.models import SigningKey
from lms.models import Association, User

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
CRYPTOSUITE = "eddsa-jcs-2022"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUB = b"\xed\x01"  # multicodec prefix of an Ed25519 public key


# --- encodings --------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """Return the canonical JSON bytes that are hashed and signed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b58encode(data: bytes) -> str:
    """Encode bytes in base58 (Bitcoin alphabet), keeping leading zero bytes as '1'."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); ValueError on a foreign character."""
    number = 0
    for ch in text:
        index = _B58.find(ch)
        if index < 0:
            raise ValueError(f"{ch!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


# --- keys -------------------------------------------------------------------------------------


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = HKDF(
        algorithm=SHA256(), length=32, salt=b"imh-pathway", info=b"certificates:signing-keys"
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def signing_key(association: Association) -> Ed25519PrivateKey:
    """Return the association's private key, creating (and storing encrypted) one if needed.

    Call inside the issuing transaction.
    """
    row = SigningKey.get_or_none(SigningKey.association == association)
    if row is not None:
        return Ed25519PrivateKey.from_private_bytes(_fernet().decrypt(row.private_key.encode()))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw()
    SigningKey.create(
        association=association,
        public_key=key.public_key().public_bytes_raw().hex(),
        private_key=_fernet().encrypt(raw).decode(),
    )
    return key


def public_key(association: Association) -> Ed25519PublicKey | None:
    """Return the association's public key, or None when it never signed anything."""
    row = SigningKey.get_or_none(SigningKey.association == association)
    if row is None:
        return None
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(row.public_key))


def multikey(key: Ed25519PublicKey) -> str:
    """Return a public key as publicKeyMultibase (base58btc of the multicodec-prefixed key)."""
    return "z" + b58encode(_ED25519_PUB + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


# --- identifiers ------------------------------------------------------------------------------


def _base() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def issuer_id(association: Association) -> str:
    return f"{_base()}/verify/issuers/{association.code}"


def revocation_list_id(association: Association) -> str:
    return f"{issuer_id(association)}/revocations"


def credential_id(code: str) -> str:
    return f"{_base()}/verify/{display(code)}"


def _instant(day: dt.date, end: bool = False) -> str:
    return f"{day.isoformat()}T{'23:59:59' if end else '00:00:00'}Z"


# --- credentials ------------------------------------------------------------------------------


def build_credential(
    *,
    code: str,
    association: Association,
    holder: User,
    category: str,
    category_name: str,
    number: str,
    awarded_on: dt.date,
    renewal_due: dt.date,
) -> dict[str, Any]:
    """Return the unsigned OpenBadgeCredential of an endorsement.

    The holder is named by a salted hash of the email address, never the address itself.
    """
    salt = secrets.token_hex(8)
    identity = hashlib.sha256((holder.email + salt).encode()).hexdigest()
    title = category_name or category
    return {
        "@context": list(CONTEXT),
        "id": credential_id(code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Infant Mental Health Endorsement: {title}",
        "issuer": {
            "id": issuer_id(association),
            "type": ["Profile"],
            "name": association.name,
            "url": _base(),
        },
        "validFrom": _instant(awarded_on),
        "validUntil": _instant(renewal_due, end=True),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": holder.display_name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": f"sha256${identity}",
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{issuer_id(association)}/achievements/{category}",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": f"Infant Mental Health Endorsement: {title} ({category})",
                "description": (
                    f"Endorsement number {number}, awarded by {association.name} on "
                    f"{awarded_on.isoformat()}; renewal due by {renewal_due.isoformat()}."
                ),
                "criteria": {
                    "narrative": (
                        f"Met the {category} requirements of {association.name}'s endorsement "
                        "rules: education, specialised training, work experience, reflective "
                        "supervision, references and the agreements they name."
                    )
                },
            },
        },
        "credentialStatus": {
            "id": revocation_list_id(association),
            "type": "1EdTechRevocationList",
        },
    }


def _proof_hash(options: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
    return b"".join(hashlib.sha256(canonical(part)).digest() for part in (options, unsecured))


def sign(credential: dict[str, Any], key: Ed25519PrivateKey, *, created: dt.datetime) -> dict:
    """Return a copy of the credential with a Data Integrity proof by key."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created.replace(microsecond=0).isoformat() + "Z",
        "verificationMethod": f"{credential['issuer']['id']}#key-1",
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_proof_hash({**options, "@context": unsecured["@context"]}, unsecured))
    proof = {**options, "proofValue": "z" + b58encode(signature)}
    return {**copy.deepcopy(unsecured), "proof": proof}


def signature_valid(credential: dict[str, Any], key: Ed25519PublicKey) -> bool:
    """Tell whether the credential's proof is a valid signature of its content by key."""
    proof = credential.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        signature = b58decode(value[1:])
    except ValueError:
        return False
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = unsecured.get("@context")
    try:
        key.verify(signature, _proof_hash(options, unsecured))
    except InvalidSignature:
        return False
    return True


def issuer_profile(association: Association) -> dict[str, Any]:
    """Return the issuer's public Profile with its verification key."""
    profile: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": issuer_id(association),
        "type": ["Profile"],
        "name": association.name,
        "url": _base(),
    }
    key = public_key(association)
    if key is not None:
        profile["verificationMethod"] = [
            {
                "id": f"{issuer_id(association)}#key-1",
                "type": "Multikey",
                "controller": issuer_id(association),
                "publicKeyMultibase": multikey(key),
            }
        ]
    return profile


def key_from_multibase(value: str) -> Ed25519PublicKey:
    """Return the public key written as publicKeyMultibase."""
    raw = b58decode(value[1:]) if value.startswith("z") else b""
    if not raw.startswith(_ED25519_PUB) or len(raw) != 34:
        raise ValueError("not an Ed25519 publicKeyMultibase")
    return Ed25519PublicKey.from_public_bytes(raw[2:])
