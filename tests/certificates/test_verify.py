"""Public verification: pages, JSON, the hash check, rate limits and what is never shown."""

from __future__ import annotations

import io

import pytest

from certificates import issuing, revocation
from certificates.codes import display
from certificates.models import IssuedCertificate
from tests.certificates.conftest import NAME

PUBLIC_FIELDS = {
    "code",
    "holder_name",
    "kind",
    "document",
    "title",
    "category",
    "category_name",
    "issuer",
    "issued_on",
    "expires_on",
    "status",
    "revoked_on",
    "revoked_reason",
    "sha256",
    "superseded_by",
    "credential_status",
    "suspended_on",  # with the reason, shown only while a certificate is suspended
    "suspended_reason",
}


@pytest.fixture
def cert(on_pathway, association):
    return issuing.issue_progress(on_pathway, association, issuer=on_pathway)


def test_verify_page_shows_valid_with_name_issuer_and_hash(client, cert):
    html = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)

    assert "✓ VALID" in html
    assert NAME in html and "Michigan-style Association" in html and cert.sha256 in html
    assert "clinician@example.test" not in html


def test_typed_code_is_forgiven_case_spaces_and_confusables(client, cert):
    code = display(cert.code)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "i")

    assert client.get(f"/verify/{typed}").status_code == 200
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302 and response.location.endswith(f"/verify/{code}")


def test_unknown_and_malformed_codes_get_the_same_bare_404(client, cert):
    unknown = client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    malformed = client.get("/verify/not-a-code")

    for response in (unknown, malformed):
        html = response.get_data(as_text=True)
        assert response.status_code == 404 and "No certificate found" in html
        assert NAME not in html and cert.sha256 not in html
    api = client.get("/api/v1/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_lookup_form_names_the_field_on_a_malformed_code(client):
    response = client.get("/verify", query_string={"code": "12345"})

    assert response.status_code == 400
    assert "A code has 16 letters and digits" in response.get_data(as_text=True)
    assert 'value="12345"' in response.get_data(as_text=True)


def test_api_answers_only_the_public_fields(client, cert):
    body = client.get(f"/api/v1/verify/{display(cert.code).lower()}").get_json()

    assert set(body) == PUBLIC_FIELDS
    assert body["status"] == "VALID" and body["holder_name"] == NAME
    assert body["category"] == "IMHS" and body["sha256"] == cert.sha256
    assert "clinician@example.test" not in str(body)


def test_superseded_certificate_verifies_as_superseded(client, cert, on_pathway, association):
    issuing.issue_progress(on_pathway, association)

    assert "SUPERSEDED" in client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)
    assert client.get(f"/api/v1/verify/{cert.code}").get_json()["status"] == "SUPERSEDED"


def test_revoked_certificate_verifies_as_revoked_with_date_and_reason(client, cert, coordinator):
    revocation.revoke(cert, reason="Issued in error", revoker=coordinator)
    html = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)
    body = client.get(f"/api/v1/verify/{cert.code}").get_json()

    assert "✗ REVOKED" in html and "Issued in error" in html
    assert body["status"] == "REVOKED" and body["revoked_reason"] == "Issued in error"
    assert body["revoked_on"] == IssuedCertificate.get_by_id(cert.id).revoked_at.date().isoformat()


def _upload(client, url, content, code):
    return client.post(
        url,
        data={"code": code, "pdf": (io.BytesIO(content), "certificate.pdf")},
        content_type="multipart/form-data",
    )


def test_the_issued_pdf_matches_and_a_tampered_one_does_not(client, cert):
    original = bytes(cert.pdf)
    tampered = original.replace(b"IMHS", b"IMHM", 1)
    assert tampered != original
    code = display(cert.code)

    ok = _upload(client, f"/verify/{code}", original, code).get_data(as_text=True)
    bad = _upload(client, "/verify", tampered, code.lower()).get_data(as_text=True)

    assert "The file matches" in ok
    assert "does NOT match" in bad and "The file matches" not in bad


def test_upload_without_a_file_names_the_field(client, cert):
    response = client.post("/verify", data={"code": display(cert.code)})

    assert response.status_code == 400
    assert "Choose the PDF file to compare." in response.get_data(as_text=True)


def test_a_20_mb_upload_is_refused_with_413(client, cert):
    # A prepared body (not the test client's file encoder, which spools to an unclosed file).
    body = (
        b'--b\r\nContent-Disposition: form-data; name="code"\r\n\r\n'
        + cert.code.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="pdf"; filename="a.pdf"\r\n'
        + b"Content-Type: application/pdf\r\n\r\n%PDF"
        + b"0" * (20 * 1024 * 1024)
        + b"\r\n--b--\r\n"
    )
    response = client.post("/verify", data=body, content_type="multipart/form-data; boundary=b")

    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_many_wrong_codes_from_one_ip_get_429(client, cert):
    statuses = [client.get(f"/api/v1/verify/ZZZZ-ZZZZ-ZZZZ-{i:04d}").status_code for i in range(70)]

    assert statuses[:60] == [404] * 60
    assert statuses[-1] == 429
    # The pages share the budget: the person at that IP is slowed down everywhere.
    assert client.get(f"/verify/{display(cert.code)}").status_code == 429
    assert (
        client.get("/api/v1/verify/X", headers={"X-Forwarded-For": "10.0.0.9"}).status_code == 429
    )


def test_markup_name_is_escaped_on_the_verify_page(client, make_user, defaults, association):
    from competencies.pathways import declare_goal
    from tests.certificates.conftest import TODAY

    user = make_user("x@example.test", display_name="<script>alert(1)</script>")
    declare_goal(user, association, "IMHS", TODAY)
    cert = issuing.issue_transcript(user, association)
    html = client.get(f"/verify/{display(cert.code)}").get_data(as_text=True)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
