"""The main menu in Chromium at 1280 and 390 px: every item of a role reachable, the current page
marked, "Sign out" on screen, axe-core clean with the groups open."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import url_for

from lms.plugins import NAV_GROUPS, nav_group
from tests.browser.conftest import login, open_menu_link, show_collapsed_menu

SIZES = {"1280px": (1280, 800), "390px": (390, 844)}


def _expected(app, role: str) -> list[tuple[str, str, str]]:
    """Return (label, path, group label) of every menu item the role's capabilities grant."""
    caps = app.extensions["lms.capabilities"]
    labels = dict(NAV_GROUPS)
    with app.test_request_context():
        return [
            (item.label, url_for(item.endpoint), labels[nav_group(item, caps)])
            for item in sorted(app.extensions["lms.nav"], key=lambda i: (i.order, i.label))
            if item.endpoint in app.view_functions
            and (item.capability is None or role in caps[item.capability].roles)
        ]


def _assert_on_screen(page, locator, width: int) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    height = page.viewport_size["height"]
    assert 0 <= box["x"] and box["x"] + box["width"] <= width, box
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, box


def _assert_no_violations(page) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]


@pytest.fixture
def sized(browser, base_url, request):
    def make(size: str):
        width, height = SIZES[size]
        # Reduced motion: Bootstrap then scrolls to a link and opens the phone's menu at once.
        # Its smooth scroll could still be moving the last links of a long menu when a click
        # took their place on a loaded machine, and the click missed (seen twice under
        # pytest-xdist: "Learning platforms", the coordinator's last link, at 390 px).
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            reduced_motion="reduce",
        )
        request.addfinalizer(context.close)
        return context.new_page()

    return make


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ["admin", "coordinator", "clinician"])
def test_every_menu_item_is_reachable_and_marked_current(sized, live_app, role, size):
    page = sized(size)
    width = SIZES[size][0]
    login(page, role)
    expected = _expected(live_app, role)
    assert len(expected) >= 8
    nav = page.get_by_role("navigation", name="Main")
    # Every item is in the menu once, under its group, and nothing else is.
    shown = nav.locator("a.nav-link, a.dropdown-item").evaluate_all(
        "els => els.map(e => e.textContent.trim())"
    )
    assert sorted(shown) == sorted([label for label, _, _ in expected] + [f"Demo {_title(role)}"])
    checked_groups: set[str] = set()
    for label, path, group in expected:
        page.goto("/")
        link = open_menu_link(page, label)
        _assert_on_screen(page, link, width)
        if group not in checked_groups:  # the menu open on this group, as people see it
            checked_groups.add(group)
            _assert_no_violations(page)
        link.click()
        # The load state of the page still shown would answer before the click navigates.
        page.wait_for_url(lambda url, path=path: url.endswith(path))
        assert page.url.endswith(path), (label, page.url)
        current = nav.locator("[aria-current=page]")
        assert current.count() == 1 and current.text_content().strip() == label
        if len([e for e in expected if e[2] == group]) > 1:
            toggle = nav.get_by_role("button", name=group, exact=True, include_hidden=True)
            assert "current" in toggle.get_attribute("class")
        # The menu never pushes the page wider than the screen (the pages' own content is
        # their tests' business).
        assert nav.evaluate("e => e.scrollWidth") <= width
    assert len(checked_groups) == len({g for _, _, g in expected}) >= 2
    # Sign out is on screen too (behind the toggler on a phone) and works.
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sign_out = nav.get_by_role("button", name="Sign out")
    if not sign_out.is_visible():
        show_collapsed_menu(nav.get_by_role("button", name="Show navigation"))
    sign_out.wait_for(state="visible")
    _assert_on_screen(page, sign_out, width)
    _assert_no_violations(page)
    sign_out.click()
    page.wait_for_load_state()
    assert page.get_by_text("You are signed out.").is_visible()


def _title(role: str) -> str:
    return role.replace("_", " ").title()


def test_phone_menu_starts_closed_and_groups_open_in_place(sized):
    page = sized("390px")
    login(page, "coordinator")
    nav = page.get_by_role("navigation", name="Main")
    toggler = nav.get_by_role("button", name="Show navigation")
    assert toggler.is_visible()
    assert not nav.get_by_role("button", name="Sign out").is_visible()
    toggler.click()
    group = nav.get_by_role("button", name="Administration", exact=True)
    group.click()
    assert group.get_attribute("aria-expanded") == "true"
    link = nav.get_by_role("link", name="Audit log", exact=True)
    link.wait_for(state="visible")
    _assert_on_screen(page, link, 390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The whole menu, opened, fits the width of the phone.
    page.keyboard.press("Escape")
    assert group.get_attribute("aria-expanded") == "false"
