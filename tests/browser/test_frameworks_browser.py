"""Frameworks and rule sets in a real browser, as the demo coordinator, with axe-core."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import assert_accessible, follow_menu, login

DEMO_FILE = Path(__file__).parents[2] / "competencies" / "data" / "demo_framework.yaml"


def test_coordinator_browses_filters_imports_and_reads_a_rule_set(page, tmp_path):
    login(page, "coordinator")
    follow_menu(page, "Frameworks")
    assert page.get_by_role("heading", level=1).inner_text() == "Competency frameworks"
    assert_accessible(page)

    page.get_by_role("link", name="Demo competency framework (illustrative)").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Theoretical Foundations").is_visible()
    assert_accessible(page)

    page.get_by_label("Show areas that apply to").select_option("IFA")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "category=IFA" in page.url
    assert page.get_by_role("status").inner_text().endswith("areas apply to IFA.")
    assert page.get_by_text("Collaboration across systems").count() == 0
    assert_accessible(page)

    # Import: preview first, then save; the saved framework opens with its own edit links.
    page.goto("/competencies/frameworks/import")
    assert_accessible(page)
    own = tmp_path / "own.yaml"
    own.write_text(DEMO_FILE.read_text(encoding="utf-8").replace("IMH-DEMO", "DEMO-OWN"))
    page.get_by_label("Framework file").set_input_files(str(own))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert "Not saved yet." in page.get_by_role("status").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Save this framework").click()
    page.wait_for_load_state()
    assert "saved" in page.get_by_role("status").first.inner_text()
    page.get_by_role("link", name="Edit Cultural competence").click()
    page.wait_for_load_state()
    assert page.get_by_role("group", name="Categories this area applies to").is_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Culture and context")
    page.get_by_role("button", name="Save area").click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="Culture and context", exact=True).is_visible()

    follow_menu(page, "Rule sets")
    assert_accessible(page)
    page.get_by_role("link", name="Michigan-style rules 2025.2").click()
    page.wait_for_load_state()
    assert page.get_by_text("Training hours: at least 33 h").first.is_visible()
    assert_accessible(page)
    page.goto("/competencies/rules/upload")
    assert_accessible(page)


def test_frameworks_stack_on_a_phone(phone):
    login(phone, "clinician")
    phone.goto("/competencies/frameworks")
    phone.get_by_role("link", name="Demo competency framework (illustrative)").click()
    phone.wait_for_load_state()
    assert_accessible(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
