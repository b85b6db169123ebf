"""Every bad launch is refused with a 4xx and a clear page, links nobody, and is audited."""

from __future__ import annotations

import json

import pytest

from courses.models import LmsAccount
from lms.models import AuditLog
from lti.models import Launch
from tests.lti.conftest import person_of, post_launch, register, start
from tests.lti.platform import rsa_pem

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

CASES = {
    "wrong_signature": ({"sign_with": "other"}, "signature does not match"),
    "wrong_audience": ({"claims": {"aud": "someone-else"}}, "not registered with this association"),
    "expired": ({"expires_in": -120}, "expired"),
    "unknown_deployment": ({"claims": {CLAIM + "deployment_id": "nope"}}, "deployment id"),
    "missing_claims": ({"drop": ("sub",)}, "incomplete"),
    "missing_resource_link": ({"drop": (CLAIM + "resource_link",)}, "incomplete"),
}


def _refused(response, reason: str) -> None:
    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, page
    assert "This launch was refused" in page and reason in page, page
    assert not LmsAccount.select().exists()
    assert not Launch.select().exists()
    rows = list(AuditLog.select().where(AuditLog.action == "lti.launch_refused"))
    assert len(rows) == 1 and json.loads(rows[0].after)["reason"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_launch_is_refused(app, client, test_lms, platform, learner, case):
    options, reason = CASES[case]
    if options.get("sign_with") == "other":
        options = {"sign_with": rsa_pem()[0]}
    person = person_of(learner)
    auth = start(client, test_lms, person)
    _refused(post_launch(client, test_lms.id_token_for(auth, person, **options)), reason)


def test_replayed_launch_is_refused(app, client, test_lms, platform, learner):
    person = person_of(learner)
    data = test_lms.id_token_for(start(client, test_lms, person), person)
    assert post_launch(client, data).status_code == 200
    before = Launch.select().count()
    again = post_launch(client, data)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert Launch.select().count() == before
    assert AuditLog.select().where(AuditLog.action == "lti.launch_refused").count() == 1


def test_launch_without_a_login_this_tool_started_is_refused(app, test_lms, platform, learner):
    person = person_of(learner)
    forged = {"state": "state-made-up", "nonce": "n", "redirect_uri": test_lms.tool_launch_url,
              "client_id": "imh-tool-client", "login_hint": person.sub}  # fmt: skip
    data = test_lms.id_token_for(forged, person)
    _refused(post_launch(app.test_client(), data), "does not follow a sign-in")


def test_platform_of_another_association_is_refused(
    app, client, test_lms, make_association, learner, defaults
):
    other = make_association("ZZ", "Other Association")
    register(app, other, test_lms, trusted_email=True)  # registered with ZZ, not MI
    test_lms.tool_login_url = test_lms.tool_login_url.replace("/ZZ/", "/MI/")
    test_lms.tool_launch_url = test_lms.tool_launch_url.replace("/ZZ/", "/MI/")
    response = client.get(test_lms.login_initiation_url(person_of(learner)))
    assert response.status_code == 400
    assert "refused" in response.get_data(as_text=True)
    # And an id_token of ZZ's platform posted to MI's launch URL:
    person = person_of(learner)
    data = test_lms.id_token_for(
        {"state": "s", "nonce": "n", "redirect_uri": test_lms.tool_launch_url,
         "client_id": "imh-tool-client"}, person)  # fmt: skip
    _refused(post_launch(client, data), "")
    assert not LmsAccount.select().exists()


def test_a_post_without_id_token_is_no_launch(app, client, platform):
    response = client.post("/lti/MI/launch", data={"state": "x"})
    assert response.status_code == 400
    assert "not a launch" in response.get_data(as_text=True)
    assert not AuditLog.select().where(AuditLog.action == "lti.launch_refused").exists()
