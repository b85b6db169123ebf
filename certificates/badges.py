"""Open Badges 3.0 credentials for endorsements: did:web issuers, Data Integrity and VC-JWT.

Each association's issuer is `did:web:<host>[:<path>]:verify:issuers:<CODE>`, whose DID
document (`/verify/issuers/<CODE>/did.json`) lists every key as a Multikey under
`assertionMethod`. Credentials carry a `DataIntegrityProof` with the `eddsa-rdfc-2022`
cryptosuite: the credential and the proof options are canonicalised with RDF Dataset
Canonicalization (pyld, contexts served from the package), hashed with SHA-256 (proof options
first), and the two hashes signed together with Ed25519; the signature is multibase base58btc.
The same credential is offered as a VC-JWT (`application/vc+jwt`, EdDSA, joserfc).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import gzip
import hashlib
import json
import secrets
import warnings
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app, has_request_context, request
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from certificates import keys, linked_data
from certificates.codes import display
from lms.models import Association, User

SCHEMA_VALIDATOR = "1EdTechJsonSchemaValidator2019"
CONTEXT: list[Any] = [
    linked_data.CREDENTIALS_V2,
    linked_data.OB_V3,
    # The OB 3.0.3 context leaves the schema validator's type undefined; 1EdTech's extensions
    # context defines it (an undefined term would be dropped by canonicalisation). Verifiers
    # accept only published context URLs, never an inline context object.
    linked_data.OB_EXTENSIONS,
]
ACHIEVEMENT_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CRYPTOSUITE = "eddsa-rdfc-2022"
LEGACY_CRYPTOSUITE = "eddsa-jcs-2022"
JWT_MEDIA_TYPE = "application/vc+jwt"
STATUS_PURPOSE = "revocation"
SUSPENSION_PURPOSE = "suspension"  # a second list, same index per credential
STATUS_LIST_BITS = 131_072  # 16 KiB, the minimum the Bitstring Status List spec allows
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUB = b"\xed\x01"  # multicodec prefix of an Ed25519 public key


# --- encodings --------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """Return sorted-key compact JSON (only to check credentials signed before RDFC)."""
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


def multikey(key: Ed25519PublicKey) -> str:
    """Return a public key as publicKeyMultibase (base58btc of the multicodec-prefixed key)."""
    return "z" + b58encode(_ED25519_PUB + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def key_from_multibase(value: str) -> Ed25519PublicKey:
    """Return the public key written as publicKeyMultibase."""
    raw = b58decode(value[1:]) if value.startswith("z") else b""
    if not raw.startswith(_ED25519_PUB) or len(raw) != 34:
        raise ValueError("not an Ed25519 publicKeyMultibase")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


# --- identifiers ------------------------------------------------------------------------------


def public_base() -> str:
    """Return the site's public address: LMS_PUBLIC_URL, or in development the request's host."""
    config = current_app.config
    if config.get("PUBLIC_URL_FROM_REQUEST") and has_request_context():
        return request.host_url.rstrip("/")
    return str(config["PUBLIC_URL"]).rstrip("/")


def issuer_url(association: Association) -> str:
    """Return the https address of the association's issuer pages."""
    return f"{public_base()}/verify/issuers/{quote(association.code, safe='')}"


def issuer_id(association: Association) -> str:
    """Return the association's did:web, from the host (port as %3A) and the issuer path."""
    parts = urlsplit(issuer_url(association))
    segments = [quote(parts.netloc, safe="")] + [
        quote(s, safe="") for s in parts.path.split("/") if s
    ]
    return "did:web:" + ":".join(segments)


def did_document_url(did: str) -> str:
    """Return where a did:web document lives (the did:web method's rule)."""
    segments = did.removeprefix("did:web:").split(":")
    host = segments[0].replace("%3A", ":").replace("%3a", ":")
    path = "/".join(segments[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def revocation_list_id(association: Association) -> str:
    return f"{issuer_url(association)}/revocations"


def status_list_id(association: Association, purpose: str = STATUS_PURPOSE) -> str:
    return f"{issuer_url(association)}/status/{purpose}"


def credential_id(code: str) -> str:
    return f"{public_base()}/verify/{display(code)}"


def achievement_id(association: Association, category: str) -> str:
    return f"{issuer_url(association)}/achievements/{quote(category, safe='')}"


def _instant(day: dt.date, end: bool = False) -> str:
    return f"{day.isoformat()}T{'23:59:59' if end else '00:00:00'}Z"


def _now(created: dt.datetime) -> str:
    return created.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


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
    status_index: int,
) -> dict[str, Any]:
    """Return the unsigned OpenBadgeCredential of an endorsement.

    The learner is named by two IdentityObjects: the display name in clear (it is on the
    certificate anyway) and the email address as a salted SHA-256 hash, never in clear.
    """
    salt = secrets.token_hex(8)
    identity = hashlib.sha256((holder.email + salt).encode()).hexdigest()
    title = category_name or category
    achievement = achievement_id(association, category)
    name = f"Infant Mental Health Endorsement: {title}"
    return {
        "@context": copy.deepcopy(CONTEXT),
        "id": credential_id(code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {
            "id": issuer_id(association),
            "type": ["Profile"],
            "name": association.name,
            "url": issuer_url(association),
        },
        "validFrom": _instant(awarded_on),
        "validUntil": _instant(renewal_due, end=True),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": holder.display_name,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": f"sha256${identity}",
                    "salt": salt,
                },
            ],
            "achievement": {
                "id": achievement,
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": f"{name} ({category})",
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
                "image": {
                    "id": f"{achievement}/image.png",
                    "type": "Image",
                    "caption": f"{name} ({category}), {association.name}",
                },
            },
        },
        "credentialSchema": [{"id": ACHIEVEMENT_SCHEMA, "type": SCHEMA_VALIDATOR}],
        "credentialStatus": status_entry(association, status_index),
    }


