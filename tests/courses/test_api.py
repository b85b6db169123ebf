"""POST /api/v1/completions against its OpenAPI document."""

from __future__ import annotations

import datetime as dt

import pytest

from courses.api_views import BatchResult
from courses.models import Completion, IdempotencyKey
from tests.courses.conftest import TODAY

DAY = (TODAY - dt.timedelta(days=3)).isoformat()


@pytest.fixture
def headers(make_training, trainer, clinician, api_token):
    make_training("NBO-101", hours=3)
    return api_token(trainer)


def _item(**kw):
    return {"email": "ana@example.test", "training_code": "NBO-101", "completed_on": DAY, **kw}


def test_operation_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/completions"]["post"]
    body_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.endswith("/CompletionBatch")
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/BatchResult"
    )
    assert {"409", "422", "413"} <= set(op["responses"])
    assert "items" in spec["components"]["schemas"]["CompletionBatch"]["properties"]
    assert "/xapi/statements" in spec["paths"]


def test_batch_records_and_answers_per_item(client, headers):
    response = client.post(
        "/api/v1/completions",
        json={"items": [_item(external_id="lms-1"), _item(email="ANA@example.test")]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = BatchResult.model_validate(response.get_json())  # matches the documented schema
    assert [r.status for r in body.results] == ["created", "exists"]
    assert body.results[0].completion_id == body.results[1].completion_id
    completion = Completion.get()
    assert (completion.source, completion.status, completion.external_id) == (
        "api",
        "verified",
        "lms-1",
    )


def test_external_id_makes_a_resend_idempotent(client, headers):
    first = client.post(
        "/api/v1/completions", json={"items": [_item(external_id="x")]}, headers=headers
    )
    again = client.post(
        "/api/v1/completions", json={"items": [_item(external_id="x")]}, headers=headers
    )
    assert again.get_json()["results"][0]["status"] == "exists"
    assert (
        again.get_json()["results"][0]["completion_id"]
        == first.get_json()["results"][0]["completion_id"]
    )
    assert Completion.select().count() == 1


def test_idempotency_key_replays_the_stored_answer(client, headers):
    h = {**headers, "Idempotency-Key": "batch-7"}
    first = client.post("/api/v1/completions", json={"items": [_item()]}, headers=h)
    again = client.post("/api/v1/completions", json={"items": [_item()]}, headers=h)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()  # "created" again: the stored answer
    assert IdempotencyKey.select().count() == 1
    other = client.post("/api/v1/completions", json={"items": [_item(hours=1)]}, headers=h)
    assert other.status_code == 409
    assert other.get_json()["error"]["field"] == "Idempotency-Key"
    assert Completion.select().count() == 1


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (_item(hours=0), "items.1.hours"),
        (_item(hours=-1), "items.1.hours"),
        (_item(hours=9), "items.1.hours"),
        (_item(completed_on="2024-02-30"), "items.1.completed_on"),
        (_item(completed_on="03/04/2024"), "items.1.completed_on"),
        (_item(completed_on=(TODAY + dt.timedelta(days=1)).isoformat()), "items.1.completed_on"),
        (_item(email="nobody@example.test"), "items.1.email"),
        (_item(training_code="NOPE"), "items.1.training_code"),
        (_item(areas=["LAW-GOV"]), "items.1.areas"),
        (_item(colour="red"), "items.1.colour"),
    ],
)
def test_one_bad_item_writes_nothing(client, headers, counts, item, field):
    before = counts()
    response = client.post(
        "/api/v1/completions", json={"items": [_item(external_id="ok"), item]}, headers=headers
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert counts() == before


def test_nan_hours_are_refused(client, headers, counts):
    before = counts()
    response = client.post(
        "/api/v1/completions",
        data='{"items": [{"email": "ana@example.test", "training_code": "NBO-101", '
        f'"completed_on": "{DAY}", "hours": NaN}}]}}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "items.0.hours"
    assert counts() == before


def test_clinician_tokens_may_not_record(client, make_training, clinician, api_token):
    make_training()
    response = client.post(
        "/api/v1/completions", json={"items": [_item()]}, headers=api_token(clinician)
    )
    assert response.status_code == 403
    assert client.post("/api/v1/completions", json={"items": [_item()]}).status_code == 401
