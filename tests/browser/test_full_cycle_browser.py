"""The whole endorsement cycle in Chromium, axe-core on every page visited.

A clinician with her evidence in place declares her goal, names three raters who rate through
their single-use links, applies (signing the Code of Ethics and the Endorsement Agreement); the
coordinator checks completeness and assigns two reviewers, who review (opening the certificate
behind the evidence) and recommend; the coordinator endorses; the endorsement certificate
verifies on the public page; a year later the renewal comes due and the endorsee renews.

The app reads the real clock (`datetime.date.today()`) and has no setting to move it, so "a year
later" moves the records instead, as the demo does: the endorsement's award and renewal dates go
one year back, and the trainings of that year are recorded today.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from playwright.sync_api import expect

from lms.db import connection
from tests.browser.conftest import DEMO_PASSWORD, assert_accessible, login

TODAY = dt.date.today()
EMAIL = "cycle@demo.example"
NAME = "Casey Cycle"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
RATERS = (
    ("Rita Rater", "rita@raters.example", "supervisor"),
    ("Colm Colleague", "colm@raters.example", "colleague"),
    ("Tess Trainer", "tess@raters.example", "trainer"),
)


def _year_back(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


@pytest.fixture
def contexts(browser, base_url):
    """Open pages in separate browser contexts (separate sign-ins); close them all at the end."""
    opened = []

    def make(width=1280, height=900):
        context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": height}
        )
        opened.append(context)
        return context.new_page()

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def mailbox(live_app):
    """Collect the emails the app writes to its log (no SMTP server in tests)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    live_app.logger.addHandler(handler)
    yield messages
    live_app.logger.removeHandler(handler)


def _arrange_clinician(app) -> None:
    """A clinician whose education, trainings (a verified self-report) and membership are in."""
    from competencies import ledger
    from competencies.rulesets import bound_rule_set, rule_set_in_force
    from courses import completions, self_reports
    from lms.accounts import create_user
    from lms.models import Association, User
    from lms.permissions import actor_for

    with app.app_context(), connection():
        association = Association.get(Association.code == "DEMO")
        # The association's renewal day is today's, so a year from the award is the due date.
        due = f"{TODAY.month:02d}-{min(TODAY.day, 28) if TODAY.month == 2 else TODAY.day:02d}"
        Association.update(renewal_due=due).where(Association.id == association.id).execute()
        clinician = create_user(
            EMAIL,
            NAME,
            roles=("clinician",),
            association=association,
            agency=association.agencies.first(),
            password=DEMO_PASSWORD,
        )
        before = TODAY - dt.timedelta(days=400)  # before the award, once moved a year back
        areas = [
            a.id for a in bound_rule_set(rule_set_in_force(association, TODAY)).areas_for("IFA")
        ]
        common = {"clinician": clinician, "association": association, "source": "registrar"}
        ledger.record(
            kind="education",
            occurred_on=before,
            status="verified",
            details={"level": "bachelor", "field": "Child development"},
            label="BA Child development",
            **common,
        )
        ledger.record(
            kind="membership",
            occurred_on=before,
            status="verified",
            details={"valid_until": (TODAY + dt.timedelta(days=200)).isoformat()},
            label="Association membership",
            **common,
        )
        completion = self_reports.report_training(
            actor_for(clinician),
            training=None,
            title="Foundations of infant and family practice",
            provider="Northern Institute",
            completed_on=before,
            hours=32,
            areas=areas,
            certificate=PDF,
            filename="foundations.pdf",
            content_type="application/pdf",
        )
        coordinator = User.by_email("coordinator@demo.example").get()
        completions.decide(actor_for(coordinator), completion, accept=True)


