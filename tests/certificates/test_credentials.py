"""Credentials anyone can verify: did:web, eddsa-rdfc-2022, VC-JWT, status lists, rotation.

The proofs are checked on an independent path: the did:web document is fetched from the app by
the did:web method's URL rule, canonicalisation is pyld called here with a loader of our own,
and the signatures are checked with `cryptography` and `joserfc` directly — never with the
app's own verification code.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey
from pyld import jsonld

from certificates import issuing, revocation
from certificates.codes import display
from certificates.models import IssuedCertificate, SigningKey
from tests.certificates.conftest import NAME, TODAY, pdf_text
from tests.certificates.ob3_schema import (
    BITSTRING_STATUS_LIST_CREDENTIAL,
    OPEN_BADGE_CREDENTIAL,
)

CONTEXTS = Path(__file__).resolve().parents[2] / "certificates" / "data" / "contexts"
SHIPPED = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def loader(url, options=None):
    """Serve the published context documents from files; any other URL fails the test."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads((CONTEXTS / SHIPPED[url]).read_text(encoding="utf-8")),
    }


def rdfc(doc) -> bytes:
    nquads = jsonld.normalize(
        doc, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
    )
    return nquads.encode()


def b58(text: str) -> bytes:
    number = 0
    for ch in text:
        number = number * 58 + B58.index(ch)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def did_url_path(did: str) -> tuple[str, str]:
    """did:web → (host, path) of its DID document, by the did:web method's rule."""
    parts = did.removeprefix("did:web:").split(":")
    host = unquote(parts[0])
    path = "/" + "/".join(unquote(p) for p in parts[1:]) + "/did.json" if parts[1:] else None
    return host, path or "/.well-known/did.json"


def resolve(client, did: str) -> dict:
    host, path = did_url_path(did)
    response = client.get(path, base_url=f"http://{host}")
    assert response.status_code == 200, path
    document = response.get_json()
    assert document["id"] == did
    return document


