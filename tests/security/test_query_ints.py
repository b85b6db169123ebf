"""Integer query parameters out of range, negative or not numbers answer 400 naming the
parameter (the API's readiness query: 422, its documented answer to a bad query value); never
500 and never a silent default."""

from __future__ import annotations

import pytest

from tests.security.conftest import fresh_context

HUGE = str(10**25)

# (role, path, parameter) for every route that reads an integer from the query string.
ROUTES = [
    ("admin", "/admin/audit", "page"),
    ("admin", "/admin/associations/{association_id}/users", "page"),
    ("clinician", "/competencies/evidence", "page"),
    ("coordinator", "/competencies/readiness", "page"),
    ("coordinator", "/competencies/readiness.csv", "page"),
    ("anonymous", "/endorsement/registry", "page"),
    ("coordinator", "/endorsement/workflow", "association"),
    ("coordinator", "/endorsement/workflow.csv", "association"),
    ("coordinator", "/courses/lms-accounts", "association"),
    ("admin", "/supervision/providers", "association"),
]


@pytest.fixture
def people(world, make_user):
    """The security world, plus an admin."""
    admin = make_user("admin@example.test", roles=("admin",))
    world.users["admin"] = admin
    return world


@pytest.mark.parametrize("value", [HUGE, "-1", "0", "abc", "1e3", "2147483648"])
@pytest.mark.parametrize(("role", "path", "name"), ROUTES)
def test_integer_query_parameter_out_of_range_is_400(people, role, path, name, value):
    url = path.format(**people.values) + f"?{name}={value}"
    with fresh_context(people.app):
        response = people.client(role).get(url)
    assert response.status_code == 400, (url, response.status_code)
    body = response.get_data(as_text=True)
    assert f"“{name}”" in body and "whole number" in body, body[:2000]


@pytest.mark.parametrize(("role", "path", "name"), ROUTES)
def test_integer_query_parameter_in_range_is_accepted(people, role, path, name):
    url = path.format(**people.values)
    value = "1" if name == "page" else people.values["association_id"]
    with fresh_context(people.app):
        response = people.client(role).get(f"{url}?{name}={value}")
    assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("name", ["page", "per_page", "agency"])
def test_api_integer_query_beyond_range_names_the_parameter(people, name):
    with fresh_context(people.app):
        response = people.app.test_client().get(
            f"/api/v1/associations/MI/readiness?{name}={HUGE}",
            headers=people.tokens["coordinator"],
        )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == name
