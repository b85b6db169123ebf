"""Correcting and voiding a completion in Chromium with axe-core: roster, form, transcript."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login


def _open_correction(page, training: str) -> None:
    """From the catalogue to the correction form of Demo Clinician Three's completion."""
    page.goto("/courses/")
    page.get_by_role("link", name=training).click()
    page.get_by_role("link", name="Record attendees of").last.click()
    page.get_by_label("Find clinicians by name or email").fill("clinician3")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Correct or void the completion of Demo Clinician Three").click()
    expect(page.get_by_role("heading", name="Correct or void a completion")).to_be_visible()


def test_trainer_corrects_and_the_clinician_sees_the_history(page, phone):
    login(page, "trainer")
    _open_correction(page, "Foundations of infant development")
    assert page.get_by_label("Clock hours").input_value() == "15"
    assert_accessible(page)
    page.get_by_label("Clock hours").fill("20")
    page.get_by_label("Reason for the correction").fill("Left after the morning sessions")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("20 is more than the training's 15 hours.", exact=True)).to_be_visible()
    assert page.get_by_label("Clock hours").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Reason for the correction").input_value().startswith("Left after")
    assert_accessible(page)
    page.get_by_label("Clock hours").fill("12")
    page.get_by_label("TF-PREG").uncheck()
    page.get_by_role("button", name="Save the correction").click()
    assert page.get_by_text(
        "Corrected: Foundations of infant development, 12 clock hours"
    ).is_visible()
    assert page.get_by_role(
        "heading", name="Attendees of Foundations of infant development"
    ).is_visible()

    login(phone, "clinician3")
    phone.goto("/courses/transcript")
    assert phone.get_by_text("Void, corrected: Left after the morning sessions").is_visible()
    assert phone.get_by_text("Corrected; earlier entry: 15 h on").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)


def test_coordinator_voids_from_the_transcript(page):
    login(page, "coordinator")
    _open_correction(page, "Attachment, separation and loss")
    page.get_by_role("link", name="All trainings of Demo Clinician Three").click()
    expect(page.get_by_role("heading", name="Trainings of Demo Clinician Three")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Correct or void Attachment, separation and loss").click()
    page.get_by_role("button", name="Void this completion").click()
    expect(page.get_by_text("Say why; the clinician sees the reason.", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason for voiding").fill("Recorded for the wrong person")
    page.get_by_role("button", name="Void this completion").click()
    expect(page.get_by_text("Voided: Attachment, separation and loss")).to_be_visible()
    assert page.get_by_text("Withdrawn: Recorded for the wrong person").is_visible()
    assert_accessible(page)
