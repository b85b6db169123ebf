"""The API base: tokens, JSON errors, size limits, the OpenAPI document."""

from __future__ import annotations

import pytest


def test_no_token_is_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_valid_token_and_revoked_token(client, make_user, api_token):
    from lms.accounts import revoke_api_token
    from lms.models import ApiToken

    user = make_user("ana@example.test")
    headers = api_token(user)
    assert client.get("/api/v1/me", headers=headers).get_json()["role"] == "clinician"
    revoke_api_token(ApiToken.get(), actor=user)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]["message"]


def test_deactivated_users_token_stops(client, make_user, api_token):
    from lms.accounts import set_active

    user = make_user("ana@example.test")
    headers = api_token(user)
    set_active(user, False, actor=user)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_session_cookie_does_not_authenticate_api(client, auth, make_user):
    make_user("ana@example.test")
    auth.login("ana@example.test")
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_ten_megabyte_body_is_413(client, make_user, api_token):
    user = make_user("ana@example.test")
    response = client.post(
        "/api/v1/me",
        data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
        headers={**api_token(user), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_openapi_document_lists_operations(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/me" in doc["paths"]
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert "Error" in doc["components"]["schemas"]


def test_token_cannot_name_a_role_not_held(app, make_user, make_association):
    from lms.accounts import AccountError, create_api_token

    other = make_association("B")
    user = make_user("ana@example.test")
    with pytest.raises(AccountError):
        create_api_token(
            user,
            role="coordinator",
            association=user.memberships[0].association,
            name="x",
            password=None,
        )
    with pytest.raises(AccountError):
        create_api_token(user, role="clinician", association=other, name="x", password=None)


def test_malformed_json_and_validation_errors_name_the_field(app, client, make_user, api_token):
    from flask import Blueprint, jsonify
    from pydantic import BaseModel, Field

    from lms.api import operation

    class Thing(BaseModel):
        hours: float = Field(gt=0)

    bp = Blueprint("probe", __name__)

    @bp.post("/probe")
    @operation("probe", body=Thing)
    def probe(body: Thing):
        return jsonify(hours=body.hours)

    app.register_blueprint(bp, url_prefix="/api/v1")
    headers = {**api_token(make_user("ana@example.test")), "Content-Type": "application/json"}
    bad = client.post("/api/v1/probe", data=b"{not json", headers=headers)
    assert bad.status_code == 400 and "not valid JSON" in bad.get_json()["error"]["message"]
    invalid = client.post("/api/v1/probe", json={"hours": -3}, headers=headers)
    assert invalid.status_code == 422 and invalid.get_json()["error"]["field"] == "hours"
    ok = client.post("/api/v1/probe", json={"hours": 2}, headers=headers)
    assert ok.get_json() == {"hours": 2.0}
