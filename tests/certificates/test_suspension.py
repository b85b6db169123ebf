"""Suspension: a coordinator suspends an endorsement certificate with a reason (e.g. pending an
ethics review) and reinstates it; the W3C suspension status list follows in the same
transaction; the verify page says SUSPENDED with date and reason; revocation is final."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

from certificates import issuing
from certificates.codes import display
from certificates.models import IssuedCertificate
from certificates.revocation import reinstate, revoke, suspend
from lms.models import AuditLog, utcnow
from tests.certificates.test_credentials import _bit, verify_data_integrity

REASON = "Pending an ethics review"
TODAY_ = dt.date.today()


def _cert(endorsement) -> IssuedCertificate:
    return IssuedCertificate.get(
        (IssuedCertificate.source_ref == f"endorsement:{endorsement.id}")
        & (IssuedCertificate.status == "valid")
    )


def _lists(client, cert) -> tuple[str, str]:
    entry = json.loads(cert.credential)["credentialStatus"]
    revocation = urlsplit(entry["statusListCredential"]).path
    assert revocation.endswith("/status/revocation")
    return revocation, revocation.removesuffix("revocation") + "suspension"


def test_coordinator_suspends_and_reinstates_and_the_list_follows(
    client, auth, endorsement, coordinator
):
    cert = _cert(endorsement)
    revocation, suspension = _lists(client, cert)
    assert _bit(client.get(suspension).get_json(), cert.status_index) == 0
    auth.login("coordinator@example.test")
    assert REASON not in client.get(f"/certificates/{cert.id}/suspend").get_data(as_text=True)

    done = client.post(f"/certificates/{cert.id}/suspend", data={"reason": REASON})
    assert done.status_code == 302

    published = client.get(suspension)
    assert published.headers["Content-Type"].startswith("application/vc+ld+json")
    listed = published.get_json()
    assert listed["credentialSubject"]["statusPurpose"] == "suspension"
    assert _bit(listed, cert.status_index) == 1
    verify_data_integrity(client, listed)  # signed, in the same transaction
    assert _bit(client.get(revocation).get_json(), cert.status_index) == 0
    page = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)
    assert f"SUSPENDED</strong> on {utcnow().date().isoformat()}" in page and REASON in page
    api = client.get(f"/api/v1/verify/{display(cert.code)}").get_json()
    assert api["status"] == "SUSPENDED" and api["suspended_reason"] == REASON
    assert api["credential_status"] == "suspended" and api["suspended_on"]
    row = AuditLog.select().where(AuditLog.action == "certificate.suspend").get()
    assert row.actor_id == coordinator.id

    client.post(f"/certificates/{cert.id}/reinstate")

    assert _bit(client.get(suspension).get_json(), cert.status_index) == 0
    page = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)
    assert "VALID" in page and "SUSPENDED" not in page and REASON not in page
    api = client.get(f"/api/v1/verify/{display(cert.code)}").get_json()
    assert api["status"] == "VALID" and api["credential_status"] == "active"
    assert AuditLog.select().where(AuditLog.action == "certificate.reinstate").count() == 1


def test_suspension_needs_a_reason_and_an_endorsement_certificate(
    client, auth, endorsement, association
):
    cert = _cert(endorsement)
    auth.login("coordinator@example.test")

    empty = client.post(f"/certificates/{cert.id}/suspend", data={"reason": "  "})
    assert empty.status_code == 400 and "Give the reason" in empty.get_data(as_text=True)
    transcript = issuing.issue_transcript(endorsement.clinician, association)
    other = client.post(f"/certificates/{transcript.id}/suspend", data={"reason": REASON})
    assert other.status_code == 400
    assert "Only an endorsement certificate" in other.get_data(as_text=True)
    assert (
        IssuedCertificate.select().where(IssuedCertificate.suspended_at.is_null(False)).count() == 0
    )
    assert AuditLog.select().where(AuditLog.action == "certificate.suspend").count() == 0


def test_revocation_is_final(client, endorsement, coordinator):
    cert = _cert(endorsement)
    revocation, suspension = _lists(client, cert)
    suspend(cert, reason=REASON, suspender=coordinator)
    revoke(cert, reason="Ethics board decision", revoker=coordinator)

    cert = IssuedCertificate.get_by_id(cert.id)
    page = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)
    assert "REVOKED" in page and "Ethics board decision" in page and "SUSPENDED" not in page
    assert _bit(client.get(revocation).get_json(), cert.status_index) == 1
    for call in (reinstate, suspend):
        try:
            call(cert, reason=REASON, actor=None)
        except issuing.CertificateError as exc:
            assert "revoked" in str(exc)
        else:
            raise AssertionError(f"{call.__name__} of a revoked certificate was accepted")
    assert IssuedCertificate.get_by_id(cert.id).status == "revoked"


def test_no_new_certificate_while_one_is_suspended(client, auth, endorsement, coordinator):
    cert = _cert(endorsement)
    suspend(cert, reason=REASON, suspender=coordinator)
    auth.login("coordinator@example.test")

    response = client.post(f"/certificates/endorsements/{endorsement.id}", follow_redirects=True)

    assert "is suspended" in response.get_data(as_text=True)
    assert IssuedCertificate.select().where(IssuedCertificate.kind == "endorsement").count() == 1
    assert IssuedCertificate.get_by_id(cert.id).status == "valid"


def test_only_a_coordinator_of_the_association_suspends(
    client, auth, endorsement, make_user, make_association
):
    cert = _cert(endorsement)
    far = make_association("FAR")
    make_user("far@example.test", roles=("coordinator",), assoc=far)

    auth.login("clinician@example.test")
    assert (
        client.post(f"/certificates/{cert.id}/suspend", data={"reason": REASON}).status_code == 403
    )
    assert client.post(f"/certificates/{cert.id}/reinstate").status_code == 403
    auth.logout()
    auth.login("far@example.test")
    assert (
        client.post(f"/certificates/{cert.id}/suspend", data={"reason": REASON}).status_code == 404
    )
    assert client.post(f"/certificates/{cert.id}/reinstate").status_code == 404
    assert IssuedCertificate.get_by_id(cert.id).suspended_at is None


def test_an_association_whose_lists_predate_suspension_gets_its_suspension_list(
    client, endorsement
):
    from certificates.models import StatusList

    cert = _cert(endorsement)
    _, suspension = _lists(client, cert)
    StatusList.delete().where(StatusList.purpose == "suspension").execute()

    published = client.get(suspension)

    assert published.status_code == 200
    assert _bit(published.get_json(), cert.status_index) == 0
    verify_data_integrity(client, published.get_json())
    assert client.get(suspension.replace("suspension", "nonsense")).status_code == 404


def test_nobody_suspends_or_reinstates_their_own_certificate(
    endorsement, association, coordinator, make_user
):
    from competencies.endorsements import record_endorsement
    from lms.permissions import actor_for

    holder = make_user("endorsed-coordinator@example.test", roles=("coordinator", "clinician"))
    own = record_endorsement(holder, association, "IMHS", TODAY_, actor=coordinator)
    cert = _cert(own)

    for call in (suspend, reinstate):
        try:
            call(cert, reason=REASON, actor=actor_for(holder))
        except issuing.CertificateError as exc:
            assert "your own" in str(exc)
        else:
            raise AssertionError(f"{call.__name__} of one's own certificate was accepted")
    suspend(cert, reason=REASON, actor=actor_for(coordinator))
    try:
        reinstate(cert, actor=actor_for(holder))
    except issuing.CertificateError as exc:
        assert "your own" in str(exc)
    else:
        raise AssertionError("reinstating one's own suspended certificate was accepted")
    assert IssuedCertificate.get_by_id(cert.id).suspended_at is not None
