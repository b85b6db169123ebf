"""Tests for the pure PDF renderer: read every document back with pypdf."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont

from certificates import render as render_module
from certificates.render import (
    FontNotFoundError,
    FontSet,
    RenderError,
    RequirementLine,
    clean_text,
    qr_matrix,
    qr_runs,
    render_bare_page,
    render_completion,
    render_endorsement,
    render_progress,
    render_transcript,
    wrap_text,
)
from tests.certificates import render_samples as samples

LETTER = (612.0, 792.0)
A4 = (595.2756, 841.8898)


def _read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in _read(pdf).pages)


def _squash(text: str) -> str:
    return "".join(text.split())


def _page_size(reader: PdfReader, index: int = 0) -> tuple[float, float]:
    box = reader.pages[index].mediabox
    return round(float(box.width), 4), round(float(box.height), 4)


def _drawn_qr(reader: PdfReader, index: int = 0) -> tuple[list[list[bool]], int]:
    """Rebuild the QR modules from the page's content stream; return them and the fill count."""
    ops = ContentStream(reader.pages[index].get_contents(), reader).operations
    for i, (operands, operator) in enumerate(ops):
        if operator != b"cm":
            continue
        a, b, c, d = (float(v) for v in operands[:4])
        if not (a > 0 and d == -a and b == c == 0):
            continue
        rects, fills = [], 0
        for args, op in ops[i + 1 :]:
            if op == b"re":
                rects.append(tuple(int(float(v)) for v in args))
            elif op == b"f":
                fills += 1
            elif op == b"Q":
                break
        size = max(x + w for x, _, w, _ in rects)
        matrix = [[False] * size for _ in range(size)]
        for x, y, w, h in rects:
            assert h == 1
            for col in range(x, x + w):
                matrix[y][col] = True
        return matrix, fills
    raise AssertionError("no QR code drawn on this page")


def test_progress_shows_name_category_figures_code_and_url() -> None:
    text = _text(render_progress(samples.progress()))
    # DejaVu (system) has ✓ and ✗; the packaged Vera has neither, and √ and × stand in.
    regular = TTFont("face", str(FontSet.default().regular)).face.charToGlyph
    yes, no = ("✓", "✗") if ord("✓") in regular else ("√", "×")

    for expected in (
        samples.NAME,
        "IMHS · Infant Mental Health Specialist",
        "As of 14 March 2026",
        "Overall progress: 64%",
        "32.5 of 50 h",
        "2 of 2 years",
        "not started",
        "Ready around March 2027 at the current pace",
        "17.5 more RSC hours",
        f"{no} Attachment",
        f"{yes} Cultural competence (covered)",
        "Contemplation (not covered)",
        "Theoretical Foundations: 2 of 3 covered",
        samples.CODE,
        samples.URL,
        samples.ISSUER,
    ):
        assert expected in text, expected


def test_progress_requirement_row_reads_left_to_right_on_one_line() -> None:
    lines = _text(render_progress(samples.progress())).splitlines()

    rsc = [line for line in lines if line.startswith("RSC")]
    assert rsc and "32.5 of 50 h" in rsc[0] and rsc[0].endswith("in progress")
    assert lines.index(rsc[0]) < lines.index("Competency areas")


def test_progress_without_forecast_says_so() -> None:
    assert "No projected date yet" in _text(render_progress(samples.progress(forecast_text=" ")))


def test_progress_with_many_requirements_flows_onto_more_pages() -> None:
    many = tuple(
        RequirementLine(f"Requirement {i} " + "with a long label " * 3, i, 40, "h", "in progress")
        for i in range(40)
    )
    reader = _read(render_progress(samples.progress(requirements=many)))
    pages = [page.extract_text() for page in reader.pages]

    assert len(pages) >= 2
    assert "39 of 40 h" in "".join(pages[1:]) and samples.CODE in pages[-1]
    assert "Page 2" in pages[1]
    assert _drawn_qr(reader, len(pages) - 1)[0] == [list(row) for row in qr_matrix(samples.URL)]


