"""The clinician's dashboard, evidence pages and the planner in Chromium, with axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, follow_menu, login


def test_clinician_dashboard_answers_first_and_is_accessible(page):
    login(page, "clinician")
    follow_menu(page, "My pathway")
    lead = page.locator("p.lead").first.inner_text()
    assert "of the way to Infant Mental Health Specialist" in lead
    assert page.get_by_text("peer group without facilitator").is_visible()
    assert page.get_by_role("img", name="Overall progress").is_visible()
    assert_accessible(page)


def test_clinician_adds_education_on_a_phone(phone):
    login(phone, "clinician")
    phone.goto("/competencies/evidence/new/education")
    phone.get_by_label("Degree or credential").select_option("doctorate")
    phone.get_by_label("Field and institution").fill("PhD, Lakeshore University")
    phone.get_by_label("Awarded on").fill("2030-01-01")
    phone.get_by_role("button", name="Add education").click()
    expect(phone.get_by_text("This date is in the future.", exact=True)).to_be_visible()
    assert phone.get_by_label("Field and institution").input_value() == "PhD, Lakeshore University"
    assert_accessible(phone)
    phone.get_by_label("Awarded on").fill("2012-06-01")
    phone.get_by_role("button", name="Add education").click()
    expect(phone.get_by_text("counts once your association verifies it")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)


def test_coordinator_verification_queue_and_planner(page):
    login(page, "coordinator")
    page.goto("/competencies/verify")
    assert page.get_by_role("heading", name="Evidence waiting for verification").is_visible()
    assert_accessible(page)
    page.goto("/competencies/planner")
    page.get_by_label("Category").select_option("IFA")
    page.get_by_label("Portfolio (JSON or YAML)").fill(
        '{"evidence": [{"kind": "training", "date": "2025-02-30", "hours": 3}]}'
    )
    page.get_by_role("button", name="Evaluate").click()
    expect(page.get_by_text("is not a real date")).to_be_visible()
    assert_accessible(page)
