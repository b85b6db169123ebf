"""Fuzz every API operation from the app's own OpenAPI document with schemathesis.

The document is loaded from /api/v1/openapi.json through the WSGI app. Each operation gets a
bounded number of generated requests, positive (valid by the document) and negative (not),
derandomised so that a run is repeatable, sent with the API token of a role that may use the
operation. Every answer must be no 5xx, a documented status code and content type, and a body
matching the documented schema; a request the document calls invalid must be refused.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import CORPUS, TODAY, XAPI_HEADERS, World, fresh_context

EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The role whose token each operation is sent with: one that may use it (else a coordinator).
ROLE_BY_PATH = {
    "/api/v1/completions": "trainer",
    "/api/v1/completions/{external_id}": "trainer",
    "/xapi/statements": "trainer",
    "/api/v1/rsc-sessions": "clinician",
    "/api/v1/rsc-sessions/{session_id}": "clinician",
}


@pytest.fixture
def fuzzed(world: World) -> World:
    """The world, plus one pending RSC session and one API completion to find by id."""
    from courses.api_views import CompletionBatch, record_batch
    from lms.permissions import actor_for
    from supervision.rules import SessionInput
    from supervision.services import log_session

    clinician, provider = world.users["clinician"], world.users["provider"]
    session = log_session(
        clinician,
        clinician.memberships[0].association,
        provider,
        SessionInput(TODAY - dt.timedelta(days=3), 1.5),
    )
    batch = CompletionBatch.model_validate(
        {
            "items": [
                {
                    "email": clinician.email,
                    "training_code": "NBO-101",
                    "completed_on": (TODAY - dt.timedelta(days=20)).isoformat(),
                    "external_id": "roster-1",
                }
            ]
        }
    )
    record_batch(actor_for(world.users["trainer"]), batch, key=None, request_hash="")
    world.values["session_id"] = str(session.id)
    return world


def _known(world: World) -> dict[str, list[Any]]:
    """Values naming real records, so that some requests get past 'not found' to the work."""
    past = [(TODAY - dt.timedelta(days=d)).isoformat() for d in (5, 40)]
    return {
        # path parameters
        "code": ["MI"],
        "user_id": [world.users["clinician"].id],
        "session_id": [int(world.values["session_id"])],
        "external_id": ["roster-1"],
        # body fields
        "provider_id": [world.users["provider"].id],
        "email": [world.users["clinician"].email],
        "training_code": ["NBO-101"],
        "completed_on": past,
        "occurred_on": past,
        "hours": [1, 1.5, 2],
    }


def _plant(value: Any, known: dict[str, list[Any]], draw, every: bool) -> None:
    """Replace fields of a generated JSON body with known values (every one, or some), in place."""
    if isinstance(value, list):
        for item in value:
            _plant(item, known, draw, every)
    elif isinstance(value, dict):
        for key in list(value):
            if key in known and (every or draw(st.booleans())):
                value[key] = draw(st.sampled_from(known[key]))
            else:
                _plant(value[key], known, draw, every)


def _role_tokens(world: World) -> type:
    """Return an auth provider giving each operation the token of a role that may use it.

    Registered on the schema, so that schemathesis leaves the header alone when a negative
    case negates it (an unauthenticated request must stay one).
    """

    class RoleToken:
        def get(self, case, context) -> str:
            role = ROLE_BY_PATH.get(case.operation.path, "coordinator")
            return world.tokens[role]["Authorization"]

        def set(self, case, data: str, context) -> None:
            case.headers["Authorization"] = data

    return RoleToken


def _fuzz(
    world: World, schema, operation, mode: GenerationMode, known: dict[str, list[Any]]
) -> None:
    names = [p.name for p in operation.path_parameters]
    checks = CHECKS + ([negative_data_rejection] if mode.is_negative else [])
    strategy = operation.as_strategy(generation_mode=mode, auth_storage=schema.auth)

    @given(case=strategy, data=st.data())
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case, data) -> None:
        if mode.is_positive:  # a negative case must stay invalid
            for name in names:
                if name in known and data.draw(st.booleans()):
                    case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
            if isinstance(case.body, dict | list):
                _plant(case.body, known, data.draw, every=data.draw(st.booleans()))
        with fresh_context(world.app):
            response = case.call()
        case.validate_response(response, checks=checks)

    run()


def _schema(world: World):
    with fresh_context(world.app):
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    schema.auth(refresh_interval=None)(_role_tokens(world))
    return schema


def test_every_operation_answers_as_its_document_says(fuzzed):
    schema = _schema(fuzzed)
    known = _known(fuzzed)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"POST /api/v1/completions", "POST /xapi/statements"} <= {o.label for o in operations}
    failures = []
    for operation in operations:
        for mode in EXAMPLES:
            try:
                _fuzz(fuzzed, schema, operation, mode, known)
            except Unsatisfiable:
                # Nothing to negate: every value of a string path parameter is valid.
                assert mode.is_negative, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_successful_answers_are_the_documented_ones(fuzzed):
    """Requests that succeed answer with the status and body their operation documents."""
    schema = _schema(fuzzed)
    statement = json.loads((CORPUS / "xapi" / "valid_statement.json").read_text())
    session = {
        "provider_id": fuzzed.users["provider"].id,
        "occurred_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "hours": 1.5,
    }
    cases = [
        (schema["/api/v1/rsc-sessions"]["POST"], {"body": session}, 201),
        (
            schema["/xapi/statements"]["PUT"],
            {
                "body": statement,
                "query": {"statementId": statement["id"]},
                "headers": dict(XAPI_HEADERS),
            },
            204,
        ),
        (
            schema["/api/v1/rsc-sessions/{session_id}"]["PATCH"],
            {"body": {"hours": 2}, "path_parameters": {"session_id": fuzzed.values["session_id"]}},
            200,
        ),
    ]
    for operation, parts, status in cases:
        case = operation.Case(media_type="application/json", **parts)
        case.headers["Authorization"] = _role_tokens(fuzzed)().get(case, None)
        with fresh_context(fuzzed.app):
            response = case.call()
        assert response.status_code == status, response.text
        case.validate_response(response, checks=CHECKS)


def test_a_null_for_a_field_that_cannot_be_null_is_refused(fuzzed):
    """PATCH once stored a null about_giving_rsc and failed with a 500 (NOT NULL)."""
    with fresh_context(fuzzed.app):
        response = fuzzed.app.test_client().patch(
            f"/api/v1/rsc-sessions/{fuzzed.values['session_id']}",
            json={"about_giving_rsc": None, "group_size": None},
            headers=fuzzed.tokens["clinician"],
        )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == "about_giving_rsc"
