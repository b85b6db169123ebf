"""Decisions that cannot surprise: nothing is decided by a form sent as it rendered.

The decision form used to preselect "Endorsed": one click endorsed an applicant with several
requirements unmet, issued the certificate and listed them in the public registry. Now no
decision form has an outcome chosen in advance, a missing choice is a form error that writes
nothing, and endorsing an applicant whose evaluation is not ready today takes a written
override reason, kept in the audit log and the application's history. The page states the
two-reviewer rule, with who has reviewed, before a reviewer is assigned.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from endorsement import applications, reviews
from endorsement.errors import WorkflowError
from endorsement.models import Application, Transition
from tests.security.conftest import database_fingerprint

TODAY = dt.date.today()
REASON = "Board minute 2025-14: the missing training was completed abroad, certificate on file."


class _Forms(HTMLParser):
    """Collect what a browser would send for each form of a page if submitted untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "data": {}, "radios": set()})
        if not self.forms:
            return
        data = self.forms[-1]["data"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "radio":
                self.forms[-1]["radios"].add(a["name"])
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    data[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option = a.get("name"), None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                data[self._select] = value  # a browser sends the first option if none is selected
            if "selected" in a:
                data[self._select] = value
        elif tag == "textarea":
            self._textarea = a.get("name")
            data[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, text):
        if self._textarea and self.forms:
            self.forms[-1]["data"][self._textarea] += text.lstrip("\n")


def untouched(html: str, action: str) -> tuple[dict[str, str], set[str]]:
    """Return what the form posting to `action` sends as rendered, and its radio groups."""
    parser = _Forms()
    parser.feed(html)
    found = [f for f in parser.forms if f["action"].split("?")[0] == action]
    assert len(found) == 1, f"{len(found)} forms post to {action}"
    return found[0]["data"], found[0]["radios"]


def _areas(application):
    from competencies.rulesets import bound_rule_set

    return [a.id for a in bound_rule_set(application.rule_set).areas_for(application.category)]


def _reviewed(application, make_reviewer, coordinator, recommendation="endorsed"):
    """Assign two reviewers who both recommend the same outcome."""
    for email in ("ada@example.test", "ben@example.test"):
        reviewer = make_reviewer(email)
        review = reviews.assign(application, reviewer, actor=coordinator)
        reviews.complete(
            review, actor=reviewer, areas_met=_areas(application), recommendation=recommendation
        )
    return Application.get_by_id(application.id)


@pytest.fixture
def not_ready(pathway, clinician):
    """An IFA application sent with requirements unmet ("apply anyway")."""
    return applications.submit(
        pathway,
        actor=clinician,
        signed={"code_of_ethics", "endorsement_agreement"},
        apply_anyway=True,
    )


def _page(client, application):
    return client.get(f"/endorsement/applications/{application.id}").get_data(as_text=True)


def _decide_url(application):
    return f"/endorsement/applications/{application.id}/decide"


def test_decision_form_sent_as_rendered_chooses_nothing(
    client, auth, not_ready, make_reviewer, coordinator
):
    application = _reviewed(not_ready, make_reviewer, coordinator)
    auth.login(coordinator.email)

    sent, radios = untouched(_page(client, application), _decide_url(application))

    assert "outcome" in radios  # each outcome is a visible choice, none of them checked
    assert not sent.get("outcome")


def test_decision_without_a_choice_is_a_form_error_and_writes_nothing(
    client, auth, not_ready, make_reviewer, coordinator
):
    application = _reviewed(not_ready, make_reviewer, coordinator)
    auth.login(coordinator.email)
    sent, _ = untouched(_page(client, application), _decide_url(application))
    before = database_fingerprint()

    response = client.post(_decide_url(application), data=sent)

    assert response.status_code == 400
    assert "Choose a decision." in response.get_data(as_text=True)
    assert database_fingerprint() == before
    assert Application.get_by_id(application.id).status == "under_review"


@pytest.mark.parametrize("reason", ["", "   "])
def test_service_refuses_to_endorse_a_not_ready_applicant_without_a_reason(
    not_ready, make_reviewer, coordinator, reason
):
    application = _reviewed(not_ready, make_reviewer, coordinator)
    before = database_fingerprint()

    with pytest.raises(WorkflowError) as exc:
        reviews.decide(application, "endorsed", actor=coordinator, override_reason=reason)

    assert exc.value.field == "override_reason"
    assert "not ready" in str(exc.value)
    assert database_fingerprint() == before


def test_page_asks_for_the_override_reason_and_refuses_without_it(
    client, auth, not_ready, make_reviewer, coordinator
):
    application = _reviewed(not_ready, make_reviewer, coordinator)
    assert not applications.evaluate_now(application.pathway, TODAY).ready
    auth.login(coordinator.email)
    page = _page(client, application)
    assert "not ready" in page and 'name="override_reason"' in page
    before = database_fingerprint()

    response = client.post(_decide_url(application), data={"outcome": "endorsed", "note": ""})

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert re.search(r'id="override_reason-error"[^>]*>[^<]*not ready', text), text
    assert database_fingerprint() == before


def test_endorsing_with_an_override_reason_is_kept_in_the_audit_log_and_the_history(
    client, auth, not_ready, make_reviewer, coordinator
):
    from competencies.models import Endorsement
    from lms.models import AuditLog

    application = _reviewed(not_ready, make_reviewer, coordinator)
    auth.login(coordinator.email)

    response = client.post(
        _decide_url(application),
        data={"outcome": "endorsed", "override_reason": REASON, "note": "Welcome"},
    )

    assert response.status_code == 302
    application = Application.get_by_id(application.id)
    assert application.status == "endorsed"
    assert Endorsement.get_by_id(application.endorsement_id).status == "active"
    override = AuditLog.get(AuditLog.action == "application.endorse_override")
    assert override.object_id == str(application.id) and override.actor_id == coordinator.id
    assert REASON in override.after
    step = Transition.get(
        (Transition.application == application) & (Transition.to_status == "endorsed")
    )
    assert REASON in step.note and "Welcome" in step.note
    assert REASON in _page(client, application)  # the application's history
    assert REASON in client.get("/admin/audit").get_data(as_text=True)


def test_ready_applicant_is_endorsed_without_an_override(
    client, auth, submitted, make_reviewer, coordinator
):
    from lms.models import AuditLog

    application = _reviewed(submitted, make_reviewer, coordinator)
    assert applications.evaluate_now(application.pathway, TODAY).ready
    auth.login(coordinator.email)
    assert "not ready" not in _page(client, application)

    response = client.post(_decide_url(application), data={"outcome": "endorsed"})

    assert response.status_code == 302
    assert Application.get_by_id(application.id).status == "endorsed"
    assert not AuditLog.select().where(AuditLog.action == "application.endorse_override").exists()


def test_two_reviewer_rule_and_who_has_reviewed_are_stated_before_assigning(
    client, auth, not_ready, make_reviewer, coordinator
):
    ada, ben = make_reviewer("ada@example.test"), make_reviewer("ben@example.test")
    auth.login(coordinator.email)
    page = _page(client, not_ready)
    rule = re.search(r'id="assign-rule"[^>]*>(.*?)</p>', page, re.S)
    assert rule and "two reviewers" in rule.group(1).lower()
    assert page.index('id="assign-rule"') < page.index('name="reviewer"')

    review = reviews.assign(not_ready, ada, actor=coordinator)
    reviews.complete(review, actor=ada, areas_met=[], recommendation="endorsed")
    reviews.assign(not_ready, ben, actor=coordinator)
    reviews_said = re.search(r'id="assign-rule"[^>]*>(.*?)</p>', _page(client, not_ready), re.S)
    said = " ".join(reviews_said.group(1).split())
    assert "Ada has reviewed" in said and "Ben has not reviewed yet" in said


def test_endorsement_record_form_sent_as_rendered_endorses_nobody(
    client, auth, coordinator, clinician
):
    auth.login(coordinator.email)
    page = client.get("/competencies/endorsements").get_data(as_text=True)
    sent, _ = untouched(page, "")  # the form posts to its own page
    assert not sent.get("category")
    sent.update(email=clinician.email, awarded_on=TODAY.isoformat())
    before = database_fingerprint()

    response = client.post("/competencies/endorsements", data=sent)

    assert response.status_code == 400 and "Choose a category." in response.get_data(as_text=True)
    assert database_fingerprint() == before


def test_revoke_form_sent_as_rendered_revokes_nothing(client, auth, coordinator, clinician):
    from certificates import issuing
    from certificates.models import IssuedCertificate
    from lms.models import Association

    cert = issuing.issue_transcript(clinician, Association.get(Association.code == "MI"))
    auth.login(coordinator.email)
    url = f"/certificates/{cert.id}/revoke"
    sent, _ = untouched(client.get(url).get_data(as_text=True), "")
    before = database_fingerprint()

    response = client.post(url, data=sent)

    assert response.status_code == 400
    assert database_fingerprint() == before
    assert IssuedCertificate.get_by_id(cert.id).status == "valid"
