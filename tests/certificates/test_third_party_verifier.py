"""Our credentials pass a verifier we did not write: openbadgeslib's Open Badges 3.0 verifiers
(JWT-VC and Data Integrity eddsa-rdfc-2022), resolving the issuer's did:web document and the
status list from the app, by the URLs the credential itself names.

openbadgeslib checks the signature of a status list only when the list is a JWT; ours is a
Data Integrity credential (its proof is verified independently in test_credentials.py), so
these tests let openbadgeslib read the bits with `verify_status_list=False`."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from openbadgeslib.ob3.ldp import OB3LdpVerifier
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier

from certificates.codes import display
from certificates.models import IssuedCertificate
from tests.certificates.test_credentials import _cert


def _download(client):
    """What the verifier fetches (the did:web document over https by the method's rule, the
    status list at the URL the credential names), asked of the app at its public host
    (`http://localhost` in the tests, an https URL in production)."""

    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        assert parts.netloc == "localhost", url
        assert parts.scheme == "https" or not parts.path.endswith("did.json"), url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.get(path, base_url=f"{parts.scheme}://{parts.netloc}")
        assert response.status_code == 200, url
        return response.get_data()

    return fetch


def _issuer(credential: dict) -> str:
    issuer = credential["issuer"]
    return issuer["id"] if isinstance(issuer, dict) else issuer


def test_data_integrity_credential_verifies_with_openbadgeslib(endorsement, client):
    credential = json.loads(_cert(endorsement).credential)
    fetch = _download(client)
    verifier = OB3LdpVerifier.for_issuer_did(_issuer(credential), download=fetch)
    verified = verifier.verify(
        credential, check_status=True, verify_status_list=False, download=fetch
    )
    assert verified.recipient_id == credential["credentialSubject"].get("id")
    changed = json.loads(json.dumps(credential))
    changed["credentialSubject"]["achievement"]["name"] += " (forged)"
    with pytest.raises(OB3VerificationError):
        verifier.verify(changed, download=fetch)


def test_vc_jwt_verifies_with_openbadgeslib(endorsement, client):
    cert = _cert(endorsement)
    token = client.get(f"/verify/{display(cert.code)}/credential.jwt").get_data(as_text=True)
    fetch = _download(client)
    did = _issuer(json.loads(cert.credential))
    verifier = OB3Verifier.for_issuer_did(did, download=fetch)
    verifier.verify(token, check_status=True, verify_status_list=False, download=fetch)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(OB3VerificationError):
        verifier.verify(forged, download=fetch)


def test_openbadgeslib_sees_a_revocation(endorsement, client, coordinator):
    from certificates import revocation

    cert = _cert(endorsement)
    revocation.revoke(cert, reason="Issued in error", revoker=coordinator)
    credential = json.loads(IssuedCertificate.get_by_id(cert.id).credential)
    fetch = _download(client)
    verifier = OB3LdpVerifier.for_issuer_did(_issuer(credential), download=fetch)
    verifier.verify(credential, check_status=False, download=fetch)  # the proof still holds
    with pytest.raises(OB3VerificationError, match="revocation. is set"):
        verifier.verify(credential, check_status=True, verify_status_list=False, download=fetch)
