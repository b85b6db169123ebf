"""Issue 16, points 5, 6, 7 and 9 in Chromium with axe-core at 1280 and 390 px: one figure on
every page and the RSC page's reminder; forms people can finish; readiness that says why;
documents readable before signing and a category picker that explains."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def narrow(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


def _both(page, narrow, role, url):
    """Open the url as the role in both widths; return the two pages, checked by axe."""
    for p in (page, narrow):
        login(p, role)
        p.goto(url)
        assert_accessible(p)
    return page, narrow


def _hours(text: str, pattern: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in the page"
    return float(found.group(1))


# --- 5. One figure everywhere; the RSC page ------------------------------------------------


def test_transcript_pathway_and_rsc_page_show_the_same_hours(page):
    login(page, "clinician")
    page.goto("/competencies/")
    pathway = page.inner_text("main")
    training = _hours(pathway, r"Training hours\s+([\d.]+) of")
    rsc = _hours(pathway, r"Reflective supervision\s+([\d.]+) of")
    assert _hours(pathway, r"([\d.]+) h of counted training") == training
    assert _hours(pathway, r"and ([\d.]+) h of reflective supervision that counts") == rsc
    page.goto("/courses/transcript")
    assert _hours(page.inner_text("main"), r"([\d.]+) clock hours count toward") == training
    assert_accessible(page)
    page.goto("/supervision/")
    body = page.inner_text("main")
    assert _hours(body, r"\(IMHS\)\s+([\d.]+) of") == rsc
    assert "No sessions yet" not in body
    assert page.locator("[data-rsc-row]").count() >= 13


def test_clinician_reminds_the_provider_once_a_day(page, narrow):
    page, narrow = _both(page, narrow, "clinician", "/supervision/")
    row = page.get_by_role("row").filter(has_text="Waiting for Demo Rsc Provider to attest since")
    assert row.count() == 1
    row.get_by_role("button", name=re.compile("Remind my provider")).click()
    expect(page.get_by_text("Demo Rsc Provider is reminded by email.")).to_be_visible()
    assert_accessible(page)
    narrow.reload()
    narrow.get_by_role("button", name=re.compile("Remind my provider")).click()
    expect(narrow.get_by_text("reminded of this session today already")).to_be_visible()
    assert_accessible(narrow)


# --- 6. Forms people can finish -------------------------------------------------------------


def test_error_summary_takes_the_focus_and_links_each_field(page, narrow):
    for p in _both(page, narrow, "coordinator", "/courses/trainings/new"):
        p.get_by_label("Clock hours").fill("-1")
        p.get_by_role("button", name="Save training").click()
        p.wait_for_load_state()
        summary = p.locator("[data-error-summary]")
        assert summary.is_visible()
        assert p.evaluate("document.activeElement.hasAttribute('data-error-summary')")
        links = summary.get_by_role("link")
        assert links.count() >= 3
        summary.get_by_role("link", name=re.compile("^Title")).click()
        assert p.evaluate("document.activeElement.id") == "title"
        assert_accessible(p)


def test_long_checkbox_lists_filter_and_keep_ticks(page, narrow):
    for p in _both(page, narrow, "coordinator", "/courses/trainings/new"):
        areas = p.get_by_role("group", name="Competency areas covered")
        boxes = areas.get_by_role("checkbox")
        total = boxes.count()
        assert total >= 6
        boxes.first.check()
        ticked = boxes.first.get_attribute("id")
        p.get_by_label("Find in the list").first.fill("zzz-nothing-like-this")
        assert p.locator(f"#{ticked}").is_visible()  # a ticked box never hides
        visible = [b for b in boxes.all() if b.is_visible()]
        assert len(visible) == 1
        assert f"1 of {total} shown" in areas.inner_text()
        p.get_by_label("Find in the list").first.fill("")
        assert len([b for b in boxes.all() if b.is_visible()]) == total
        assert_accessible(p)


def _open_roster(p):
    p.goto("/courses/")
    p.get_by_role("link", name="Reflective supervision in practice").click()
    p.get_by_role("link", name="Record attendees of").last.click()


def test_roster_keeps_ticks_across_a_search_and_takes_pasted_emails(page, narrow):
    for p in (page, narrow):
        login(p, "trainer")
        _open_roster(p)
        assert_accessible(p)
        p.get_by_label("Attended: Demo Clinician Two (new)").check()
        p.get_by_label("Find clinicians by name or email").fill("clinician3")
        p.get_by_role("button", name="Search").click()
        expect(p.get_by_text("Also ticked (1), not in this search")).to_be_visible()
        assert p.get_by_label(re.compile("Attended: Demo Clinician Two")).is_checked()
        p.get_by_text("Paste a list of emails").click()
        p.get_by_label("Emails of attendees").fill(
            "Demo Clinician Three <clinician3@demo.example>\nnobody@demo.example"
        )
        p.get_by_role("button", name="Tick these people").click()
        p.wait_for_load_state()
        summary = p.locator("[data-error-summary]")
        assert "not a clinician of the association: nobody@demo.example" in summary.inner_text()
        assert p.evaluate("document.activeElement.hasAttribute('data-error-summary')")
        assert p.get_by_label(re.compile("Attended: Demo Clinician Three")).is_checked()
        assert p.get_by_label(re.compile("Attended: Demo Clinician Two")).is_checked()
        assert_accessible(p)
    page.get_by_role("button", name="Record ticked attendees").click()
    expect(page.get_by_text("Recorded 2 completion(s)")).to_be_visible()


def test_every_import_offers_its_csv_template(page):
    login(page, "coordinator")
    for url, link in (
        ("/courses/import", "Download a CSV template"),
        ("/courses/lms-accounts", "Download a CSV template"),
        ("/competencies/frameworks/import", "Download a Moodle CSV template"),
    ):
        page.goto(url)
        with page.expect_download() as info:
            page.get_by_role("link", name=link).click()
        assert info.value.suggested_filename.endswith("template.csv")
        assert_accessible(page)


# --- 7. Readiness that tells the truth ------------------------------------------------------


def test_readiness_report_defines_its_statuses_and_names_people(page, narrow):
    for p in _both(page, narrow, "coordinator", "/competencies/readiness"):
        p.get_by_text("What the statuses mean").click()
        definitions = p.locator("#statuses").inner_text()
        for word in ("Ready", "On track", "At risk", "Stalled"):
            assert word in definitions
        flags = p.locator("td[data-label='Flags']").all_inner_texts()
        assert flags and not any(re.search(r"\byour?\b", f, re.I) for f in flags)
        assert_accessible(p)


# --- 9. Documents readable before signing; the category picker ----------------------------


def test_documents_are_readable_before_signing(page, narrow):
    for p in _both(page, narrow, "clinician", "/competencies/evidence/new/agreement"):
        p.get_by_text("Read what the Code of Ethics asks before you sign").click()
        expect(p.get_by_text("This is our summary, not the document.").first).to_be_visible()
        p.get_by_role("link", name="Open this summary on its own page").first.click()
        expect(p.get_by_role("heading", name="Code of Ethics", level=1)).to_be_visible()
        assert_accessible(p)


def test_category_picker_says_who_each_category_is_for(page, narrow):
    for p in _both(page, narrow, "clinician", "/competencies/"):
        picker = p.get_by_role("group", name="Category you work toward")
        option = picker.get_by_role("radio", name=re.compile(r"Infant Family Associate \(IFA\)"))
        assert option.count() == 1
        hint = option.get_attribute("aria-describedby")
        assert "Starting out with babies" in p.locator(f"#{hint}").inner_text()
        assert_accessible(p)
