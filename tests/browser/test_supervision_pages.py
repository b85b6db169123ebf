"""Supervision pages in Chromium: the clinician's RSC page, logging, the provider's attestation."""

from __future__ import annotations

import re

from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, login


def test_clinician_sees_window_and_reasons(page):
    login(page, "clinician4")
    page.goto("/supervision/")
    assert page.get_by_role("heading", name="Reflective supervision", level=1).is_visible()
    body = page.inner_text("main")
    assert "28 of 50 h" in body
    assert "closes on" in body
    assert "peer group without facilitator" in body
    assert_accessible(page)


def test_clinician_checks_and_logs_a_session_on_a_phone(phone):
    login(phone, "clinician3")
    phone.goto("/supervision/sessions/new")
    phone.get_by_label("Duration in hours").fill("1.13")
    phone.get_by_role("button", name="Log session").click()
    assert "quarter hours" in phone.inner_text("main")
    assert phone.get_by_label("Duration in hours").input_value() == "1.13"
    assert_accessible(phone)
    phone.get_by_label("Duration in hours").fill("1.5")
    phone.get_by_label("Format").select_option("peer")
    phone.get_by_label("People in the group").fill("4")
    phone.get_by_role("button", name="Check whether it counts").click()
    assert "peer group without facilitator" in phone.inner_text("main")
    phone.get_by_label("Format").select_option("individual")
    phone.get_by_role("button", name="Log session").click()
    assert "Session logged" in phone.inner_text("main")
    assert_accessible(phone)


def test_provider_signs_pending_sessions(page):
    login(page, "rsc_provider")
    page.goto("/supervision/provider")
    assert_accessible(page)
    boxes = page.get_by_role("checkbox", name="Sign")
    assert boxes.count() >= 2
    boxes.first.check()
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Sign the ticked sessions").click()
    assert "password is not correct" in page.inner_text("main")
    page.get_by_role("checkbox", name="Sign").first.check()
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign the ticked sessions").click()
    assert re.search(r"Signed 1 session\b", page.inner_text("main"))
    assert_accessible(page)


def test_coordinator_pages_are_accessible(page):
    login(page, "coordinator")
    page.goto("/supervision/providers")
    page.get_by_role("link", name="Demo Rsc Provider").click()
    assert "IMHS" in page.inner_text("main")
    assert_accessible(page)
