"""Endorsement certificates: issued on award, Open Badges 3.0 JSON, its signature and status."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from certificates import badges, keys, revocation
from certificates.codes import display
from certificates.models import IssuedCertificate, SigningKey
from tests.certificates.conftest import NAME, pdf_text
from tests.certificates.ob3_schema import OPEN_BADGE_CREDENTIAL


def _cert(endorsement) -> IssuedCertificate:
    return IssuedCertificate.get(IssuedCertificate.source_ref == f"endorsement:{endorsement.id}")


def test_award_issues_the_endorsement_certificate_in_the_same_transaction(endorsement):
    cert = _cert(endorsement)
    text = pdf_text(bytes(cert.pdf))

    assert cert.kind == "endorsement" and cert.expires_on == endorsement.renewal_due
    assert NAME in text and endorsement.number in text and display(cert.code) in text
    assert "Infant Mental Health Specialist" in text


def test_failed_award_leaves_no_certificate(on_pathway, association, coordinator):
    from competencies.endorsements import EndorsementError, record_endorsement
    from tests.certificates.conftest import TODAY

    record_endorsement(on_pathway, association, "IMHS", TODAY, actor=coordinator)
    with pytest.raises(EndorsementError):
        record_endorsement(on_pathway, association, "IMHS", TODAY, actor=coordinator)

    assert IssuedCertificate.select().where(IssuedCertificate.kind == "endorsement").count() == 1


def test_credential_has_the_open_badges_3_structure(endorsement):
    doc = json.loads(_cert(endorsement).credential)

    jsonschema.validate(doc, OPEN_BADGE_CREDENTIAL)
    assert doc["validUntil"].startswith(endorsement.renewal_due.isoformat())
    assert "clinician@example.test" not in json.dumps(doc)


def test_schema_refuses_a_credential_missing_required_parts(endorsement):
    doc = json.loads(_cert(endorsement).credential)
    for broken in (
        {k: v for k, v in doc.items() if k != "issuer"},
        {**doc, "type": ["VerifiableCredential"]},
        {**doc, "validFrom": "1 June 2026"},
        {**doc, "credentialSubject": {"type": ["AchievementSubject"], "achievement": {}}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, OPEN_BADGE_CREDENTIAL)


def test_signature_verifies_with_the_published_key_and_fails_after_a_change(
    endorsement, client, association
):
    doc = json.loads(_cert(endorsement).credential)
    profile = client.get(f"/verify/issuers/{association.code}").get_json()
    method = profile["verificationMethod"][0]
    key = badges.key_from_multibase(method["publicKeyMultibase"])

    assert doc["proof"]["verificationMethod"] == method["id"]
    assert badges.signature_valid(doc, key)
    changed = copy.deepcopy(doc)
    changed["credentialSubject"]["achievement"]["name"] += " (Master)"
    assert not badges.signature_valid(changed, key)
    forged = copy.deepcopy(doc)
    forged["proof"]["created"] = "2030-01-01T00:00:00Z"
    assert not badges.signature_valid(forged, key)


def test_private_key_is_stored_encrypted_with_its_own_secret_not_the_session_secret(
    endorsement, association, app
):
    row = SigningKey.get(SigningKey.association == association)
    kid, key = keys.active_key(association)
    raw = key.private_bytes_raw()

    assert kid == row.kid == "key-1"
    assert raw.hex() not in row.private_key and raw not in row.private_key.encode()
    app.config["SECRET_KEY"] = "another session secret"  # rotating it changes nothing here
    assert keys.active_key(association)[1].private_bytes_raw() == raw
    app.config["SIGNING_KEY_SECRET"] = "another signing secret"
    with pytest.raises(keys.SigningKeyError, match="LMS_SIGNING_KEY_SECRET_PREVIOUS"):
        keys.active_key(association)


def test_revocation_shows_in_the_1edtech_revocation_list(
    endorsement, client, association, coordinator
):
    cert = _cert(endorsement)
    doc = json.loads(cert.credential)
    path = badges.revocation_list_id(association).removeprefix("http://localhost")

    assert client.get(path).get_json()["revokedCredentials"] == []
    revocation.revoke(cert, reason="Endorsement withdrawn", revoker=coordinator)
    listed = client.get(path).get_json()["revokedCredentials"]
    assert listed == [{"id": doc["id"], "revocationReason": "Endorsement withdrawn"}]


def test_base58_round_trips_with_leading_zeros():
    for data in (b"", b"\0\0\x01", bytes(range(40))):
        assert badges.b58decode(badges.b58encode(data)) == data
