"""The courses plugin's demo data: LMS accounts linked, once, and found by xAPI statements."""

from __future__ import annotations

from courses.demo import LMS_HOME_PAGE
from courses.models import Completion, LmsAccount, Training
from lms.models import AuditLog, User
from tests.courses.test_xapi_actors import moodle_statement


def test_demo_links_lms_accounts_once(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    linked = {
        (a.user.email, a.home_page, a.name)
        for a in LmsAccount.select(LmsAccount, User).join(User, on=LmsAccount.user == User.id)
    }
    assert linked == {
        ("clinician@demo.example", LMS_HOME_PAGE, "1001"),
        ("clinician3@demo.example", LMS_HOME_PAGE, "1003"),
    }
    links = AuditLog.select().where(AuditLog.action == "lms_account.link")
    coordinator = User.by_email("coordinator@demo.example").get()
    assert [a.actor_id for a in links] == [coordinator.id, coordinator.id]
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert LmsAccount.select().count() == 2 and links.count() == 2


def test_a_statement_for_a_demo_account_records_the_clinicians_completion(
    runner, client, api_token
):
    assert runner.invoke(args=["demo"]).exit_code == 0
    training = Training.get(Training.code == "DSS-240")
    body = moodle_statement(account_name="1003", home_page=LMS_HOME_PAGE)
    body["object"]["id"] = training.activity_iri
    headers = {
        **api_token(User.by_email("trainer@demo.example").get()),
        "X-Experience-API-Version": "1.0.3",
    }
    response = client.post("/xapi/statements", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    completion = Completion.get(Completion.external_id == body["id"])
    assert completion.clinician.email == "clinician3@demo.example"
    assert (completion.training_id, completion.source) == (training.id, "xapi")
