"""The courses pages in Chromium with axe-core: catalogue, roster, import preview, transcript."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, follow_menu, login


def test_catalogue_filters_by_tag_and_is_accessible(page):
    login(page, "trainer")
    follow_menu(page, "Trainings")
    assert page.get_by_role("link", name="Reflective supervision in practice").is_visible()
    page.get_by_label("Tag").fill("dei")
    page.get_by_role("button", name="Filter").click()
    culture = page.get_by_role("link", name="Culture and equity in infant mental health")
    expect(culture).to_be_visible()
    assert page.get_by_role("link", name="Reflective supervision in practice").count() == 0
    assert_accessible(page)


def test_trainer_records_a_roster_with_prerequisite_warning(page):
    login(page, "trainer")
    page.goto("/courses/")
    page.get_by_role("link", name="Reflective supervision in practice").click()
    page.get_by_role("link", name="Record attendees of").last.click()
    page.get_by_label("Find clinicians by name or email").fill("clinician2")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="clinician2@demo.example")
    assert "Prerequisite missing: Attachment, separation and loss" in row.inner_text()
    # Before recording, the row says what recording would mean (no goal declared yet).
    assert "does not stop a training counting" in row.inner_text()
    assert "If recorded, no pathway is open with this association" in row.inner_text()
    assert_accessible(page)
    page.get_by_label("Attended: Demo Clinician Two (new)").check()
    page.get_by_role("button", name="Record ticked attendees").click()
    expect(page.get_by_text("Recorded 1 completion(s)")).to_be_visible()
    said = page.get_by_text("Demo Clinician Two (new): recorded; no pathway is open")
    assert said.is_visible() and "counts once a goal is declared" in said.inner_text()
    assert_accessible(page)


def test_import_preview_lists_outcomes_on_a_phone(phone, tmp_path):
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    path = tmp_path / "roster.csv"
    path.write_text(
        "email,training_code,date,hours\r\n"
        f"clinician2@demo.example,RSC-300,{day},15\r\n"
        f"clinician3@demo.example,TF-101,{day},3\r\n"
    )
    login(phone, "coordinator")
    phone.goto("/courses/import")
    phone.get_by_label("CSV file").set_input_files(str(path))
    phone.get_by_role("button", name="Check the file").click()
    expect(phone.get_by_role("heading", name="Ready to import")).to_be_visible()
    flagged = phone.get_by_text("prerequisite missing: Attachment, separation and loss")
    only_flagged = "(only flagged: it does not stop the training counting)"
    assert flagged.is_visible() and only_flagged in flagged.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.get_by_role("button", name="Import 2 completions").click()
    expect(phone.get_by_text("Imported 2 completion(s)")).to_be_visible()


def test_import_errors_and_transcript_are_accessible(page, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "email,training_code,date,hours\r\nclinician3@demo.example,TF-101,2024-02-30,0\r\n"
    )
    login(page, "coordinator")
    page.goto("/courses/import")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Nothing can be imported yet")).to_be_visible()
    assert page.get_by_text("2024-02-30 is not a real date").first.is_visible()
    assert_accessible(page)
    page.goto("/courses/verify")
    assert page.get_by_role(
        "heading", name="Demo Clinician: Infant massage for caregivers"
    ).is_visible()
    assert_accessible(page)


def test_clinician_transcript_shows_flags_and_reasons(phone):
    login(phone, "clinician")
    phone.goto("/courses/transcript")
    assert phone.get_by_role("heading", name="My trainings").is_visible()
    assert phone.get_by_text("Prerequisite missing: Attachment, separation and loss").is_visible()
    assert phone.get_by_text("Waiting for verification").is_visible()
    assert_accessible(phone)
