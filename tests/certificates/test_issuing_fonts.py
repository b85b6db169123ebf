"""Issued certificates use the configured fonts (LMS_PDF_FONT, LMS_PDF_FONT_BOLD)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from certificates import issuing, render
from certificates.models import IssuedCertificate
from tests.certificates.conftest import NAME, pdf_text


def _base_fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {str(fonts[k].get_object()["/BaseFont"]).split("+")[-1] for k in fonts if k != "/F1"}


def test_without_system_fonts_an_issued_certificate_uses_the_packaged_fonts(
    app, on_pathway, association, monkeypatch
):
    monkeypatch.setattr(render, "DEFAULT_FONT_DIRS", ())
    cert = issuing.issue_progress(on_pathway, association, issuer=on_pathway)
    pdf = bytes(cert.pdf)
    assert _base_fonts(pdf) == {"BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold"}
    assert NAME in pdf_text(pdf)


def test_configured_font_files_are_used(app, on_pathway, association):
    italic = render.PACKAGED_FONT_DIR / "VeraIt.ttf"
    app.config.update(PDF_FONT=str(italic), PDF_FONT_BOLD=str(italic.with_name("VeraBI.ttf")))
    cert = issuing.issue_transcript(on_pathway, association)
    assert _base_fonts(bytes(cert.pdf)) == {
        "BitstreamVeraSans-Oblique",
        "BitstreamVeraSans-BoldOblique",
    }


def test_a_configured_font_that_is_missing_is_named_and_nothing_is_stored(
    app, on_pathway, association, tmp_path
):
    app.config.update(PDF_FONT=str(tmp_path / "gone.ttf"))
    before = IssuedCertificate.select().count()
    with pytest.raises(render.FontNotFoundError, match="gone.ttf"):
        issuing.issue_transcript(on_pathway, association)
    assert IssuedCertificate.select().count() == before
