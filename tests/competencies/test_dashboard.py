"""The clinician's pages, the verification queue, the planner and the evaluate commands."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.competencies.conftest import TODAY


@pytest.fixture
def signed_in(client, auth, clinician):
    auth.login(clinician.email)
    return client


def test_new_clinician_sees_first_steps(signed_in):
    body = signed_in.get("/competencies/").get_data(as_text=True)
    assert "Start here" in body and "Choose your category" in body
    assert "Infant Mental Health Specialist (IMHS)" in body  # a category choice


def test_declare_goal_then_dashboard_answers_first(signed_in, clinician, add_evidence):
    response = signed_in.post(
        "/competencies/goals",
        data={"category": "IMHS", "started_on": (TODAY - dt.timedelta(days=200)).isoformat()},
    )
    assert response.status_code == 302
    add_evidence(clinician, hours=6, areas=["TF-PREG"], days_ago=60)
    add_evidence(
        clinician,
        kind="rsc",
        hours=2,
        status="attested",
        days_ago=40,
        details={"format": "peer", "facilitated": False},
        label="Peer circle",
    )
    body = signed_in.get("/competencies/").get_data(as_text=True)
    assert "You are" in body and "of the way to Infant Mental Health Specialist" in body
    assert "6 of 33 h" in body
    assert "peer group without facilitator" in body and "Peer circle" in body
    assert (
        "Get 50 hours of reflective supervision spanning at least 12 months, within 24 months"
        in body
    )
    assert "✓ covered: Pregnancy" in body


@pytest.mark.parametrize(
    "data,message",
    [
        ({"category": "NOPE", "started_on": TODAY.isoformat()}, "Not a valid choice"),
        (
            {"category": "IMHS", "started_on": (TODAY + dt.timedelta(days=3)).isoformat()},
            "cannot be in the future",
        ),
        ({"category": "IMHS", "started_on": "2025-02-30"}, "Not a valid date"),
    ],
)
def test_bad_goal_is_a_form_error(signed_in, data, message):
    from competencies.models import Pathway

    response = signed_in.post("/competencies/goals", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert Pathway.select().count() == 0


def test_same_goal_twice_is_refused(signed_in):
    data = {"category": "IFS", "started_on": TODAY.isoformat()}
    assert signed_in.post("/competencies/goals", data=data).status_code == 302
    again = signed_in.post("/competencies/goals", data=data)
    assert again.status_code == 400 and "already work toward" in again.get_data(as_text=True)


def test_evidence_list_shows_fifty_rows_a_page_newest_first(signed_in, clinician, add_evidence):
    for day in range(1, 121):
        add_evidence(clinician, days_ago=day, hours=1, label=f"Training day {day}")
    first = signed_in.get("/competencies/evidence").get_data(as_text=True)
    assert "Training day 1<" in first and "Training day 50<" in first
    assert "Training day 51<" not in first and "page 1 of 3" in first
    third = signed_in.get("/competencies/evidence?page=3").get_data(as_text=True)
    assert "Training day 101<" in third and "Training day 120<" in third
    assert "Training day 100<" not in third
    past_the_end = signed_in.get("/competencies/evidence?page=99").get_data(as_text=True)
    assert "Training day 120<" in past_the_end and "page 3 of 3" in past_the_end
    not_a_number = signed_in.get("/competencies/evidence?page=x")  # 400 naming it, not page 1
    assert not_a_number.status_code == 400 and "“page”" in not_a_number.get_data(as_text=True)


def test_clinician_adds_evidence_and_coordinator_verifies(app, signed_in, make_user):
    from competencies.models import Evidence

    response = signed_in.post(
        "/competencies/evidence/new/education",
        data={"level": "master", "label": "MSW, State University", "occurred_on": "2015-05-30"},
    )
    assert response.status_code == 302
    row = Evidence.get()
    assert row.status == "pending" and row.details["level"] == "master"
    listing = signed_in.get("/competencies/evidence").get_data(as_text=True)
    assert "MSW, State University" in listing and "pending" in listing

    make_user("coord@example.test", roles=("coordinator",))
    coordinator = app.test_client()
    coordinator.post(
        "/login", data={"email": "coord@example.test", "password": "correct horse battery staple"}
    )
    assert "MSW, State University" in coordinator.get("/competencies/verify").get_data(as_text=True)
    no_reason = coordinator.post(f"/competencies/verify/{row.id}", data={"decision": "reject"})
    assert no_reason.status_code == 302 and Evidence.get_by_id(row.id).status == "pending"
    coordinator.post(
        f"/competencies/verify/{row.id}", data={"decision": "reject", "reason": "No diploma"}
    )
    assert Evidence.get_by_id(row.id).status == "rejected"
    assert "No diploma" in signed_in.get("/competencies/evidence").get_data(as_text=True)


@pytest.mark.parametrize(
    "kind,data,message",
    [
        (
            "membership",
            {"occurred_on": "2026-01-01", "valid_until": "2025-01-01"},
            "after the start",
        ),
        (
            "work",
            {
                "label": "Home visitor",
                "occurred_on": "2099-01-01",
                "kind": "dyadic_clinical",
            },
            "in the future",
        ),
        (
            "work",
            {
                "label": "Home visitor",
                "occurred_on": "2026-01-01",
                "kind": "dyadic_clinical",
                "families": "-1",
            },
            "Number must be",
        ),
        ("agreement", {"document": "code_of_ethics", "occurred_on": "2026-01-01"}, "Tick the box"),
    ],
)
def test_bad_evidence_forms_keep_input_and_write_nothing(signed_in, kind, data, message):
    from competencies.models import Evidence

    response = signed_in.post(f"/competencies/evidence/new/{kind}", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert Evidence.select().count() == 0


def test_other_users_evidence_cannot_be_withdrawn(signed_in, make_user, add_evidence):
    other = make_user("o@example.test")
    row = add_evidence(other, kind="education", status="pending", source="self")
    assert signed_in.post(f"/competencies/evidence/{row.id}/withdraw").status_code == 404


def test_coordinator_of_another_association_cannot_decide(
    app, clinician, add_evidence, make_user, make_association
):
    row = add_evidence(clinician, kind="education", status="pending", source="self")
    make_user("far@example.test", roles=("coordinator",), assoc=make_association("FAR"))
    client = app.test_client()
    client.post(
        "/login", data={"email": "far@example.test", "password": "correct horse battery staple"}
    )
    assert "education" not in client.get("/competencies/verify").get_data(as_text=True)
    response = client.post(f"/competencies/verify/{row.id}", data={"decision": "verify"})
    assert response.status_code == 404


@pytest.mark.parametrize("records", [10, 300])
def test_dashboard_query_count_does_not_grow(app, signed_in, clinician, records):
    """At most 10 queries, the same for 10 and for many ledger rows."""
    from playhouse.test_utils import count_queries

    from competencies import ledger, pathways
    from competencies.models import Evidence
    from lms.models import Association

    association = Association.get()
    pathways.declare_goal(clinician, association, "IMHS", TODAY - dt.timedelta(days=400))
    rows = [
        {
            "clinician": clinician.id,
            "association": association.id,
            "kind": "training",
            "occurred_on": TODAY - dt.timedelta(days=i % 400),
            "hours": 1.0,
            "status": "verified",
            "areas": "TF-PREG",
            "tags": "",
            "details": {},
            "label": f"T{i}",
            "source": "test",
            "source_ref": "",
            "void_reason": "",
            "created_at": dt.datetime(2026, 1, 1),
        }
        for i in range(records)
    ]
    Evidence.insert_many(rows).execute()
    ledger.record(
        clinician=clinician,
        association=association,
        kind="rsc",
        hours=1,
        occurred_on=TODAY,
        status="attested",
        source="test",
    )
    signed_in.get("/competencies/")  # warm the rule-set cache as a running server has it
    with count_queries() as counter:
        response = signed_in.get("/competencies/")
    assert response.status_code == 200
    assert f"{records:g} of 33 h" in response.get_data(as_text=True)
    assert counter.count <= 10


def test_trainer_cannot_open_the_dashboard(client, auth, make_user, defaults):
    make_user("t@example.test", roles=("trainer",))
    auth.login("t@example.test")
    assert client.get("/competencies/").status_code == 403


def test_home_page_shows_progress(signed_in, clinician, association):
    from competencies.pathways import declare_goal

    declare_goal(clinician, association, "IFA", TODAY)
    body = signed_in.get("/").get_data(as_text=True)
    assert "of the way to Infant Family Associate" in body


def test_planner_evaluates_without_saving(signed_in):
    from competencies.models import Evidence

    portfolio = {
        "evidence": [
            {"kind": "training", "date": "2025-03-01", "hours": 31, "areas": ["TF-PREG"]},
            {"kind": "education", "date": "2019-06-01", "details": {"level": "bachelor"}},
        ]
    }
    response = signed_in.post(
        "/competencies/planner",
        data={"category": "IFA", "as_of": "2025-06-01", "portfolio": json.dumps(portfolio)},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "31 of 30 h" in body
    assert Evidence.select().count() == 0
    bad_portfolio = '{"evidence": [{"kind": "training", "date": "2025-02-30", "hours": NaN}]}'
    bad = signed_in.post(
        "/competencies/planner", data={"category": "IFA", "portfolio": bad_portfolio}
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "NaN is not a number" in text


def test_evaluate_commands(app, clinician, association, add_evidence, tmp_path):
    from competencies.pathways import declare_goal

    runner = app.test_cli_runner()
    missing = runner.invoke(args=["competencies", "evaluate", "--email", clinician.email])
    assert missing.exit_code == 1 and "not declared a goal" in missing.output
    declare_goal(clinician, association, "IFA", TODAY - dt.timedelta(days=30))
    add_evidence(clinician, hours=12, areas=["TF-PREG"])
    text = runner.invoke(args=["competencies", "evaluate", "--email", clinician.email])
    assert text.exit_code == 0 and "Training hours: 12 of 30 h" in text.output
    as_json = runner.invoke(args=["competencies", "evaluate", "--email", clinician.email, "--json"])
    tree = json.loads(as_json.output)
    assert tree[0]["category"] == "IFA" and tree[0]["ready"] is False

    path = tmp_path / "p.yaml"
    path.write_text("evidence:\n  - {kind: training, date: 2025-01-10, hours: 30}\n")
    result = runner.invoke(
        args=[
            "competencies",
            "evaluate-portfolio",
            str(path),
            "--category",
            "IFA",
            "--as-of",
            "2025-06-01",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["as_of"] == "2025-06-01"
    unknown = runner.invoke(
        args=["competencies", "evaluate-portfolio", str(path), "--category", "XYZ"]
    )
    assert unknown.exit_code == 1 and "unknown category" in unknown.output
