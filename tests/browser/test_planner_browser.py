"""The what-if planner in Chromium: a clinician plans from their own record through forms, on a
desktop and on a phone, and axe-core finds nothing."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, follow_menu, login


def test_clinician_plans_a_training_and_supervision(page):
    login(page, "clinician")
    follow_menu(page, "What-if planner")
    assert page.get_by_label("Endorsement to plan for").input_value() == "IMHS"
    today = page.locator("#compact-today").locator("..").inner_text()
    assert "of the way" in today or "Ready to apply" in today
    assert page.get_by_text("Nothing planned yet").is_visible()
    assert_accessible(page)
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    training = page.locator("form", has=page.locator("#add-training"))
    training.get_by_label("Clock hours").fill("12")
    training.get_by_label("Completed on").fill(soon)
    training.get_by_label("Name (optional)").fill("Parent-infant psychotherapy")
    training.get_by_role("button", name="Add the training").click()
    expect(page.get_by_text(f"Parent-infant psychotherapy: 12 h on {soon}")).to_be_visible()
    rsc = page.locator("form", has=page.locator("#add-rsc"))
    rsc.get_by_label("Hours a month").fill("2")
    rsc.get_by_label("For how many months").fill("3")
    rsc.get_by_role("button", name="Add the supervision").click()
    assert page.get_by_text("Reflective supervision: 2 h in the month of").count() == 3
    assert page.get_by_text(f"Parent-infant psychotherapy: 12 h on {soon}").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Remove: Parent-infant psychotherapy: 12 h on {soon}").click()
    assert page.get_by_text("Parent-infant psychotherapy").count() == 0


def test_planner_on_a_phone_shows_a_form_error_in_place(phone):
    login(phone, "clinician")
    phone.goto("/competencies/planner")
    training = phone.locator("form", has=phone.locator("#add-training"))
    training.get_by_label("Clock hours").fill("0")
    training.get_by_role("button", name="Add the training").click()
    expect(phone.get_by_text("Number must be between 0.5 and 200")).to_be_visible()
    phone.wait_for_load_state()  # its stylesheets applied before the width is read
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