def test_page_size_is_letter_by_default_and_a4_on_request() -> None:
    data = samples.progress()
    assert _page_size(_read(render_progress(data))) == LETTER
    assert _page_size(_read(render_progress(data, page_size="A4"))) == A4
    assert _page_size(_read(render_transcript(samples.transcript(), page_size="A4"))) == A4


def test_unknown_page_size_is_refused_by_name() -> None:
    with pytest.raises(RenderError) as caught:
        render_progress(samples.progress(), page_size="legal")  # type: ignore[arg-type]

    assert [e.where for e in caught.value.errors] == ["page_size"]


def test_metadata_names_title_issuer_subject_and_creator() -> None:
    meta = _read(render_progress(samples.progress())).metadata

    assert meta.title == f"Endorsement progress: {samples.NAME}"
    assert meta.author == "Example Association for Infant Mental Health"
    assert "IMHS" in meta.subject and "2026-03-14" in meta.subject
    assert meta.creator == "IMH Pathway"


def test_same_input_gives_the_same_bytes() -> None:
    data = samples.progress()
    assert render_progress(data) == render_progress(data)
    assert render_progress(data) != render_progress(replace(data, overall_progress=0.65))


def test_fonts_are_embedded_truetype_subsets_not_base_fonts() -> None:
    reader = _read(render_progress(samples.progress()))
    fonts = reader.pages[0]["/Resources"]["/Font"]

    used = [fonts[name].get_object() for name in fonts]  # no unused Helvetica either
    assert len(used) == 2  # the regular and the bold face's subsets
    default = FontSet.default()
    faces = {TTFont("face", str(p)).face.name.decode() for p in (default.regular, default.bold)}
    for font in used:
        assert font["/Subtype"] == "/TrueType"
        assert str(font["/BaseFont"]).split("+", 1)[1] in faces  # DejaVuSans or Vera's
        assert "/FontFile2" in font["/FontDescriptor"]


def test_qr_drawn_in_the_pdf_encodes_the_verify_url_as_one_path() -> None:
    matrix, fills = _drawn_qr(_read(render_progress(samples.progress())))

    expected = [list(row) for row in qr_matrix(samples.URL)]
    assert matrix == expected
    assert fills == 1
    assert matrix != [list(row) for row in qr_matrix(samples.URL + "X")]


def test_qr_runs_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix("https://example.org/verify/ABCD")
    rebuilt = [[False] * len(matrix) for _ in matrix]
    for row, col, length in qr_runs(matrix):
        assert length > 0
        for c in range(col, col + length):
            assert not rebuilt[row][c]
            rebuilt[row][c] = True

    assert rebuilt == [list(row) for row in matrix]
    assert qr_runs([[True, True, False, True]]) == [(0, 0, 2), (0, 3, 1)]


@pytest.mark.parametrize(
    "name",
    [" ".join(["Ñúñez-Łukasiewicz"] * 17)[:300], "Ł" * 300],
    ids=["words", "one-word"],
)
def test_long_name_wraps_inside_the_margins_and_keeps_every_character(name: str) -> None:
    # The name is drawn in bold; measure its lines with the same face.
    registerFont(TTFont("TestDejaVuBold", str(FontSet.default().bold)))
    reader = _read(render_progress(samples.progress(holder_name=name)))
    spans: list[tuple[float, float]] = []

    def visit(text: str, cm: list, tm: list, font: object, size: float) -> None:
        if text.strip() and text.strip() in name:
            left = tm[4] + cm[4]
            spans.append((left, left + stringWidth(text.strip(), "TestDejaVuBold", size)))

    text = "".join(page.extract_text(visitor_text=visit) for page in reader.pages)
    assert _squash(name) in _squash(text)
    assert len(spans) > 3
    assert min(left for left, _ in spans) >= 54
    assert max(right for _, right in spans) <= LETTER[0] - 54 + 0.5
    assert samples.CODE in text


def test_wrapped_lines_never_exceed_the_width() -> None:
    text = "Zoë " + "W" * 120 + " Ñúñez-Łukasiewicz and a few more words " * 5
    lines = wrap_text(text, "Helvetica", 12, 200)

    assert len(lines) > 3
    assert all(stringWidth(line, "Helvetica", 12) <= 200 for line in lines)
    assert _squash("".join(lines)) == _squash(text)


