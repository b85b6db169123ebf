"""The xAPI endpoint with statements shaped like the ones LMSes send."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from competencies.models import Evidence
from courses.models import Completion, XapiStatement

IRI = "https://moodle.example.org/course/view.php?id=42"
WHEN = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(microsecond=0)


@pytest.fixture
def headers(make_training, trainer, clinician, api_token):
    make_training("NBO-101", hours=3, activity_iri=IRI, hours_from_duration=True)
    return {**api_token(trainer), "X-Experience-API-Version": "1.0.3"}


def moodle_statement(**changes):
    body = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ana Ortiz", "mbox": "mailto:ana@example.test"},
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
            },
        },
        "result": {"completion": True, "duration": "PT2H30M"},
        "context": {
            "platform": "Moodle",
            "language": "en",
            "extensions": {
                "http://lrs.learninglocker.net/define/extensions/info": {"moodle": "4.3"}
            },
            "contextActivities": {
                "grouping": [{"id": "https://moodle.example.org", "objectType": "Activity"}]
            },
        },
        "timestamp": WHEN.isoformat().replace("+00:00", "Z"),
    }
    body.update(changes)
    return body


def test_completed_statement_records_a_completion(client, headers):
    body = moodle_statement()
    response = client.post("/xapi/statements", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [body["id"]]
    assert response.headers["X-Experience-API-Version"]
    completion = Completion.get()
    assert (completion.source, completion.hours, completion.completed_on) == (
        "xapi",
        2.5,
        WHEN.date(),
    )
    assert Evidence.get_by_id(completion.evidence_id).hours == 2.5


def test_put_with_statement_id(client, headers):
    body = moodle_statement()
    sid = body.pop("id")
    response = client.put(f"/xapi/statements?statementId={sid}", json=body, headers=headers)
    assert response.status_code == 204
    assert XapiStatement.get().statement_id == sid


def test_same_id_twice_is_accepted_once_and_a_different_body_conflicts(client, headers, counts):
    body = moodle_statement()
    client.post("/xapi/statements", json=body, headers=headers)
    before = counts()
    again = client.post("/xapi/statements", json=body, headers=headers)
    assert again.status_code == 200 and counts() == before
    changed = copy.deepcopy(body)
    changed["result"]["duration"] = "PT1H"
    conflict = client.post("/xapi/statements", json=changed, headers=headers)
    assert conflict.status_code == 409 and conflict.get_json()["error"]["field"] == "id"
    assert counts() == before


def test_voiding_statement_voids_the_completion(client, headers):
    body = moodle_statement()
    client.post("/xapi/statements", json=body, headers=headers)
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": body["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": body["id"]},
    }
    response = client.post("/xapi/statements", json=voiding, headers=headers)
    assert response.status_code == 200, response.get_json()
    completion = Completion.get()
    assert completion.status == "void" and "Voided by the LMS" in completion.reason
    assert Evidence.get_by_id(completion.evidence_id).status == "void"
    assert XapiStatement.get(XapiStatement.statement_id == body["id"]).voided


def _drop(key):
    body = moodle_statement()
    body.pop(key)
    return body


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            moodle_statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"}),
            "verb",
            "not accepted",
        ),
        (_drop("actor"), "actor", "missing"),
        (moodle_statement(result={"duration": "PT-1H"}), "result.duration", "negative"),
        (
            moodle_statement(result={"duration": "PT4H"}),
            "result.duration",
            "longer than the training",
        ),
        (
            moodle_statement(object={"objectType": "Activity", "id": "https://other.example/x"}),
            "object.id",
            "not mapped",
        ),
        (
            moodle_statement(actor={"mbox": "mailto:nobody@example.test"}),
            "actor.mbox",
            "not a clinician",
        ),
    ],
)
def test_bad_statements_are_refused_and_stored_nowhere(client, headers, counts, body, field, words):
    before = counts()
    response = client.post("/xapi/statements", json=body, headers=headers)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field and words in error["message"]
    assert counts() == before


@pytest.mark.parametrize("version", [None, "0.95", "3.0.0"])
def test_wrong_version_header(client, headers, counts, version):
    h = {k: v for k, v in headers.items() if k != "X-Experience-API-Version"}
    if version:
        h["X-Experience-API-Version"] = version
    before = counts()
    response = client.post("/xapi/statements", json=moodle_statement(), headers=h)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "X-Experience-API-Version"
    assert counts() == before


def test_five_megabyte_body_is_413(client, headers, counts):
    before = counts()
    body = moodle_statement(context={"extensions": {"https://x.example/pad": "x" * 5_000_000}})
    response = client.post("/xapi/statements", json=body, headers=headers)
    assert response.status_code == 413
    assert counts() == before


def test_a_batch_is_all_or_nothing(client, headers, counts):
    before = counts()
    response = client.post(
        "/xapi/statements",
        json=[moodle_statement(), moodle_statement(timestamp="2024-01-01T10:00:00")],
        headers=headers,
    )
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "1.timestamp"
    assert counts() == before
