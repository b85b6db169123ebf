"""The association workflow in Chromium with axe-core: apply, rate, review, endorse, renew."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lms.db import connection
from tests.browser.conftest import assert_accessible, login


@pytest.fixture
def new_page(browser, base_url):
    contexts = []

    def make(width=1280, height=900):
        context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": height}
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _ask_rater(app, email: str) -> str:
    from competencies.models import Pathway
    from endorsement import references
    from lms.models import User

    with app.app_context(), connection():
        clinician = User.by_email(email).get()
        pathway = Pathway.get(Pathway.clinician == clinician)
        issued = references.ask(
            pathway,
            email="rater@demo.example",
            name="Rita Rater",
            role="supervisor",
            actor=clinician,
        )
        return issued.token


def test_clinician_applies_anyway_and_a_rater_rates_once(live_app, new_page):
    page = new_page()
    login(page, "clinician")
    page.goto("/endorsement/applications/mine")
    assert_accessible(page)
    page.get_by_role("link", name="Apply for IMHS").click()
    expect(page.get_by_role("heading", name="What is missing")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("I have read and sign the Code of Ethics").check()
    page.get_by_role("button", name="Submit my application").click()
    expect(page.get_by_text("Sign the Endorsement Agreement to apply.", exact=True)).to_be_visible()
    assert page.get_by_label("I have read and sign the Code of Ethics").is_checked()
    assert_accessible(page)
    page.get_by_label("I have read and sign the Endorsement Agreement").check()
    page.get_by_label("Apply anyway").check()
    page.get_by_role("button", name="Submit my application").click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    assert page.get_by_text("applied anyway").first.is_visible()
    assert_accessible(page)

    token = _ask_rater(live_app, "clinician@demo.example")
    rater = new_page(360, 740)
    rater.goto(f"/endorsement/rate/{token}")
    assert_accessible(rater)
    selects = rater.locator("select")
    for i in range(selects.count()):
        selects.nth(i).select_option("demonstrated" if i else "")
    rater.get_by_role("button", name="Send my rating").click()
    expect(rater.get_by_text("Some areas are not answered yet")).to_be_visible()
    assert_accessible(rater)
    rater.locator("select").first.select_option("not_enough_info")
    rater.get_by_role("button", name="Send my rating").click()
    expect(rater.get_by_role("heading", name="Thank you")).to_be_visible()
    rater.goto(f"/endorsement/rate/{token}")
    assert rater.get_by_text("already been used").is_visible()
    assert_accessible(rater)


def test_reviewer_reviews_and_the_coordinator_endorses(live_app, new_page):
    reviewer = new_page()
    login(reviewer, "reviewer")
    reviewer.goto("/endorsement/reviews")
    assert_accessible(reviewer)
    reviewer.get_by_role("link", name="Review Jordan Reyes").click()
    expect(reviewer.get_by_role("heading", name="The evaluator's reasons")).to_be_visible()
    assert_accessible(reviewer)
    reviewer.locator("input[name=areas_met]").first.check()
    reviewer.get_by_label("Recommendation").select_option("endorsed")
    reviewer.get_by_role("button", name="Send my review").click()
    expect(reviewer.get_by_text("Your review is sent")).to_be_visible()

    coordinator = new_page()
    login(coordinator, "coordinator")
    coordinator.goto("/endorsement/workflow")
    assert coordinator.get_by_role("img", name="Applications by status").is_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name="Jordan Reyes").click()
    expect(coordinator.get_by_text("they agree: Endorsed")).to_be_visible()
    assert_accessible(coordinator)
    # No decision is chosen in advance: sent untouched, the form only asks for one.
    decision = coordinator.get_by_role("group", name="Decision")
    assert decision.get_by_role("radio").count() > 1
    assert decision.locator("input:checked").count() == 0
    coordinator.get_by_role("button", name="Record decision").click()
    expect(coordinator.get_by_text("Choose a decision.", exact=True)).to_be_visible()
    assert_accessible(coordinator)
    # Jordan applied anyway: endorsing takes a written override reason.
    assert coordinator.get_by_text("The evaluation is not ready today").is_visible()
    coordinator.get_by_role("radio", name="Endorsed").check()
    coordinator.get_by_role("button", name="Record decision").click()
    expect(coordinator.locator("#override_reason-error")).to_be_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("radio", name="Endorsed").check()
    reason = "Board review: the missing hours were completed in another state."
    coordinator.get_by_label("Override reason").fill(reason)
    coordinator.get_by_role("button", name="Record decision").click()
    expect(coordinator.get_by_text("Endorsement number DEMO-IFA-")).to_be_visible()
    assert coordinator.get_by_text(reason).is_visible()  # in the timeline
    assert_accessible(coordinator)
    coordinator.goto("/endorsement/exams")
    assert_accessible(coordinator)


def test_endorsee_renewal_page_and_public_registry_on_a_phone(live_app, new_page):
    phone = new_page(360, 740)
    login(phone, "clinician14")
    phone.goto("/endorsement/renewal")
    assert phone.get_by_text("The next renewal is due on").is_visible()
    assert_accessible(phone)
    phone.goto("/endorsement/registry")
    assert phone.get_by_role("cell", name="Noah Patel").is_visible()
    assert phone.get_by_role("cell", name="Lakeshore").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.get_by_label("Name").fill("nobody-like-this")
    phone.get_by_role("button", name="Search").click()
    expect(phone.get_by_text("Nobody matches this search.")).to_be_visible()
