"""The courses' batch writers (a roster, xAPI statements, the REST batch) leave the readiness
rows they made stale current again once they have committed, in a background job, so no report
pays for them. (The CSV import: test_import_readiness.py.)"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from competencies.models import Pathway
from tests.courses.conftest import TODAY
from tests.kept_rows import keep_all, rewritten, wait_for_jobs

DAY = (TODAY - dt.timedelta(days=3)).isoformat()
IRI = "https://moodle.example.org/course/view.php?id=42"


@pytest.fixture
def people(make_user, clinician, association):
    """Ana and Ben work toward IFA."""
    from competencies.pathways import declare_goal

    ben = make_user("ben@example.test", display_name="Ben Brown")
    for user in (clinician, ben):
        declare_goal(user, association, "IFA", TODAY - dt.timedelta(days=100))
    return clinician, ben


def _pathways(*users) -> list[int]:
    return [p.id for p in Pathway.select().where(Pathway.clinician.in_([u.id for u in users]))]


def test_a_roster_reevaluates_its_attendees(
    app, client, auth, trainer, people, make_training, actor, association
):
    from courses import trainings

    training = make_training("NBO-101")
    session = trainings.add_session(actor(trainer), training, starts_on=DAY, location="Room 1")
    kept = keep_all(association)
    auth.login(trainer.email)
    response = client.post(
        f"/courses/sessions/{session.id}/roster",
        data={"attendee": [str(u.id) for u in people], "action": "record"},
    )
    assert response.status_code == 302
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(*people))


def _statement(email: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": IRI},
        "result": {"completion": True},
        "timestamp": f"{DAY}T10:00:00Z",
    }


def test_a_batch_of_xapi_statements_reevaluates_its_learners(
    app, client, trainer, people, make_training, api_token, association
):
    make_training("NBO-101", hours=3, activity_iri=IRI)
    kept = keep_all(association)
    headers = {**api_token(trainer), "X-Experience-API-Version": "1.0.3"}
    response = client.post(
        "/xapi/statements", json=[_statement(u.email) for u in people], headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(*people))


def test_a_voiding_statement_reevaluates_its_learner(
    app, client, trainer, people, make_training, api_token, association
):
    make_training("NBO-101", hours=3, activity_iri=IRI)
    headers = {**api_token(trainer), "X-Experience-API-Version": "1.0.3"}
    completed = _statement(people[0].email)
    assert client.post("/xapi/statements", json=completed, headers=headers).status_code == 200
    wait_for_jobs(app)
    kept = keep_all(association)
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:lms@example.test"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": completed["id"]},
    }
    response = client.put(
        f"/xapi/statements?statementId={voiding['id']}", json=voiding, headers=headers
    )
    assert response.status_code == 204, response.get_json()
    wait_for_jobs(app)
    assert rewritten(kept, _pathways(people[0]))


def test_the_rest_batch_reevaluates_its_clinicians(
    app, client, trainer, people, make_training, api_token, association
):
    make_training("NBO-101", hours=3)
    kept = keep_all(association)
    items = [{"email": u.email, "training_code": "NBO-101", "completed_on": DAY} for u in people]
    response = client.post("/api/v1/completions", json={"items": items}, headers=api_token(trainer))
    assert response.status_code == 200, response.get_json()
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(*people))


def test_a_refused_batch_starts_no_job(app, client, trainer, people, make_training, api_token):
    make_training("NBO-101", hours=3)
    items = [{"email": "nobody@example.test", "training_code": "NBO-101", "completed_on": DAY}]
    response = client.post("/api/v1/completions", json={"items": items}, headers=api_token(trainer))
    assert response.status_code == 422
    assert wait_for_jobs(app) == []
