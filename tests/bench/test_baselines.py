"""The benchmark's baselines do the same work as what they are compared with."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from pypdf.generic import ContentStream

from bench import baselines
from certificates.render import FontSet, render_progress
from tests.certificates import render_samples as samples


def test_fair_pdf_prints_the_certificate_text_in_the_same_embedded_truetype_fonts() -> None:
    data = samples.progress()
    fonts = FontSet.default()
    fair = PdfReader(io.BytesIO(baselines.fair_pdf(data, fonts)))
    ours = PdfReader(io.BytesIO(render_progress(data, fonts=fonts)))

    text = fair.pages[0].extract_text()
    for expected in (samples.NAME, samples.CODE, samples.URL, "32.5 of 50 h", "Attachment"):
        assert expected in text, expected

    def faces(reader: PdfReader) -> set[str]:
        found = set()
        for page in reader.pages:
            for key, ref in page["/Resources"]["/Font"].items():
                font = ref.get_object()
                if key != "/F1":  # reportlab's unused default
                    assert font["/Subtype"] == "/TrueType"
                    assert "/FontFile2" in font["/FontDescriptor"]
                    found.add(str(font["/BaseFont"]).split("+", 1)[1])
        return found

    assert faces(fair) == faces(ours)


def test_fair_pdf_is_compressed_with_twelve_bars_and_the_qr_code_as_one_path() -> None:
    page = PdfReader(io.BytesIO(baselines.fair_pdf(samples.progress(), FontSet.default()))).pages[0]

    assert page["/Contents"].get_object()["/Filter"] in ("/FlateDecode", ["/FlateDecode"])
    ops = ContentStream(page.get_contents(), page.pdf).operations
    filled = [op for _, op in ops if op in (b"f", b"B", b"b", b"F", b"f*", b"B*")]
    rects = [op for _, op in ops if op == b"re"]
    # 24 bar rectangles (track and fill) each painted alone, then every QR run in one fill.
    assert len(filled) == 25
    assert len(rects) > 24 + 50


def test_driver_insert_writes_both_tables_the_import_writes(app, make_user, association) -> None:
    from competencies.models import Evidence
    from courses.models import Completion, Training

    people = [make_user() for _ in range(3)]
    coordinator = make_user(roles=("coordinator",))
    trainings = [
        Training.create(
            association=association, code=f"T{t}", title="T", format="online", hours=3, areas={}
        ).id
        for t in range(10)
    ]
    completions, evidence = baselines.driver_rows(
        association.id,
        coordinator.id,
        [p.id for p in people],
        trainings,
        7,
        dt.date(2020, 1, 1),
        "raw-test",
    )
    assert len(completions[0]) == len(baselines.COMPLETION_COLUMNS)
    assert len(evidence[0]) == len(baselines.EVIDENCE_COLUMNS)

    seconds, how = baselines.driver_insert(completions, evidence)

    assert seconds > 0 and how
    assert Completion.select().where(Completion.import_ref == "raw-test").count() == 7
    assert Evidence.select().where(Evidence.source_ref.startswith("raw-test:")).count() == 7
    days = {c.completed_on for c in Completion.select().where(Completion.import_ref == "raw-test")}
    assert days == {dt.date(2020, 1, 1)}
