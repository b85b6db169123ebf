"""Supervision's batch writers leave the readiness rows they made stale current again once they
have committed (a background job for the pages, the command itself for the CLI), so no report
pays for them."""

from __future__ import annotations

from competencies.models import Pathway
from supervision import services
from supervision.models import RscSession
from tests.conftest import PASSWORD
from tests.kept_rows import keep_all, rewritten, wait_for_jobs
from tests.supervision.conftest import TODAY


def _pathways(*users) -> list[int]:
    return [p.id for p in Pathway.select().where(Pathway.clinician.in_([u.id for u in users]))]


def test_bulk_attestation_reevaluates_the_clinicians_rows(
    app, client, auth, provider, clinician, association, log
):
    sessions = [log(days_ago=d).id for d in (30, 20, 10)]
    kept = keep_all(association)
    auth.login(provider.email)
    response = client.post(
        "/supervision/provider/attest", data={"sessions": sessions, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(clinician))


def test_a_group_entry_reevaluates_every_attendee(
    app, client, auth, provider, clinician, make_user, association
):
    from competencies.pathways import declare_goal

    second = make_user("second@example.test")
    declare_goal(second, association, "IMHS", TODAY)
    kept = keep_all(association)
    auth.login(provider.email)
    data = {
        "attendees": [clinician.id, second.id],
        "occurred_on": TODAY.isoformat(),
        "hours": "2",
        "format": "group",
        "group_size": "5",
        "password": PASSWORD,
    }
    assert client.post("/supervision/provider/enter", data=data).status_code == 302
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(clinician, second))


def test_the_signatures_command_reevaluates_what_it_voided(
    runner, log, provider, clinician, association
):
    (session,) = services.attest([log()], provider=provider, password=PASSWORD)
    RscSession.update(about_giving_rsc=True).where(RscSession.id == session.id).execute()
    kept = keep_all(association)
    result = runner.invoke(args=["supervision", "signatures"])
    assert result.exit_code == 1 and f"Session {session.id}" in result.output
    assert "Readiness: 1 open pathways current, 1 evaluated" in result.output
    assert rewritten(kept, _pathways(clinician))


def test_a_failed_attestation_starts_no_job(app, client, auth, provider, association, log):
    session = log()
    keep_all(association)
    auth.login(provider.email)
    response = client.post(
        "/supervision/provider/attest", data={"sessions": session.id, "password": "wrong!"}
    )
    assert response.status_code == 400
    assert wait_for_jobs(app) == []