def test_bidi_override_characters_are_removed_before_drawing() -> None:
    name = "\u202eZoë\u202c \u2066Ñúñez\u2069 \u202dŁuk\u202c\u2067as\u2068x\u2069"
    pdf = render_progress(samples.progress(holder_name=name))
    text = _text(pdf)
    title = _read(pdf).metadata.title

    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert control not in text and control not in title
    assert "Zoë Ñúñez Łukasx" in text
    assert clean_text(" a\tb\n\u202ec\u0000 ") == "a b c"


def test_markup_in_names_is_drawn_literally() -> None:
    name = "<script>alert('x')</script> &amp; <b>Zoë</b>"
    text = _text(render_progress(samples.progress(holder_name=name)))

    assert name in text


def test_transcript_of_120_trainings_repeats_the_header_and_ends_with_totals() -> None:
    pdf = render_transcript(samples.transcript(120))
    reader = _read(pdf)
    pages = [page.extract_text() for page in reader.pages]

    assert len(pages) >= 3
    assert all("Date Title Provider Hours Areas Source" in page for page in pages[:-1])
    assert "Training number 120:" in "".join(pages)
    assert "Total counted hours: 180" in pages[-1]
    assert all("Total counted hours" not in page for page in pages[:-1])
    assert "Reflection 180" in pages[-1]
    assert samples.CODE in pages[-1]
    matrix, _ = _drawn_qr(reader, len(pages) - 1)
    assert matrix == [list(row) for row in qr_matrix(samples.URL)]


def test_transcript_row_keeps_its_cells_in_reading_order() -> None:
    text = _text(render_transcript(samples.transcript(1)))

    assert "2024-01-08 Training number 1: supporting Example Community 1.5 Cultural" in text


def test_completion_certificate_shows_training_and_trainer() -> None:
    pdf = render_completion(samples.completion())
    text = _text(pdf)

    for expected in (
        samples.NAME,
        "Reflective practice with families of infants",
        "offered by Example Community Mental Health",
        "on 3 November 2025 · 6 clock hours",
        "Parallel process; Self-awareness",
        "Trainer: Amaru Quispe",
        samples.CODE,
        samples.URL,
    ):
        assert expected in text, expected
    assert _read(pdf).metadata.author == "Example Community Mental Health"
    assert _drawn_qr(_read(pdf))[0] == [list(row) for row in qr_matrix(samples.URL)]


def test_endorsement_certificate_shows_number_and_dates() -> None:
    pdf = render_endorsement(samples.endorsement(), page_size="A4")
    text = _text(pdf)

    for expected in (
        "Example Association for Infant Mental Health",
        samples.NAME,
        "Category: IMHS · Infant Mental Health Specialist",
        "Endorsement number: EX-IMHS-00421",
        "Awarded on 1 June 2026",
        "Renewal due by 31 December 2027",
        samples.CODE,
        samples.URL,
    ):
        assert expected in text, expected
    assert _page_size(_read(pdf)) == A4


def test_bad_progress_data_reports_every_problem_by_path() -> None:
    data = samples.progress(
        holder_name="  ",
        overall_progress=1.5,
        as_of="2026-03-14",
        requirements=(
            RequirementLine("RSC", 10, 50, "h", "done"),
            RequirementLine("Hours", -1, 0, "h", "met"),
        ),
        verify_url="ftp://example.org/x",
    )
    with pytest.raises(RenderError) as caught:
        render_progress(data)

    places = {e.where for e in caught.value.errors}
    assert places == {
        "holder_name",
        "overall_progress",
        "as_of",
        "requirements[0].status",
        "requirements[1].value",
        "requirements[1].target",
        "verify_url",
    }
    assert all(e.message for e in caught.value.errors)
    assert "requirements[0].status" in str(caught.value)


def test_wrong_types_inside_nested_tuples_are_named() -> None:
    bad = samples.transcript(2)
    bad = replace(bad, trainings=(bad.trainings[0], replace(bad.trainings[1], hours="1.5")))
    with pytest.raises(RenderError) as caught:
        render_transcript(bad)

    assert [e.where for e in caught.value.errors] == ["trainings[1].hours"]
    with pytest.raises(RenderError) as caught:
        render_endorsement(samples.progress())  # type: ignore[arg-type]
    assert caught.value.errors[0].where == "data"


