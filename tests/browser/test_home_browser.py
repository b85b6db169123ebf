"""Homes that list what to do, in Chromium at 1280 and 390 px, axe-core clean."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import login

SIZES = {"1280px": (1280, 800), "390px": (390, 844)}


def _clean(page) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "role, label",
    [
        ("coordinator", re.compile(r"renewals? due within 90 days")),
        ("reviewer", re.compile(r"reviews? waiting for you")),
        ("rsc_provider", re.compile(r"supervision sessions? waiting for your signature")),
        ("trainer", re.compile(r"imports? previewed but not saved")),
    ],
)
def test_staff_home_lists_counts_and_links(browser, base_url, role, label, size):
    width, height = SIZES[size]
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        login(page, role)
        todo = page.get_by_role("region", name="To do")
        assert todo.is_visible()
        link = todo.get_by_role("link", name=label)
        assert re.fullmatch(r"\d+ .+", link.inner_text())
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _clean(page)
        link.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_clinician_home_shows_progress_date_and_next_tasks(browser, base_url, size):
    width, height = SIZES[size]
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        login(page, "clinician")
        panel = page.get_by_role("region", name="Your pathway")
        assert panel.get_by_role("img", name=re.compile("overall progress")).first.is_visible()
        assert "of the way to" in panel.inner_text() or "You meet every" in panel.inner_text()
        tasks = panel.locator("ol").first.locator("li")
        assert 1 <= tasks.count() <= 3
        _clean(page)
        panel.get_by_role("link", name="Open my pathway").click()
        page.wait_for_load_state()
        assert page.url.endswith("/competencies/")
    finally:
        context.close()
