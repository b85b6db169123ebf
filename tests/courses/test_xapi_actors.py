"""xAPI actors named by LMS account or mbox_sha1sum, in statements shaped like LMSes send."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest

from competencies.models import Evidence
from courses import corrections, lms_accounts
from courses.models import Completion, XapiStatement

MOODLE = "https://moodle.example.org"
IRI = "https://moodle.example.org/course/view.php?id=42"
WHEN = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(microsecond=0)
STAMP = WHEN.isoformat().replace("+00:00", "Z")


@pytest.fixture
def headers(make_training, trainer, clinician, api_token):
    make_training("NBO-101", hours=3, activity_iri=IRI, hours_from_duration=True)
    return {**api_token(trainer), "X-Experience-API-Version": "1.0.3"}


def moodle_statement(account_name: str = "1234", home_page: str = MOODLE) -> dict:
    """Moodle's logstore_xapi "course completed": the learner by account, the user id as name."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "Ana Ortiz",
            "account": {"homePage": home_page, "name": account_name},
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en": "completed"},
        },
        "object": {
            "objectType": "Activity",
            "id": IRI,
            "definition": {
                "type": "http://id.tincanapi.com/activitytype/lms/course",
                "name": {"en": "Newborn observation"},
                "extensions": {
                    "https://w3id.org/learning-analytics/learning-management-system/": 1
                },
            },
        },
        "timestamp": STAMP,
        "context": {
            "platform": "Moodle",
            "language": "en",
            "extensions": {"http://lrs.learninglocker.net/define/extensions/info": {"moodle": "4"}},
            "contextActivities": {
                "grouping": [{"id": MOODLE, "objectType": "Activity"}],
                "category": [{"id": "http://moodle.org", "objectType": "Activity"}],
            },
        },
    }


def hashed_statement(email: str) -> dict:
    """An authoring-tool / SCORM-wrapper "passed": the learner by mbox_sha1sum, with duration."""
    digest = hashlib.sha1(f"mailto:{email}".encode()).hexdigest()
    return {
        "actor": {"objectType": "Agent", "name": "Ana", "mbox_sha1sum": digest},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
        "object": {"id": IRI, "definition": {"name": {"en-US": "Newborn observation"}}},
        "result": {"success": True, "completion": True, "duration": "PT2H", "score": {"scaled": 1}},
        "timestamp": STAMP,
        "context": {"registration": str(uuid.uuid4())},
    }


def _post(client, headers, body):
    return client.post("/xapi/statements", json=body, headers=headers)


def test_an_unlinked_account_is_refused_naming_the_actor(client, headers, counts):
    before = counts()
    response = _post(client, headers, moodle_statement())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "actor"
    assert "'1234' on https://moodle.example.org is not linked" in error["message"]
    assert counts() == before


def _link(user, name="1234"):
    """Link as the platform would (an LTI launch): proof that the account is the user's."""
    return lms_accounts.link_from_lms(user.memberships[0].association, user, MOODLE, name)


def test_a_linked_account_records_the_completion(client, headers, clinician, actor):
    _link(clinician)
    body = moodle_statement(home_page="https://MOODLE.example.org/")  # same site, other spelling
    response = _post(client, headers, body)
    assert response.status_code == 200, response.get_json()
    completion = Completion.get()
    assert (completion.clinician_id, completion.source, completion.external_id) == (
        clinician.id,
        "xapi",
        body["id"],
    )
    assert completion.completed_on == WHEN.date() and completion.hours == 3.0
    assert XapiStatement.get().completion_id == completion.id


def test_an_account_linked_in_another_association_is_refused(
    client, headers, make_user, make_association, actor, counts
):
    other = make_association("OH", "Other Association")
    stranger = make_user("cy@other.test", assoc=other)
    _link(stranger)
    before = counts()
    response = _post(client, headers, moodle_statement())
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "actor"
    assert counts() == before


def test_an_email_as_account_name_still_matches(client, headers, clinician):
    # Some platforms (and Moodle set to send usernames that are emails) put the email there.
    response = _post(client, headers, moodle_statement(account_name="Ana@Example.test"))
    assert response.status_code == 200, response.get_json()
    assert Completion.get().clinician_id == clinician.id


def test_mbox_sha1sum_of_the_clinicians_address_records(client, headers, clinician):
    response = _post(client, headers, hashed_statement("ana@example.test"))
    assert response.status_code == 200, response.get_json()
    completion = Completion.get()
    assert (completion.clinician_id, completion.hours) == (clinician.id, 2.0)
    assert Evidence.get_by_id(completion.evidence_id).hours == 2.0


def test_an_unknown_mbox_sha1sum_is_refused(client, headers, counts):
    before = counts()
    response = _post(client, headers, hashed_statement("someone@else.test"))
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["field"] == "actor"
    assert "mbox_sha1sum matches no clinician" in error["message"]
    assert counts() == before


def test_one_unknown_actor_refuses_the_whole_batch(client, headers, clinician, actor, counts):
    _link(clinician)
    before = counts()
    batch = [moodle_statement(), moodle_statement(account_name="5678")]
    response = _post(client, headers, batch)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "actor"
    assert counts() == before


def test_voiding_after_a_correction_voids_the_corrected_completion(
    client, headers, clinician, coordinator, actor
):
    _link(clinician)
    body = moodle_statement()
    assert _post(client, headers, body).status_code == 200
    corrected = corrections.correct_completion(
        actor(coordinator), Completion.get(), reason="Half the course", hours=1.5
    )
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": body["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": body["id"]},
    }
    response = _post(client, headers, voiding)
    assert response.status_code == 200, response.get_json()
    assert Completion.get_by_id(corrected.id).status == "void"
    assert Evidence.select().where(Evidence.status != "void").count() == 0