def test_missing_default_fonts_raise_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    # Without DejaVu in the folders the packaged Vera is used; only without both is it an error.
    assert FontSet.default(search_dirs=[tmp_path]).regular.name == "Vera.ttf"
    monkeypatch.setattr(render_module, "PACKAGED_FONT_DIR", tmp_path / "no-reportlab-fonts")
    with pytest.raises(FontNotFoundError) as caught:
        FontSet.default(search_dirs=[tmp_path])

    assert "DejaVuSans.ttf" in caught.value.errors[0].message
    assert "Vera.ttf" in caught.value.errors[0].message


def test_explicit_font_paths_are_used_and_checked(tmp_path: Path) -> None:
    packaged = render_module.PACKAGED_FONT_DIR
    italic = FontSet(packaged / "VeraIt.ttf", str(packaged / "VeraBI.ttf"))
    reader = _read(render_completion(samples.completion(), fonts=italic))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert any("Oblique" in fonts[n].get_object()["/BaseFont"] for n in fonts)

    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    with pytest.raises(FontNotFoundError) as caught:
        render_completion(samples.completion(), fonts=FontSet(tmp_path / "none.ttf", junk))
    assert [e.where.split(" ")[0] for e in caught.value.errors] == ["fonts.regular", "fonts.bold"]


def test_bare_page_is_one_letter_page_with_one_line() -> None:
    reader = _read(render_bare_page())

    assert len(reader.pages) == 1
    assert _page_size(reader) == LETTER
    assert reader.pages[0].extract_text().strip() == "IMH Pathway"


def test_issue_dates_accept_plain_dates() -> None:
    data = samples.endorsement()
    text = _text(render_endorsement(replace(data, issued_on=date(2030, 1, 2))))

    assert "Issued on 2 January 2030" in text


def test_each_bad_value_is_worded_by_what_was_expected() -> None:
    data = samples.progress(
        holder_name=3,
        overall_progress=True,
        requirements=[RequirementLine("RSC", float("nan"), 50, "h", "met"), {"label": "x"}],
        missing=("ok", 2),
        issued_on="2026-03-14",
        verification_code="\x00",
        verify_url="https://" + "x" * 1000,
    )
    with pytest.raises(RenderError) as caught:
        render_progress(data)

    assert sorted((e.where, e.message) for e in caught.value.errors) == [
        ("holder_name", "expected text, got int"),
        ("issued_on", "expected a date, got str"),
        ("missing[1]", "expected text, got int"),
        ("overall_progress", "expected a number, got bool"),
        ("requirements[0].value", "must be a finite number"),
        ("requirements[1]", "expected RequirementLine, got dict"),
        ("verification_code", "must be printable and not empty"),
        ("verify_url", "must be at most 1000 printable characters"),
    ]


def test_range_rules_name_the_value_and_the_rule() -> None:
    with pytest.raises(RenderError) as caught:
        render_progress(samples.progress(overall_progress=1.5, category_code=" "))
    assert sorted((e.where, e.message) for e in caught.value.errors) == [
        ("category_code", "must not be empty"),
        ("overall_progress", "must be between 0 and 1, got 1.5"),
    ]
    bad = replace(samples.completion(), hours=-2, areas=["fine", None])
    with pytest.raises(RenderError) as caught:
        render_completion(bad)
    assert sorted((e.where, e.message) for e in caught.value.errors) == [
        ("areas[1]", "expected text, got NoneType"),
        ("hours", "must not be negative"),
    ]


def test_streams_are_flate_compressed_without_ascii85() -> None:
    reader = _read(render_progress(samples.progress()))
    page = reader.pages[0]
    streams = [page["/Contents"].get_object()]
    for name in page["/Resources"]["/Font"]:
        font = page["/Resources"]["/Font"][name].get_object()
        if "/FontDescriptor" in font:
            streams.append(font["/FontDescriptor"]["/FontFile2"].get_object())
            streams.append(font["/ToUnicode"].get_object())
    assert len(streams) >= 5
    for stream in streams:
        assert stream["/Filter"] in ("/FlateDecode", ["/FlateDecode"]), stream["/Filter"]
        assert stream.get_data()  # decodes


