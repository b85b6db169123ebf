"""The public verify page and the clinician's certificates page in Chromium, with axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from certificates.codes import display
from certificates.models import IssuedCertificate
from lms.db import connection
from tests.browser.conftest import assert_accessible, login


def _demo_certificate(app) -> IssuedCertificate:
    with app.app_context(), connection():
        return IssuedCertificate.select().order_by(IssuedCertificate.id).get()


def test_verify_a_code_typed_loosely_and_check_a_tampered_file(page, live_app, tmp_path):
    cert = _demo_certificate(live_app)
    code = display(cert.code)
    page.goto("/verify")
    assert page.get_by_role("heading", name="Verify a certificate").is_visible()
    assert_accessible(page)

    page.get_by_role("textbox", name="Verification code").first.fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("✓ VALID")).to_be_visible()
    assert page.get_by_text(cert.sha256).is_visible()
    assert_accessible(page)

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(cert.pdf) + b"%changed")
    page.get_by_label("PDF file", exact=True).set_input_files(str(tampered))
    page.get_by_role("button", name="Compare the file").click()
    expect(page.get_by_text("The file does NOT match")).to_be_visible()
    assert_accessible(page)


def test_unknown_code_and_certificates_page_on_a_phone(phone):
    phone.goto("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert phone.get_by_role("heading", name="No certificate found").is_visible()
    assert_accessible(phone)

    login(phone, "clinician")
    phone.goto("/certificates/")
    phone.get_by_role("button", name="Issue a training transcript").click()
    expect(phone.get_by_text("Training transcript issued")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
