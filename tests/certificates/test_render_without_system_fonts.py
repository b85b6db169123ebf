"""Certificates render on a machine without system fonts (a slim container, a Mac).

The fonts then come with the Python packages the project installs: reportlab's Bitstream Vera
Sans, of which DejaVu Sans is a derivative.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from certificates import render
from certificates.render import (
    FontNotFoundError,
    FontSet,
    render_completion,
    render_endorsement,
    render_progress,
    render_transcript,
)
from tests.certificates import render_samples as samples

# Latin-1 and the Latin Extended-A letters the packaged font has, curly quotes, an en dash.
NAME = "Łukasz Wróbel-Ñúñez “Zoë” – Šárka Çelik"


def _fonts_of(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for key in fonts:
            font = fonts[key].get_object()
            if key != "/F1":  # reportlab's unused default
                assert font["/Subtype"] == "/TrueType"
                assert "/FontFile2" in font["/FontDescriptor"]  # embedded
                found.append(str(font["/BaseFont"]))
    return found


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def no_system_fonts(monkeypatch):
    """Hide the system font folders: the search path is empty."""
    monkeypatch.setattr(render, "DEFAULT_FONT_DIRS", ())


def _every_kind() -> dict[str, bytes]:
    return {
        "progress": render_progress(samples.progress(holder_name=NAME)),
        "transcript": render_transcript(replace(samples.transcript(), holder_name=NAME)),
        "completion": render_completion(replace(samples.completion(), holder_name=NAME)),
        "endorsement": render_endorsement(replace(samples.endorsement(), holder_name=NAME)),
    }


def test_every_kind_renders_with_the_packaged_fonts(no_system_fonts) -> None:
    for kind, pdf in _every_kind().items():
        fonts = _fonts_of(pdf)
        assert fonts and all("BitstreamVeraSans" in f for f in fonts), (kind, fonts)
        text = _text(pdf)
        assert NAME in text or "".join(NAME.split()) in "".join(text.split()), kind
        assert samples.CODE in text, kind


def test_the_default_without_system_folders_is_the_packaged_pair() -> None:
    fonts = FontSet.default(search_dirs=[])
    assert (fonts.regular.name, fonts.bold.name) == ("Vera.ttf", "VeraBd.ttf")
    assert fonts.regular.is_file() and fonts.bold.is_file()
    pdf = render_completion(replace(samples.completion(), holder_name=NAME), fonts=fonts)
    assert NAME in _text(pdf)


def test_coverage_marks_fall_back_to_glyphs_the_packaged_font_has(no_system_fonts) -> None:
    text = _text(render_progress(samples.progress()))
    assert "✓" not in text and "✗" not in text  # Vera has neither: no empty boxes
    assert "√ Cultural competence (covered)" in text
    assert "× Attachment" in text


def test_system_dejavu_is_preferred_when_installed(tmp_path: Path) -> None:
    dejavu = tmp_path / "dejavu"
    dejavu.mkdir()
    packaged = FontSet.default(search_dirs=[])
    for name, source in (
        ("DejaVuSans.ttf", packaged.regular),
        ("DejaVuSans-Bold.ttf", packaged.bold),
    ):
        (dejavu / name).write_bytes(source.read_bytes())
    assert (
        FontSet.default(search_dirs=[tmp_path / "none", dejavu]).regular
        == dejavu / "DejaVuSans.ttf"
    )


def test_configured_fonts_come_first_and_a_wrong_path_is_named(tmp_path: Path) -> None:
    packaged = FontSet.default(search_dirs=[])
    italic = packaged.regular.with_name("VeraIt.ttf")
    chosen = FontSet.configured(str(italic), "", search_dirs=[])
    assert chosen == FontSet(italic, italic)
    assert (
        "BitstreamVeraSans-Oblique"
        in _fonts_of(render_completion(samples.completion(), fonts=chosen))[0]
    )
    assert FontSet.configured(None, None, search_dirs=[]) == packaged
    with pytest.raises(FontNotFoundError) as caught:
        FontSet.configured(str(tmp_path / "missing.ttf"), None, search_dirs=[])
    assert "PDF_FONT" in caught.value.errors[0].where
    assert "missing.ttf" in caught.value.errors[0].message