def test_kept_font_subsets_give_the_same_bytes_as_fresh_ones(monkeypatch) -> None:
    from certificates import render_fonts

    warm = render_progress(samples.progress())
    monkeypatch.setattr(render_fonts, "_subsets", render_fonts._Kept(4))
    monkeypatch.setattr(render_fonts, "_compressed", render_fonts._Kept(4))
    cold = render_progress(samples.progress())

    assert cold == warm
    assert len(render_fonts._subsets._values) == 2  # one subset per face, cut once
    other = render_progress(samples.progress(holder_name="Ana Ğ Øster"))
    assert "Ana Ğ Øster" in _text(other)
    assert len(render_fonts._subsets._values) == 4  # new characters, new subsets


def test_kept_subsets_hold_when_another_name_registered_the_font_first(monkeypatch) -> None:
    """reportlab maps a second name for a face to the font registered first for it (the bench's
    baseline registers the same files): the renderer still keeps its subsets."""
    from reportlab.pdfbase import pdfmetrics

    from certificates import render_fonts
    from certificates.render import FontSet

    monkeypatch.setattr(pdfmetrics, "_fonts", dict(pdfmetrics._fonts))
    monkeypatch.setattr(pdfmetrics, "_dynFaceNames", {})
    monkeypatch.setattr(render_fonts, "_font_names", {})
    fonts = FontSet.default()
    for n, path in enumerate((fonts.regular, fonts.bold)):
        pdfmetrics.registerFont(TTFont(f"SomeoneElse{n}", str(path)))  # first, unkept
    monkeypatch.setattr(render_fonts, "_subsets", render_fonts._Kept(4))
    monkeypatch.setattr(render_fonts, "_compressed", render_fonts._Kept(4))
    first = render_progress(samples.progress(), fonts=fonts)
    assert len(render_fonts._subsets._values) == 2  # cut through the kept path
    assert render_progress(samples.progress(), fonts=fonts) == first


def _many_new_characters() -> str:
    """More distinct non-ASCII letters than one 256-code subset holds."""
    return " ".join(chr(c) for c in range(0x100, 0x24F) if chr(c).isprintable())


@pytest.mark.parametrize(
    "data",
    [
        samples.progress(),  # a name and marks outside ASCII, met again after their first use
        samples.progress(forecast_text=_many_new_characters()),  # several subsets per line
        samples.progress(holder_name="Plain Ascii Name"),
    ],
    ids=["accents", "subsets", "ascii"],
)
def test_text_operators_are_those_of_reportlabs_text_object(monkeypatch, data) -> None:
    """The renderer writes a line's text operators itself: the bytes reportlab's text object
    writes for the same line (same subsets, codes and escapes), so the same PDF."""
    from certificates.render_sheet import Sheet

    direct = render_progress(data)
    monkeypatch.setattr(Sheet, "_draw_line", _through_text_object)
    assert render_progress(data) == direct
    assert _squash(data.holder_name) in _squash(_text(direct))


def _through_text_object(self, pieces, font, size, gray, baseline=None):
    baseline = self.y - size if baseline is None else baseline
    self._draw_line_text_object(pieces, font, size, gray, baseline)


def test_kept_widths_arrays_give_the_same_bytes_as_fresh_ones(monkeypatch) -> None:
    from certificates import render_fonts

    data = samples.progress(forecast_text=_many_new_characters())
    kept = render_progress(data)
    render_progress(data)
    monkeypatch.setattr(render_fonts, "_widths", render_fonts._Kept(0))  # keeps nothing
    assert render_progress(data) == kept


def test_kept_wrapping_hands_out_a_new_list_each_time() -> None:
    text = "Attachment, separation, trauma, grief & loss " * 4
    lines = wrap_text(text, "Helvetica", 10, 150)
    lines.append("changed by the caller")
    again = wrap_text(text, "Helvetica", 10, 150)
    assert "changed by the caller" not in again
    assert again == lines[:-1] and len(again) > 1