def status_entry(association: Association, index: int) -> dict[str, Any]:
    """Return the BitstringStatusListEntry that points at one bit of the revocation list."""
    url = status_list_id(association)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def _hash_data(options: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical document (eddsa-rdfc-2022)."""
    parts = (options, unsecured)
    return b"".join(hashlib.sha256(linked_data.canonize(p).encode()).digest() for p in parts)


def sign(
    credential: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    kid: str,
    created: dt.datetime,
) -> dict[str, Any]:
    """Return a copy of the credential with an eddsa-rdfc-2022 DataIntegrityProof by key."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    issuer = unsecured["issuer"]
    issuer = issuer["id"] if isinstance(issuer, dict) else issuer
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _now(created),
        "verificationMethod": f"{issuer}#{kid}",
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data({**options, "@context": unsecured["@context"]}, unsecured))
    proof = {**options, "proofValue": "z" + b58encode(signature)}
    return {**copy.deepcopy(unsecured), "proof": proof}


def signature_valid(credential: dict[str, Any], key: Ed25519PublicKey) -> bool:
    """Tell whether the credential's Data Integrity proof is a valid signature by key."""
    proof = credential.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof":
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
    if proof.get("cryptosuite") == CRYPTOSUITE:
        try:
            data = _hash_data(options, unsecured)
        except Exception:  # noqa: BLE001 - pyld raises its own errors on malformed JSON-LD
            return False
    elif proof.get("cryptosuite") == LEGACY_CRYPTOSUITE:
        data = b"".join(hashlib.sha256(canonical(p)).digest() for p in (options, unsecured))
    else:
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def verify_with_issuer_keys(credential: dict[str, Any], association: Association) -> bool:
    """Tell whether the credential is signed by one of the association's keys (any kid)."""
    proof = credential.get("proof") or {}
    method = str(proof.get("verificationMethod") or "")
    kid = method.rpartition("#")[2]
    for candidate, key in keys.public_keys(association):
        if candidate == kid:
            return signature_valid(credential, key)
    return False


# --- VC-JWT -----------------------------------------------------------------------------------


def _epoch(instant: str) -> int:
    return int(dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp())


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The JWT registered claims OB 3.0 (section 8.2) asks of a VC-JWT, from the credential:
    iss (issuer id), jti (credential id), sub (subject id, when it has one), nbf (validFrom)
    and exp (validUntil, when it has one)."""
    issuer = credential["issuer"]
    subject = credential.get("credentialSubject") or {}
    claims: dict[str, Any] = {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "nbf": _epoch(credential["validFrom"]),
    }
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if credential.get("validUntil"):
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


def to_jwt(credential: dict[str, Any], key: Ed25519PrivateKey, *, kid: str) -> str:
    """Return the credential (without its embedded proof) as a VC-JWT signed with EdDSA: the
    payload is the credential with the registered claims beside it (OB 3.0 section 8.2)."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    claims = jwt_claims(unsecured)
    header = {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": f"{claims['iss']}#{kid}"}
    payload = json.dumps({**unsecured, **claims}, ensure_ascii=False, separators=(",", ":"))
    payload = payload.encode()
    with warnings.catch_warnings():
        # RFC 9864 prefers the fully specified "Ed25519"; "EdDSA" is what deployed VC-JWT
        # verifiers accept today, so it stays until they move.
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.serialize_compact(header, payload, OKPKey.import_key(key), algorithms=["EdDSA"])


# --- the DID document -------------------------------------------------------------------------


def did_document(association: Association) -> dict[str, Any]:
    """Return the issuer's DID document: its keys as Multikeys and its OB 3.0 Profile data."""
    did = issuer_id(association)
    methods = [
        {
            "id": f"{did}#{kid}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multikey(key),
        }
        for kid, key in keys.public_keys(association)
    ]
    return {
        "@context": [linked_data.DID_V1, linked_data.MULTIKEY_V1, linked_data.OB_V3],
        "id": did,
        "type": ["Profile"],
        "name": association.name,
        "url": issuer_url(association),
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


# --- the status list --------------------------------------------------------------------------


def encode_bits(indices: list[int] | set[int], size: int = STATUS_LIST_BITS) -> str:
    """Return the multibase (base64url, no padding) GZIP of a bitstring with these bits set.

    Index 0 is the left-most bit of the first byte, as the Bitstring Status List spec says.
    """
    bits = bytearray(size // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_credential(
    association: Association,
    indices: set[int],
    *,
    created: dt.datetime,
    purpose: str = STATUS_PURPOSE,
) -> dict[str, Any]:
    """Return the unsigned BitstringStatusListCredential of one purpose with these bits set."""
    url = status_list_id(association, purpose)
    return {
        "@context": [linked_data.CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(association),
        "validFrom": _now(created),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(indices),
        },
    }


# --- LinkedIn ---------------------------------------------------------------------------------


def linkedin_url(
    *,
    name: str,
    organisation: str,
    issued: dt.date,
    cert_url: str,
    cert_id: str,
    expires: dt.date | None = None,
) -> str:
    """Return LinkedIn's add-to-profile address for a certification, prefilled."""
    from urllib.parse import urlencode

    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organisation,
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if expires is not None:
        params |= {"expirationYear": expires.year, "expirationMonth": expires.month}
    params |= {"certUrl": cert_url, "certId": cert_id}
    return "https://www.linkedin.com/profile/add?" + urlencode(params)
