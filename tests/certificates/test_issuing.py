"""Issuing from the database: what the stored PDFs say, superseding, revoking, the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from pypdf import PdfReader

from certificates import issuing, revocation
from certificates.codes import display
from certificates.models import IssuedCertificate
from certificates.render import qr_matrix
from lms.models import AuditLog
from tests.certificates.conftest import NAME, TODAY, pdf_text
from tests.certificates.test_render import _drawn_qr


def test_progress_certificate_holds_name_category_figures_and_code(on_pathway, association):
    cert = issuing.issue_progress(on_pathway, association, issuer=on_pathway)
    pdf = bytes(cert.pdf)
    text = pdf_text(pdf)

    assert NAME in text
    assert "IMHS · Infant Mental Health Specialist" in text
    assert "9 of" in text  # 6 h + 3 h of counted training
    assert display(cert.code) in text
    assert f"http://localhost/verify/{display(cert.code)}" in text
    assert cert.sha256 == hashlib.sha256(pdf).hexdigest()
    assert cert.kind == "progress" and cert.category == "IMHS" and cert.status == "valid"


def test_qr_code_in_the_stored_pdf_encodes_the_verify_url(on_pathway, association):
    cert = issuing.issue_progress(on_pathway, association, issuer=on_pathway)
    reader = PdfReader(io.BytesIO(bytes(cert.pdf)))
    url = issuing.verify_url(cert.code)

    assert url == f"http://localhost/verify/{display(cert.code)}"
    matrix, _ = _drawn_qr(reader, len(reader.pages) - 1)
    assert matrix == [list(row) for row in qr_matrix(url)]


def test_code_is_16_unambiguous_characters_shown_in_four_groups(on_pathway, association):
    codes = {issuing.issue_transcript(on_pathway, association).code for _ in range(3)}

    assert len(codes) == 3
    for code in codes:
        assert len(code) == 16 and not set(code) & set("ILOU")
        assert display(code).count("-") == 3


def test_a_new_issue_supersedes_the_older_valid_one_of_the_same_kind(on_pathway, association):
    first = issuing.issue_transcript(on_pathway, association)
    progress = issuing.issue_progress(on_pathway, association)
    second = issuing.issue_transcript(on_pathway, association)

    first = IssuedCertificate.get_by_id(first.id)
    assert first.status == "superseded" and first.superseded_by_id == second.id
    assert IssuedCertificate.get_by_id(progress.id).status == "valid"
    assert bytes(first.pdf) != bytes(second.pdf)  # never re-rendered in place


def test_issuing_writes_the_audit_log_with_code_and_hash(on_pathway, association):
    cert = issuing.issue_transcript(on_pathway, association, issuer=on_pathway)

    row = AuditLog.get(
        (AuditLog.action == "certificate.issue") & (AuditLog.object_id == str(cert.id))
    )
    after = json.loads(row.after)
    assert after["code"] == display(cert.code) and after["sha256"] == cert.sha256
    assert row.actor_id == on_pathway.id and row.association_id == association.id


def test_transcript_lists_counted_trainings_with_totals_by_domain(
    on_pathway, association, add_evidence
):
    add_evidence(on_pathway, days_ago=20, hours=4, label="Pending one", status="pending")
    text = pdf_text(bytes(issuing.issue_transcript(on_pathway, association).pdf))

    assert "Pregnancy and the first year" in text and "Ethics in home visiting" in text
    assert "Pending one" not in text
    assert "Total counted hours: 9" in text
    assert "trainer roster" in text  # source "courses" in words


def test_progress_without_a_pathway_is_refused_by_field_and_writes_nothing(clinician, association):
    with pytest.raises(issuing.CertificateError) as caught:
        issuing.issue_progress(clinician, association)

    assert caught.value.field == "category"
    assert IssuedCertificate.select().count() == 0
    assert not AuditLog.select().where(AuditLog.action == "certificate.issue").exists()


def test_revoke_needs_a_reason_and_is_audited(on_pathway, association, coordinator):
    cert = issuing.issue_transcript(on_pathway, association)

    with pytest.raises(issuing.CertificateError) as caught:
        revocation.revoke(cert, reason="   ", revoker=coordinator)
    assert caught.value.field == "reason"
    assert IssuedCertificate.get_by_id(cert.id).status == "valid"

    revocation.revoke(cert, reason="Issued to the wrong person", revoker=coordinator)
    stored = IssuedCertificate.get_by_id(cert.id)
    assert stored.status == "revoked" and stored.revoked_by_id == coordinator.id
    assert AuditLog.select().where(AuditLog.action == "certificate.revoke").count() == 1
    with pytest.raises(issuing.CertificateError):
        revocation.revoke(stored, reason="again", revoker=coordinator)


def test_page_size_comes_from_config(on_pathway, association, app):
    app.config["PAGE_SIZE"] = "A4"
    cert = issuing.issue_transcript(on_pathway, association)
    box = PdfReader(io.BytesIO(bytes(cert.pdf))).pages[0].mediabox

    assert (round(float(box.width), 1), round(float(box.height), 1)) == (595.3, 841.9)


@pytest.mark.parametrize(
    "name",
    ["A" * 120 + " " + "Ñ" * 100 + " " + "Z" * 80, "Amira \u202eevil\u202c Haddad"],
)
def test_long_and_bidi_names_render_safely(make_user, defaults, association, name):
    from competencies.pathways import declare_goal

    user = make_user("odd@example.test", display_name=name)
    declare_goal(user, association, "IMHS", TODAY - dt.timedelta(days=10))
    text = pdf_text(bytes(issuing.issue_progress(user, association).pdf))

    assert "\u202e" not in text
    squashed = "".join(text.split())
    assert "".join(name.replace("\u202e", "").replace("\u202c", "").split()) in squashed


def test_markup_name_is_literal_in_the_pdf(make_user, defaults, association):
    from competencies.pathways import declare_goal

    user = make_user("x@example.test", display_name="<script>alert(1)</script>")
    declare_goal(user, association, "IMHS", TODAY - dt.timedelta(days=10))

    assert "<script>alert(1)</script>" in pdf_text(bytes(issuing.issue_transcript(user).pdf))
