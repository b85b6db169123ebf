"""A clinician adds education with its diploma in Chromium, at 1280 and 390 px, axe-core clean
(issue 16, point 8): the record links the document, which opens; a program renamed .pdf is a
form error on the field, with the error summary, and adds nothing; the coordinator who
verifies the item opens the same document from the verification queue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import login

SIZES = {"1280px": (1280, 800), "390px": (390, 844)}
PDF = b"%PDF-1.7\n%diploma for the browser test\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
FILE_LABEL = "Document (e.g. the diploma or transcript)"
OPEN = re.compile(r"^MSW diploma\.pdf \(document of .*opens in a new tab\)$")


def _clean(page) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]


def _fill_education(page, field: str) -> None:
    page.goto("/competencies/evidence/new/education")
    page.get_by_label("Degree or credential").select_option("master")
    page.get_by_label("Field and institution").fill(field)
    awarded = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    page.get_by_label("Awarded on").fill(awarded)


@pytest.mark.parametrize("size", SIZES)
def test_clinician_adds_education_with_its_diploma(browser, base_url, tmp_path, size):
    width, height = SIZES[size]
    diploma, program = tmp_path / "MSW diploma.pdf", tmp_path / "transcript.pdf"
    diploma.write_bytes(PDF)
    card = tmp_path / "transcript.png"
    card.write_bytes(PNG)
    program.write_bytes(EXE)
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        login(page, "clinician")
        # A program renamed .pdf: the field says why, the summary links it, nothing is added.
        _fill_education(page, "Social work, Refused University")
        page.get_by_label(FILE_LABEL).set_input_files(str(program))
        page.get_by_role("button", name="Add education").click()
        page.wait_for_load_state()
        summary = page.get_by_role("alert").filter(has_text="problem")
        assert "This file is a program, not a document." in summary.inner_text()
        assert page.get_by_label(FILE_LABEL).get_attribute("aria-invalid") == "true"
        _clean(page)
        page.goto("/competencies/evidence")
        assert "Refused University" not in page.content()

        _fill_education(page, "Social work, Wayne State")
        _clean(page)
        page.get_by_label(FILE_LABEL).set_input_files(str(diploma))
        page.get_by_role("button", name="Add education").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="My evidence").is_visible()
        row = page.get_by_role("row").filter(has_text="Social work, Wayne State")
        link = row.get_by_role("link", name=OPEN)
        assert link.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _clean(page)
        opened = page.request.get(link.get_attribute("href"))
        assert opened.status == 200 and opened.body() == PDF
        assert opened.headers["content-type"] == "application/pdf"
        assert opened.headers["x-content-type-options"] == "nosniff"
        href = link.get_attribute("href")

        # A second document, added later to the same item from the record.
        row.get_by_role(
            "link", name="Attach a document to Master's degree: Social work, Wayne State"
        ).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Attach a document").is_visible()
        assert page.get_by_role("link", name=OPEN).is_visible()  # already attached
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _clean(page)
        page.get_by_label("Document", exact=True).set_input_files(str(card))
        page.get_by_role("button", name="Attach the document").click()
        page.wait_for_load_state()
        row = page.get_by_role("row").filter(has_text="Social work, Wayne State")
        assert row.get_by_role(
            "link", name=re.compile(r"^transcript\.png \(document of")
        ).is_visible()
    finally:
        context.close()

    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        login(page, "coordinator")
        page.goto("/competencies/verify")
        item = page.get_by_role("region").filter(has_text="Social work, Wayne State")
        assert item.get_by_role("link", name=OPEN).get_attribute("href") == href
        assert page.request.get(href).body() == PDF
        _clean(page)
    finally:
        context.close()