def _a_year_later(app) -> dt.date:
    """Move the endorsement a year back; record the year's trainings and membership today.

    Return the renewal due date, now today (the association's renewal day).
    """
    from competencies import ledger
    from competencies.models import Endorsement
    from courses import completions
    from courses.models import Training
    from lms.models import User
    from lms.permissions import actor_for

    with app.app_context(), connection():
        clinician = User.by_email(EMAIL).get()
        endorsement = Endorsement.get(Endorsement.clinician == clinician)
        due = _year_back(endorsement.renewal_due)
        Endorsement.update(awarded_on=_year_back(endorsement.awarded_on), renewal_due=due).where(
            Endorsement.id == endorsement.id
        ).execute()
        trainer = actor_for(User.by_email("trainer@demo.example").get())
        for code in ("TF-101", "DEI-110"):  # 15 h, and 3 h on diversity, equity & inclusion
            training = Training.get(
                (Training.code == code) & (Training.association == endorsement.association)
            )
            completions.record_completion(
                trainer, clinician=clinician, training=training, completed_on=TODAY, source="roster"
            )
        ledger.record(
            clinician=clinician,
            association=endorsement.association,
            kind="membership",
            occurred_on=TODAY,
            status="verified",
            source="registrar",
            details={"valid_until": (TODAY + dt.timedelta(days=365)).isoformat()},
            label="Association membership renewed",
        )
        return due


def _visit(page, path: str) -> None:
    page.goto(path)
    assert_accessible(page)


def _review(page, ev_file_name: str) -> None:
    """Sign in as the page's reviewer, open the file behind the evidence, recommend endorsing."""
    _visit(page, "/endorsement/reviews")
    page.get_by_role("link", name=f"Review {NAME}").click()
    expect(page.get_by_role("heading", name="The evaluator's reasons")).to_be_visible()
    assert_accessible(page)
    link = page.get_by_role("link", name=re.compile(f"^{re.escape(ev_file_name)} for "))
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.body() == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.headers["x-content-type-options"] == "nosniff"
    for box in page.locator("input[name=areas_met]").all():
        box.check()
    page.get_by_label("Recommendation").select_option("endorsed")
    page.get_by_role("button", name="Send my review").click()
    expect(page.get_by_text("Your review is sent")).to_be_visible()
    assert_accessible(page)


