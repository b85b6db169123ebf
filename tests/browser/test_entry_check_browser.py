"""Adding work says at once whether and why it will not count (issue 15, point 12), in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, login


def test_clinician_checks_a_work_period_before_adding_it(phone):
    login(phone, "clinician")
    phone.goto("/competencies/evidence/new/work")
    phone.get_by_label("Job title and employer").fill("Home visitor, Lakeshore CMH")
    phone.get_by_label("Kind of work").select_option("dyadic_clinical")
    phone.get_by_label("Started on").fill("2008-01-01")
    phone.get_by_label("Ended on").fill("2009-12-31")
    phone.get_by_role("button", name="Check whether it counts").click()
    expect(phone.get_by_role("heading", name="Will it count?")).to_be_visible()
    verdict = phone.get_by_role("status").inner_text()
    assert "✗ No" in verdict and "ended before your master's degree" in verdict
    assert phone.get_by_label("Job title and employer").input_value() == (
        "Home visitor, Lakeshore CMH"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.get_by_role("button", name="Add work experience").click()
    expect(phone.get_by_text("will not count — ended before your master's degree")).to_be_visible()