def public_key(document: dict, method_id: str) -> Ed25519PublicKey:
    assert method_id in document["assertionMethod"]
    method = next(m for m in document["verificationMethod"] if m["id"] == method_id)
    assert method["type"] == "Multikey" and method["controller"] == document["id"]
    raw = b58(method["publicKeyMultibase"].removeprefix("z"))
    assert raw[:2] == b"\xed\x01" and len(raw) == 34  # multicodec ed25519-pub
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify_data_integrity(client, credential: dict) -> str:
    """Verify an eddsa-rdfc-2022 proof independently; return the verification method."""
    proof = credential["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    issuer = credential["issuer"]
    issuer = issuer["id"] if isinstance(issuer, dict) else issuer
    assert proof["verificationMethod"].startswith(issuer + "#")
    key = public_key(resolve(client, issuer), proof["verificationMethod"])
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = credential["@context"]
    data = hashlib.sha256(rdfc(config)).digest() + hashlib.sha256(rdfc(unsecured)).digest()
    key.verify(b58(proof["proofValue"].removeprefix("z")), data)  # raises if invalid
    return proof["verificationMethod"]


def strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "@context":
                yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def _cert(endorsement) -> IssuedCertificate:
    return IssuedCertificate.get(IssuedCertificate.source_ref == f"endorsement:{endorsement.id}")


def _award_again(on_pathway, association, coordinator):
    """Renew the endorsement's certificate: a new award issues a new credential."""
    from competencies.models import Endorsement

    endorsement = Endorsement.get(Endorsement.clinician == on_pathway)
    return issuing.issue_endorsement(endorsement, issuer=coordinator)


# --- conformance --------------------------------------------------------------------------------


def test_credential_and_status_list_validate_against_the_schemas(endorsement, client):
    cert = _cert(endorsement)
    doc = json.loads(cert.credential)
    jsonschema.validate(doc, OPEN_BADGE_CREDENTIAL)
    status_url = doc["credentialStatus"]["statusListCredential"]
    status_list = client.get(urlsplit(status_url).path).get_json()
    jsonschema.validate(status_list, BITSTRING_STATUS_LIST_CREDENTIAL)

    subject = doc["credentialSubject"]
    names = [i for i in subject["identifier"] if i["identityType"] == "name"]
    assert names and names[0]["hashed"] is False and names[0]["identityHash"] == NAME
    assert "name" not in subject and "clinician@example.test" not in json.dumps(doc)


def test_every_value_survives_canonicalisation(endorsement):
    """No term is undefined: an undefined one would be dropped from the signed RDF."""
    doc = json.loads(_cert(endorsement).credential)
    nquads = rdfc({k: v for k, v in doc.items() if k != "proof"}).decode()
    for value in strings({k: v for k, v in doc.items() if k != "proof"}):
        assert json.dumps(value, ensure_ascii=False)[1:-1] in nquads, value


# --- proofs, verified independently -------------------------------------------------------------


def test_did_web_document_resolves_by_the_method_rule(endorsement, client, association):
    doc = json.loads(_cert(endorsement).credential)
    did = doc["issuer"]["id"]
    assert did == "did:web:localhost:verify:issuers:MI"
    document = resolve(client, did)
    assert document["type"] == ["Profile"] and document["name"] == association.name
    assert [m["id"] for m in document["verificationMethod"]] == document["assertionMethod"]
    assert document["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")


def test_data_integrity_proof_verifies_independently_and_fails_after_a_change(endorsement, client):
    doc = json.loads(_cert(endorsement).credential)
    assert verify_data_integrity(client, doc).endswith("#key-1")

    changed = json.loads(json.dumps(doc))
    changed["credentialSubject"]["identifier"][0]["identityHash"] = "Somebody Else"
    with pytest.raises(InvalidSignature):
        verify_data_integrity(client, changed)
    later = json.loads(json.dumps(doc))
    later["validUntil"] = "2099-12-31T23:59:59Z"
    with pytest.raises(InvalidSignature):
        verify_data_integrity(client, later)


def test_vc_jwt_verifies_with_joserfc_and_carries_the_same_credential(endorsement, client):
    cert = _cert(endorsement)
    response = client.get(f"/verify/{display(cert.code)}/credential.jwt")
    assert response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    did = header["kid"].split("#")[0]
    key = public_key(resolve(client, did), header["kid"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        verified = jws.deserialize_compact(token, OKPKey.import_key(key), algorithms=["EdDSA"])
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        with pytest.raises(Exception):  # noqa: B017 - joserfc's BadSignatureError
            jws.deserialize_compact(forged, OKPKey.import_key(key), algorithms=["EdDSA"])
    payload = json.loads(verified.payload)
    embedded = {k: v for k, v in json.loads(cert.credential).items() if k != "proof"}
    registered = {k: payload.pop(k) for k in ("iss", "jti", "sub", "nbf", "exp") if k in payload}
    assert payload == embedded  # the credential, with OB 3.0's registered claims beside it
    issuer = (
        embedded["issuer"]["id"] if isinstance(embedded["issuer"], dict) else embedded["issuer"]
    )
    assert registered["iss"] == issuer and registered["jti"] == embedded["id"]
    when = dt.datetime.fromisoformat(embedded["validFrom"].replace("Z", "+00:00"))
    assert registered["nbf"] == int(when.timestamp())
    if embedded.get("validUntil"):
        until = dt.datetime.fromisoformat(embedded["validUntil"].replace("Z", "+00:00"))
        assert registered["exp"] == int(until.timestamp())
    assert registered.get("sub") == embedded["credentialSubject"].get("id")


def test_status_list_credential_is_signed_and_verifies(endorsement, client):
    doc = json.loads(_cert(endorsement).credential)
    response = client.get(urlsplit(doc["credentialStatus"]["statusListCredential"]).path)
    assert "max-age=" in response.headers["Cache-Control"]
    verify_data_integrity(client, response.get_json())


# --- status -------------------------------------------------------------------------------------


def _bit(status_list: dict, index: int) -> int:
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) >= 16 * 1024  # the spec's minimum of 131,072 bits
    return (raw[index // 8] >> (7 - index % 8)) & 1


def test_revoking_flips_the_credentials_bit_and_the_verify_answers(
    endorsement, client, coordinator
):
    cert = _cert(endorsement)
    entry = json.loads(cert.credential)["credentialStatus"]
    index = int(entry["statusListIndex"])
    path = urlsplit(entry["statusListCredential"]).path
    assert index == cert.status_index and _bit(client.get(path).get_json(), index) == 0
    api = f"/api/v1/verify/{display(cert.code)}"
    assert client.get(api).get_json()["credential_status"] == "active"

    revocation.revoke(cert, reason="Endorsement withdrawn", revoker=coordinator)

    published = client.get(path).get_json()
    assert _bit(published, index) == 1
    assert sum(_bit(published, i) for i in range(0, 131_072, 997)) <= 1  # nothing else set
    verify_data_integrity(client, published)  # re-signed in the same transaction
    assert client.get(api).get_json()["credential_status"] == "revoked"
    assert "revoked" in client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)


def test_a_failed_revocation_changes_neither_list(endorsement, client, coordinator, monkeypatch):
    from certificates import status

    cert = _cert(endorsement)
    path = urlsplit(json.loads(cert.credential)["credentialStatus"]["statusListCredential"]).path
    before = client.get(path).get_data()

    def broken(association):
        raise RuntimeError("signing failed")

    monkeypatch.setattr(status, "write", broken)
    with pytest.raises(RuntimeError):
        revocation.revoke(cert, reason="Endorsement withdrawn", revoker=coordinator)
    assert IssuedCertificate.get_by_id(cert.id).status == "valid"
    assert client.get(path).get_data() == before


# --- keys and their rotation --------------------------------------------------------------------


def test_rotating_the_signing_key_secret(
    endorsement, client, app, runner, on_pathway, association, coordinator
):
    old = json.loads(_cert(endorsement).credential)
    app.config["SECRET_KEY"] = "a rotated session secret"  # no longer touches signing keys
    previous = app.config["SIGNING_KEY_SECRET"]
    app.config["SIGNING_KEY_SECRET"] = "the new signing key secret"
    app.config["SIGNING_KEY_SECRET_PREVIOUS"] = [previous]
    row_before = SigningKey.get(SigningKey.association == association).private_key

    result = runner.invoke(args=["certificates", "rotate-secret"])
    assert result.exit_code == 0, result.output
    assert SigningKey.get(SigningKey.association == association).private_key != row_before
    app.config["SIGNING_KEY_SECRET_PREVIOUS"] = []

    new = json.loads(_award_again(on_pathway, association, coordinator).credential)
    verify_data_integrity(client, old)
    verify_data_integrity(client, new)


def test_rotate_secret_refuses_when_a_key_cannot_be_read(endorsement, app, runner):
    app.config["SECRET_KEY"] = "unrelated"
    app.config["SIGNING_KEY_SECRET"] = "a secret nobody used"
    result = runner.invoke(args=["certificates", "rotate-secret"])
    assert result.exit_code == 1 and "LMS_SIGNING_KEY_SECRET_PREVIOUS" in result.output


def test_rotating_the_issuer_key(endorsement, client, runner, on_pathway, association, coordinator):
    old = json.loads(_cert(endorsement).credential)
    result = runner.invoke(args=["certificates", "rotate-key", "--association", "MI"])
    assert result.exit_code == 0 and "key-2" in result.output

    new = json.loads(_award_again(on_pathway, association, coordinator).credential)
    assert verify_data_integrity(client, old).endswith("#key-1")
    assert verify_data_integrity(client, new).endswith("#key-2")
    document = resolve(client, new["issuer"]["id"])
    assert [m["id"].rsplit("#")[1] for m in document["verificationMethod"]] == ["key-1", "key-2"]
    unknown = runner.invoke(args=["certificates", "rotate-key", "--association", "NOPE"])
    assert unknown.exit_code == 2 and "No association has the code" in unknown.output


def test_credential_command_prints_json_and_jwt(endorsement, runner):
    cert = _cert(endorsement)
    as_json = runner.invoke(args=["certificates", "credential", display(cert.code)])
    as_jwt = runner.invoke(
        args=["certificates", "credential", display(cert.code), "--format", "jwt"]
    )
    assert as_json.exit_code == 0 and json.loads(as_json.output) == json.loads(cert.credential)
    assert as_jwt.exit_code == 0 and as_jwt.output.strip() == cert.credential_jwt
    assert as_jwt.output.count(".") == 2


# --- images, downloads, pages -------------------------------------------------------------------


def test_baked_png_carries_the_credential_and_svg_is_offered(endorsement, client):
    from PIL import Image

    cert = _cert(endorsement)
    response = client.get(f"/verify/{display(cert.code)}/credential.png")
    assert response.mimetype == "image/png"
    import io

    image = Image.open(io.BytesIO(response.data))
    image.load()
    assert json.loads(image.text["openbadgecredential"]) == json.loads(cert.credential)
    doc = json.loads(cert.credential)
    picture = urlsplit(doc["credentialSubject"]["achievement"]["image"]["id"]).path
    assert client.get(picture).mimetype == "image/png"
    svg = client.get(picture.replace(".png", ".svg"))
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_superseded_verify_page_links_to_its_replacement(
    endorsement, client, on_pathway, association, coordinator
):
    first = _cert(endorsement)
    second = _award_again(on_pathway, association, coordinator)
    page = client.get(f"/verify/{display(first.code)}").get_data(as_text=True)
    assert f'href="/verify/{display(second.code)}"' in page
    api = client.get(f"/api/v1/verify/{display(first.code)}").get_json()
    assert api["superseded_by"] == display(second.code)


def test_verify_page_offers_downloads_and_linkedin(endorsement, client, auth):
    cert = _cert(endorsement)
    page = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)
    for ext in ("json", "jwt", "png"):
        assert f"/verify/{display(cert.code)}/credential.{ext}" in page
    auth.login("clinician@example.test")
    mine = client.get("/certificates/").get_data(as_text=True)
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in mine
    assert f"certId={display(cert.code)}" in mine and f"issueYear={TODAY.year}" in mine


# --- public links -------------------------------------------------------------------------------


def test_a_pdf_issued_in_development_carries_the_request_host(app_factory, make_association):
    from competencies.pathways import declare_goal
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user

    app = app_factory(PUBLIC_URL=None, ENV="development")
    with app.app_context():
        assert app.config["PUBLIC_URL_FROM_REQUEST"] is True
        install_defaults()
        from lms.models import Association

        association = Association.create(code="MI", name="Michigan-style Association")
        user = create_user(
            "dev@example.test", "Dev Clinician", roles=("clinician",), association=association,
            password="correct horse battery staple",
        )  # fmt: skip
        declare_goal(user, association, "IMHS", TODAY)
        client = app.test_client()
        base = "http://pathway.example.org:8080"
        client.post(
            "/login",
            data={"email": "dev@example.test", "password": "correct horse battery staple"},
            base_url=base,
        )
        client.post("/certificates/progress", data={"category": "IMHS"}, base_url=base)
        cert = IssuedCertificate.get(IssuedCertificate.kind == "progress")
        text = pdf_text(bytes(cert.pdf))
        assert f"pathway.example.org:8080/verify/{display(cert.code)}" in text.replace("\n", "")
        assert "127.0.0.1" not in text


@pytest.mark.parametrize(
    "url, message",
    [
        (None, "LMS_PUBLIC_URL is not set"),
        ("", "LMS_PUBLIC_URL is not set"),
        ("http://pathway.example.org", "must be an https:// address"),
    ],
)
def test_production_refuses_to_start_without_an_https_public_url(url, message):
    from lms.config import ConfigError, ensure_public_url

    with pytest.raises(ConfigError, match=message):
        ensure_public_url({"ENV": "production", "PUBLIC_URL": url})
    config = {"ENV": "production", "PUBLIC_URL": "https://pathway.example.org/"}
    ensure_public_url(config)
    assert config["PUBLIC_URL_FROM_REQUEST"] is False


def test_production_refuses_to_start_without_a_signing_key_secret(tmp_path):
    from flask import Flask

    from certificates import keys
    from lms.config import ConfigError

    app = Flask("probe", instance_path=str(tmp_path))
    app.config.update(ENV="production", SECRET_KEY="k" * 40)
    with pytest.raises(ConfigError, match="LMS_SIGNING_KEY_SECRET is not set"):
        keys.init_config(app)
    app.config.update(SIGNING_KEY_SECRET="s" * 40, SIGNING_KEY_SECRET_PREVIOUS='["a", "b"]')
    keys.init_config(app)
    assert app.config["SIGNING_KEY_SECRET_PREVIOUS"] == ["a", "b"]


def test_development_keeps_a_signing_key_secret_in_the_instance_folder(tmp_path):
    from lms import create_app

    config = {"INSTANCE_PATH": str(tmp_path), "ENV": "development", "SECRET_KEY": "k" * 40}
    first = create_app(dict(config)).config["SIGNING_KEY_SECRET"]
    second = create_app(dict(config)).config["SIGNING_KEY_SECRET"]
    path = tmp_path / "signing_key_secret"
    assert first == second == path.read_text().strip() and first != config["SECRET_KEY"]
    assert path.stat().st_mode & 0o777 == 0o600