def test_apply_rate_review_endorse_verify_and_renew_a_year_later(live_app, contexts, mailbox):
    _arrange_clinician(live_app)

    # The clinician declares her goal and sees what is left.
    clinician = contexts()
    login(clinician, "cycle")
    _visit(clinician, "/competencies/")
    # The category picker is a list of radio buttons, each saying who it is for (issue 16.9).
    clinician.get_by_role("radio", name="Infant Family Associate (IFA)").check()
    clinician.get_by_role("button", name="Start this pathway").click()
    expect(clinician.get_by_text("Your pathway is started")).to_be_visible()
    assert_accessible(clinician)

    # She names three raters; each gets a single-use link by email.
    _visit(clinician, "/endorsement/applications/mine")
    clinician.get_by_role("link", name="References for IFA").click()
    assert_accessible(clinician)
    for name, email, role in RATERS:
        clinician.get_by_label("Rater's name").fill(name)
        clinician.get_by_label("Rater's email").fill(email)
        clinician.get_by_label("How they know your work").select_option(role)
        clinician.get_by_role("button", name="Send the rating link").click()
        expect(clinician.get_by_text(f"The rating link was sent to {email}")).to_be_visible()
    assert_accessible(clinician)
    links = [m for m in mailbox if "asks you for a reference rating" in m]
    tokens = [re.search(r"/endorsement/rate/([\w-]+)", m).group(1) for m in links]
    assert len(tokens) == 3

    # The raters rate on their phones; a link works once.
    rater = contexts(360, 740)
    for token in tokens:
        _visit(rater, f"/endorsement/rate/{token}")
        for select in rater.locator("select").all():
            select.select_option("demonstrated")
        rater.get_by_role("button", name="Send my rating").click()
        expect(rater.get_by_role("heading", name="Thank you")).to_be_visible()
        assert_accessible(rater)
    _visit(rater, f"/endorsement/rate/{tokens[0]}")
    assert rater.get_by_text("already been used").is_visible()

    # Ready: she signs both documents and applies.
    _visit(clinician, "/endorsement/applications/mine")
    clinician.get_by_role("link", name="Apply for IFA").click()
    assert_accessible(clinician)
    clinician.get_by_label("I have read and sign the Code of Ethics").check()
    clinician.get_by_label("I have read and sign the Endorsement Agreement").check()
    clinician.get_by_role("button", name="Submit my application").click()
    expect(clinician.get_by_role("heading", name="Timeline")).to_be_visible()
    assert clinician.get_by_text("Status: Submitted").is_visible()
    assert_accessible(clinician)

    # The coordinator sees her ready, checks the application and assigns two reviewers.
    coordinator = contexts()
    login(coordinator, "coordinator")
    _visit(coordinator, "/endorsement/workflow")
    assert coordinator.get_by_role(
        "img", name=re.compile("^Open pathways by readiness")
    ).is_visible()
    coordinator.get_by_role("link", name=NAME).click()
    assert (
        coordinator.get_by_role("heading", name=re.compile(r"— rated, 0 × not enough")).count() == 3
    )
    assert_accessible(coordinator)
    for reviewer_name in ("Robin Okafor", "Sam Lindqvist"):
        coordinator.get_by_label("Reviewer").select_option(label=reviewer_name)
        coordinator.get_by_role("button", name="Assign reviewer").click()
        expect(coordinator.get_by_text(f"{reviewer_name} is assigned.")).to_be_visible()
        assert_accessible(coordinator)
    assert coordinator.get_by_text("Status: Under review").is_visible()

    # Each reviewer opens the evidence's certificate next to the snapshot and recommends.
    for account in ("reviewer2", "reviewer3"):
        reviewer = contexts()
        login(reviewer, account)
        _review(reviewer, "foundations.pdf")

    # The two agree; the coordinator records the endorsement.
    coordinator.reload()
    assert coordinator.get_by_text("they agree: Endorsed").is_visible()
    # Ready: no override reason is asked for; the decision is chosen explicitly (none is preset).
    assert coordinator.get_by_text("The evaluation is not ready today").count() == 0
    coordinator.get_by_role("radio", name="Endorsed").check()
    coordinator.get_by_role("button", name="Record decision").click()
    number = coordinator.get_by_text(re.compile(r"Endorsement number DEMO-IFA-\d{4}-\d{4}"))
    assert number.is_visible()
    assert_accessible(coordinator)

    # The endorsement certificate is issued to her; the public page verifies it.
    _visit(clinician, "/certificates/")
    row = clinician.get_by_role("row").filter(has_text="Endorsement")
    code = row.get_by_role("link").first.inner_text()
    with clinician.expect_download() as download:
        row.get_by_role("link", name=re.compile("^PDF")).click()
    issued_pdf = download.value.path()
    _visit(rater, "/verify")
    rater.get_by_label("Verification code").first.fill(code)
    rater.get_by_role("button", name="Check", exact=True).click()
    expect(rater.get_by_role("status").filter(has_text="VALID")).to_be_visible()
    assert rater.get_by_text(NAME).is_visible()
    assert rater.get_by_text("Infant Family Associate (IFA)").is_visible()
    assert_accessible(rater)
    rater.get_by_label("PDF file", exact=True).set_input_files(issued_pdf)
    rater.get_by_role("button", name="Compare the file").click()
    expect(rater.get_by_text("The file matches")).to_be_visible()
    assert_accessible(rater)

    # A year later: the renewal is due today and the year's requirements are met.
    due = _a_year_later(live_app)
    assert 0 <= (TODAY - due).days <= 1  # today, or Feb 28 when today is Feb 29
    _visit(coordinator, "/endorsement/workflow")
    row = coordinator.get_by_role("row").filter(has_text=NAME)
    assert row.filter(has_text=f"{due} ({(due - TODAY).days} days)").count() == 1
    _visit(clinician, "/endorsement/renewal")
    assert clinician.get_by_text(f"The next renewal is due on {due}").is_visible()
    assert clinician.get_by_role("heading", name=f"What {due.year} requires").is_visible()
    clinician.get_by_role("button", name=f"Renew for {due.year}").click()
    following = due.replace(year=due.year + 1)
    assert clinician.get_by_text(f"Renewed. The next renewal is due on {following}.").is_visible()
    assert_accessible(clinician)

    # The association sees it renewed.
    _visit(coordinator, "/endorsement/workflow")
    renewed = coordinator.get_by_role("row").filter(has_text=NAME).filter(has_text="Renewed on")
    assert renewed.filter(has_text=f"next due {following}").count() == 1
    assert (
        coordinator.get_by_role("row").filter(has_text=NAME).filter(has_text="days)").count() == 0
    )
