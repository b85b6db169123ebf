"""The association readiness report and a clinician's readiness in Chromium, with axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, follow_menu, login


def test_reviewer_reads_the_report_then_one_clinician(page):
    login(page, "reviewer")
    follow_menu(page, "Readiness")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Readiness")
    counts = page.locator("p.counts").inner_text()
    assert "Ready" in counts and "Stalled" in counts and "Within 3 months" in counts
    table = page.get_by_role("table")
    assert table.get_by_role("row").count() >= 2
    assert "%" in table.locator("td[data-label=Progress]").first.inner_text()
    assert_accessible(page)
    page.get_by_label("Status").select_option("stalled")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "status=stalled" in page.url
    assert (
        page.get_by_role("link", name="Export CSV")
        .get_attribute("href")
        .startswith("/competencies/readiness.csv?")
    )
    page.goto("/competencies/readiness")
    table.get_by_role("link", name="Demo Clinician", exact=True).click()
    expect(page.get_by_role("heading", name="Readiness of Demo Clinician")).to_be_visible()
    assert page.get_by_role("heading", name="What is missing").first.is_visible()
    assert page.get_by_role("img", name="Overall progress").first.is_visible()
    assert_accessible(page)


def test_coordinator_sorts_on_a_phone(phone):
    login(phone, "coordinator")
    phone.goto("/competencies/readiness")
    phone.get_by_label("Sort by").select_option("-progress")
    phone.get_by_role("button", name="Apply").click()
    phone.wait_for_load_state()
    assert "sort=-progress" in phone.url
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    wrapper = phone.locator(".table-responsive")
    assert wrapper.evaluate("e => e.scrollWidth <= e.clientWidth")  # stacked, not scrolled
    first = phone.locator("td[data-label=Progress]").first.inner_text()
    assert first.strip().endswith("%")
    assert_accessible(phone)
