"""The readiness API: one clinician's trees, the association report, errors and permissions."""

from __future__ import annotations

import datetime as dt

import pytest

import competencies.api_readiness  # noqa: F401  (registers the routes before any app is built)
from tests.competencies.conftest import TODAY


@pytest.fixture
def north(association):
    from lms.models import Agency

    return Agency.create(association=association, name="North Clinic")


@pytest.fixture
def people(make_user, defaults, association, north, add_evidence):
    from competencies.pathways import declare_goal

    ana = make_user("ana@example.test", display_name="Ana Rivera", agency=north)
    bo = make_user("bo@example.test", display_name="Bo Chen")
    add_evidence(ana, hours=6, areas=["TF-PREG"], days_ago=60)
    add_evidence(ana, hours=2, days_ago=400, status="rejected")
    declare_goal(ana, association, "IMHS", TODAY - dt.timedelta(days=200))
    declare_goal(bo, association, "IFA", TODAY - dt.timedelta(days=30))
    return {
        "ana": ana,
        "bo": bo,
        "reviewer": make_user("rev@example.test", roles=("reviewer",)),
        "manager": make_user("boss@example.test", roles=("agency_manager",), agency=north),
    }


def test_clinician_reads_own_readiness_tree(client, api_token, people):
    ana = people["ana"]
    response = client.get(f"/api/v1/clinicians/{ana.id}/readiness", headers=api_token(ana))
    assert response.status_code == 200
    body = response.get_json()
    assert body["clinician_id"] == ana.id and body["name"] == "Ana Rivera"
    assert body["as_of"] == TODAY.isoformat()
    [pathway] = body["pathways"]
    assert pathway["category"] == "IMHS" and pathway["association"] == "MI"
    assert pathway["started_on"] == (TODAY - dt.timedelta(days=200)).isoformat()
    result = pathway["result"]
    assert result["ready"] is False and result["category"] == "IMHS"
    assert result["children"] and "forecast" in result
    leaves = [c for c in result["children"] if c["type"] == "training_hours"]
    assert leaves[0]["figures"]["value"] == 6.0


@pytest.mark.parametrize(
    "who,status", [("reviewer", 200), ("manager", 200), ("bo", 404), ("outsider", 404)]
)
def test_clinician_readiness_permission_matrix(
    client, api_token, people, make_user, make_association, who, status
):
    if who == "outsider":
        other = make_association("OH")
        user = make_user("out@example.test", roles=("coordinator",), assoc=other)
    else:
        user = people[who]
    response = client.get(
        f"/api/v1/clinicians/{people['ana'].id}/readiness", headers=api_token(user)
    )
    assert response.status_code == status
    if status == 404:
        assert response.get_json()["error"]["code"] == "not_found"
    else:
        assert response.get_json()["pathways"][0]["category"] == "IMHS"


def test_an_admin_token_reads_any_association(client, api_token, people, make_user):
    admin = make_user("root@example.test", roles=("admin",), assoc=None)
    headers = api_token(admin, role="admin")
    response = client.get(f"/api/v1/clinicians/{people['ana'].id}/readiness", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["pathways"][0]["association"] == "MI"


def test_manager_cannot_read_staff_of_another_agency(client, api_token, people):
    response = client.get(
        f"/api/v1/clinicians/{people['bo'].id}/readiness", headers=api_token(people["manager"])
    )
    assert response.status_code == 404


def test_unknown_clinician_and_no_token(client, api_token, people):
    headers = api_token(people["reviewer"])
    assert client.get("/api/v1/clinicians/99999/readiness", headers=headers).status_code == 404
    response = client.get(f"/api/v1/clinicians/{people['ana'].id}/readiness")
    assert response.status_code == 401


def test_association_report_shape(client, api_token, people):
    response = client.get(
        "/api/v1/associations/MI/readiness?per_page=1&page=2",
        headers=api_token(people["reviewer"]),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["association"] == "MI" and body["total"] == 2 and body["matching"] == 2
    assert (body["page"], body["per_page"], body["pages"]) == (2, 1, 2)
    assert set(body["counts"]) == {"ready", "within 3 months", "on track", "at risk", "stalled"}
    assert sum(body["counts"].values()) == 2
    [row] = body["rows"]
    assert row["name"] == "Bo Chen" and row["category"] == "IFA"  # sorted by name: page 2
    assert set(row) >= {
        "clinician_id",
        "email",
        "agency",
        "progress",
        "percent",
        "ready",
        "projected",
        "status",
        "flags",
    }
    assert row["status"] == "stalled" and "No evidence yet" in row["flags"]


def test_association_report_filters(client, api_token, people):
    headers = api_token(people["reviewer"])
    body = client.get(
        "/api/v1/associations/mi/readiness?search=rivera&sort=-progress", headers=headers
    ).get_json()
    assert [r["name"] for r in body["rows"]] == ["Ana Rivera"]
    assert body["rows"][0]["agency"] == "North Clinic"


@pytest.mark.parametrize(
    "query,field",
    [
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("status=late", "status"),
        ("sort=age", "sort"),
    ],
)
def test_bad_query_is_422_naming_the_field(client, api_token, people, query, field):
    response = client.get(
        f"/api/v1/associations/MI/readiness?{query}", headers=api_token(people["reviewer"])
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == field


def test_association_report_scoping(client, api_token, people, make_user, make_association):
    other = make_association("OH")
    outsider = make_user("out@example.test", roles=("reviewer",), assoc=other)
    headers = api_token(outsider)
    assert client.get("/api/v1/associations/MI/readiness", headers=headers).status_code == 404
    assert client.get("/api/v1/associations/NOPE/readiness", headers=headers).status_code == 404
    own = client.get("/api/v1/associations/OH/readiness", headers=headers).get_json()
    assert own["total"] == 0 and own["rows"] == []
    clinician = client.get("/api/v1/associations/MI/readiness", headers=api_token(people["ana"]))
    assert clinician.status_code == 403


def test_token_scoped_to_one_association(client, api_token, people, make_association):
    """A coordinator of two associations, with a token for the other one, sees nothing here."""
    from lms.accounts import set_roles

    other = make_association("OH")
    reviewer = people["reviewer"]
    set_roles(reviewer, other, ["reviewer"])
    headers = api_token(reviewer, role="reviewer", association=other)
    assert client.get("/api/v1/associations/MI/readiness", headers=headers).status_code == 404
    response = client.get(f"/api/v1/clinicians/{people['ana'].id}/readiness", headers=headers)
    assert response.status_code == 404


def test_openapi_lists_readiness_operations(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    report = doc["paths"]["/api/v1/associations/{code}/readiness"]["get"]
    assert {p["name"] for p in report["parameters"]} >= {"code", "page", "per_page"}
    assert "422" in report["responses"]
    assert report["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "AssociationReadiness"
    )
    assert "/api/v1/clinicians/{user_id}/readiness" in doc["paths"]
    assert "ReadinessRow" in doc["components"]["schemas"]
