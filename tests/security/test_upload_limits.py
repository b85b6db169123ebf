"""Every document upload and the what-if planner have a per-user rate limit (LMS_UPLOAD_LIMIT,
one budget per person across all of them), and a limit on the parsed document, not only on
its bytes."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import PASSWORD

LIMIT = 3

# (role, path, form data besides the file, file field) of every page that takes a document.
UPLOADS = [
    ("clinician", "/competencies/planner", {"category": "IMHS"}, "upload"),
    ("coordinator", "/competencies/frameworks/import", {}, "upload"),
    ("coordinator", "/competencies/rules/upload", {}, "upload"),
    ("coordinator", "/courses/import", {}, "file"),
    ("coordinator", "/courses/import/" + "0" * 32, {}, None),
    ("coordinator", "/courses/lms-accounts/import", {}, "file"),
    ("clinician", "/courses/report", {"title": "Outside training"}, "certificate"),
    ("clinician", "/competencies/evidence/new/education", {"label": "MSW"}, "document"),
    ("clinician", "/competencies/evidence/1/documents/new", {}, "document"),  # limit first
    ("anonymous", "/verify", {"code": "AAAA-BBBB-CCCC-DDDD"}, "pdf"),
    ("anonymous", "/verify/AAAABBBBCCCCDDDD", {}, "pdf"),
]


@pytest.fixture
def limited(app_factory):
    app = app_factory(UPLOAD_LIMIT=f"{LIMIT} per minute")
    with app.app_context():
        yield app


@pytest.fixture
def people(limited):
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user
    from lms.models import Association

    install_defaults()
    association = Association.create(code="MI", name="Michigan-style Association")
    made = {}
    for role in ("clinician", "coordinator"):
        for n in (1, 2):
            made[f"{role}{n}"] = create_user(
                f"{role}{n}@example.test",
                f"{role.title()} {n}",
                roles=(role,),
                association=association,
                password=PASSWORD,
            )
    return made


def _client(app, email):
    client = app.test_client()
    if email:
        with app.app_context():
            response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
    return client


def _post(app, client, path, data, field):
    body = dict(data)
    if field:
        body[field] = (io.BytesIO(b'{"evidence": []}'), "document.json")
    with app.app_context():
        return client.post(path, data=body, content_type="multipart/form-data")


@pytest.mark.parametrize(("role", "path", "data", "field"), UPLOADS)
def test_uploads_answer_429_after_the_limit_per_person(limited, people, role, path, data, field):
    email = None if role == "anonymous" else f"{role}1@example.test"
    client = _client(limited, email)
    for _ in range(LIMIT):
        assert _post(limited, client, path, data, field).status_code != 429
    refused = _post(limited, client, path, data, field)
    assert refused.status_code == 429
    assert refused.headers["Cache-Control"] == "no-store"
    if role != "anonymous":
        # Keyed by the person, not the address: a colleague behind the same address goes on.
        colleague = _client(limited, f"{role}2@example.test")
        assert _post(limited, colleague, path, data, field).status_code != 429


def test_one_budget_across_all_upload_pages(limited, people):
    client = _client(limited, "coordinator1@example.test")
    for _ in range(LIMIT):
        _post(limited, client, "/competencies/rules/upload", {}, "upload")
    assert (
        _post(limited, client, "/competencies/frameworks/import", {}, "upload").status_code == 429
    )


def test_a_get_of_an_upload_page_is_not_counted(limited, people):
    client = _client(limited, "coordinator1@example.test")
    with limited.app_context():
        for _ in range(LIMIT + 2):
            assert client.get("/competencies/rules/upload").status_code == 200


def test_upload_limit_is_configurable_from_the_environment(tmp_path, monkeypatch):
    from flask import Flask

    from lms.config import load

    monkeypatch.setenv("LMS_UPLOAD_LIMIT", "5 per hour")
    probe = Flask("probe", instance_path=str(tmp_path))
    load(probe, {"TESTING": True})
    assert probe.config["UPLOAD_LIMIT"] == "5 per hour"


def test_a_portfolio_with_too_many_items_is_refused_naming_the_limit(app, client, make_user, auth):
    from competencies.portfolio import MAX_ITEMS
    from competencies.rulesets import install_defaults

    install_defaults()
    make_user("planner@example.test")
    auth.login("planner@example.test")
    items = [{"kind": "training", "date": "2025-01-01", "hours": 1}] * (MAX_ITEMS + 1)
    response = client.post(
        "/competencies/planner",
        data={"category": "IMHS", "portfolio": json.dumps({"evidence": items})},
    )
    assert response.status_code == 400
    assert f"a portfolio holds at most {MAX_ITEMS:,}" in response.get_data(as_text=True)


def test_a_rule_set_with_too_many_values_is_refused_naming_the_limit():
    from competencies.rules import MAX_RULE_SET_NODES, RuleSetError, parse_rule_set_text

    doc = {"name": "Big", "version": 1, "padding": list(range(MAX_RULE_SET_NODES))}
    with pytest.raises(RuleSetError, match=f"more than {MAX_RULE_SET_NODES:,} values"):
        parse_rule_set_text(json.dumps(doc), "json")


def test_a_framework_with_too_many_values_is_refused_naming_the_limit():
    from competencies.frameworks_io import MAX_FRAMEWORK_NODES, FrameworkError, load_framework

    doc = "framework: {name: Big}\ndomains: [" + ",".join(["x"] * MAX_FRAMEWORK_NODES) + "]\n"
    with pytest.raises(FrameworkError, match=f"more than {MAX_FRAMEWORK_NODES:,} values"):
        load_framework(doc, fmt="yaml")
