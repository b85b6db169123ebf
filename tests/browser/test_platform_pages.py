"""The platform's pages in a real browser: sign in, navigate as each role, axe-core on each."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, follow_menu, login

ROLES = [
    "clinician",
    "trainer",
    "rsc_provider",
    "agency_manager",
    "reviewer",
    "coordinator",
    "admin",
]


def test_public_pages_are_accessible(page):
    for path in ["/", "/login", "/no-such-page"]:
        page.goto(path)
        assert page.locator("h1").count() == 1
        assert_accessible(page)


def test_wrong_password_shows_the_generic_message(page):
    login(page, "clinician", "not the password at all")
    assert page.get_by_text("Invalid email or password.", exact=True).is_visible()
    assert page.get_by_label("Email").input_value() == "clinician@demo.example"  # kept
    assert_accessible(page)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_navigates_and_pages_are_accessible(page, role):
    login(page, role)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert_accessible(page)
    links = page.locator(
        "nav[aria-label=Main] a.nav-link, nav[aria-label=Main] a.dropdown-item"
    ).evaluate_all("els => els.map(e => e.getAttribute('href'))")
    visited = 0
    for href in dict.fromkeys(links):
        if not href or not href.startswith("/") or href == "/login":
            continue
        response = page.goto(href)
        assert response.status == 200, href
        assert_accessible(page)
        visited += 1
    page.goto("/account")
    assert page.get_by_role("heading", name="API tokens").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are signed out.").is_visible()
    assert visited >= (1 if role in {"coordinator", "admin"} else 0)


def test_admin_pages_are_accessible(page):
    login(page, "coordinator")
    follow_menu(page, "Associations and people")
    page.get_by_role("link", name="People").first.click()
    expect(page.get_by_role("heading", name="Invite someone")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email", exact=True).fill("new.person@example.org")
    page.get_by_label("Name", exact=True).fill("New Person")
    # Roles are a searchable list of checkboxes (issue 16.6), no longer a multi-select.
    page.get_by_role("group", name="Roles").get_by_label("Clinician", exact=True).check()
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Invitation link (single use")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New Person").click()
    expect(page.get_by_role("heading", name="New Person")).to_be_visible()
    assert_accessible(page)
    page.goto("/admin/audit")
    assert page.get_by_text("user.invite").first.is_visible()
    assert_accessible(page)


def test_logout_in_one_browser_ends_the_copied_session(browser, base_url):
    first = browser.new_context(base_url=base_url)
    second = browser.new_context(base_url=base_url)
    a = first.new_page()
    login(a, "clinician")
    second.add_cookies(first.cookies())
    b = second.new_page()
    b.goto("/account")
    assert b.get_by_role("heading", name="Your account").is_visible()
    a.get_by_role("button", name="Sign out").click()
    a.wait_for_load_state()
    b.goto("/account")
    assert "/login" in b.url
    first.close()
    second.close()


def test_phone_width_sign_in(phone):
    login(phone, "clinician")
    assert phone.get_by_role("heading", level=1).is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert_accessible(phone)
