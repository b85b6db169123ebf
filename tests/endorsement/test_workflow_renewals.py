"""Renewals, reminders, the registry and the association dashboard."""

from __future__ import annotations

import datetime as dt

import pytest

from endorsement import registry, renewals
from endorsement.errors import NotVisible, WorkflowError
from endorsement.models import Renewal

TODAY = dt.date.today()


@pytest.fixture
def endorsee(clinician, association, coordinator):
    from competencies.endorsements import record_endorsement

    return record_endorsement(
        clinician, association, "IFA", dt.date(TODAY.year - 1, 6, 1), actor=coordinator
    )


def _year_training(clinician, association, year, hours, tags=()):
    from competencies import ledger

    ledger.record(
        clinician=clinician,
        association=association,
        kind="training",
        occurred_on=min(dt.date(year, 3, 1), TODAY),
        status="verified",
        source="test",
        hours=hours,
        tags=tags,
        today=TODAY,
    )


def _actor(user):
    from lms.permissions import actor_for

    return actor_for(user)


def test_nothing_due_in_the_award_year(clinician, association, coordinator):
    from competencies.endorsements import record_endorsement

    endorsement = record_endorsement(clinician, association, "IFA", TODAY, actor=coordinator)
    assert renewals.evaluate(endorsement, TODAY.year).met


def test_renewal_needs_the_years_requirements(endorsee, clinician, association):
    from competencies.models import Endorsement

    year = endorsee.renewal_due.year
    with pytest.raises(WorkflowError, match="not met yet"):
        renewals.submit(endorsee, actor=_actor(clinician), today=dt.date(year, 11, 1))
    assert not Renewal.select().exists()
    _year_training(clinician, association, year, 15)
    _year_training(clinician, association, year, 1, tags=["dei"])
    from competencies import ledger

    ledger.record(
        clinician=clinician,
        association=association,
        kind="membership",
        occurred_on=min(dt.date(year, 1, 5), TODAY),
        status="verified",
        source="test",
        details={"valid_until": f"{year + 1}-06-30"},
        today=TODAY,
    )
    renewal = renewals.submit(endorsee, actor=_actor(clinician), today=dt.date(year, 11, 1))
    assert renewal.status == "renewed" and renewal.year == year
    assert Endorsement.get_by_id(endorsee.id).renewal_due == dt.date(year + 1, 12, 31)


def test_renewal_for_another_associations_endorsee_is_refused(
    endorsee, make_user, make_association
):
    elsewhere = make_association("OH")
    outsider = make_user("oh@example.test", roles=("coordinator",), assoc=elsewhere)
    with pytest.raises(NotVisible):
        renewals.submit(endorsee, actor=_actor(outsider))
    assert not Renewal.select().exists()


def test_renewal_route_for_another_association_answers_404(
    client, auth, endorsee, make_user, make_association
):
    elsewhere = make_association("OH")
    outsider = make_user("oh@example.test", roles=("coordinator",), assoc=elsewhere)
    auth.login(outsider.email)
    assert client.post(f"/endorsement/renewal/{endorsee.id}").status_code == 404
    assert not Renewal.select().exists()


def test_lapse_then_reinstate(endorsee, coordinator, clinician):
    from competencies.models import Endorsement

    due = endorsee.renewal_due
    assert renewals.lapse_overdue(due) == 0
    assert renewals.lapse_overdue(due + dt.timedelta(days=1)) == 1
    assert Endorsement.get_by_id(endorsee.id).status == "lapsed"
    assert Renewal.get().status == "lapsed"
    lapsed = Endorsement.get_by_id(endorsee.id)
    with pytest.raises(WorkflowError):
        renewals.reinstate(lapsed, actor=_actor(clinician), reason="please")
    with pytest.raises(WorkflowError):
        renewals.reinstate(lapsed, actor=_actor(coordinator), reason=" ")
    renewals.reinstate(lapsed, actor=_actor(coordinator), reason="Paid late fee")
    assert Endorsement.get_by_id(endorsee.id).status == "active"
    assert Renewal.get().status == "reinstated"


def test_remind_command_is_idempotent_at_90_30_7_days(app, endorsee, runner):
    from lms.models import ReminderSent

    due = endorsee.renewal_due
    day = (due - dt.timedelta(days=90)).isoformat()
    first = runner.invoke(args=["endorsement", "remind", "--today", day])
    assert first.exit_code == 0 and "1 renewal reminder sent" in first.output
    again = runner.invoke(args=["endorsement", "remind", "--today", day])
    assert "0 renewal reminders sent" in again.output
    # A cron that missed days sends the nearest reminder once, not the ones it skipped.
    late = runner.invoke(
        args=["endorsement", "remind", "--today", (due - dt.timedelta(days=5)).isoformat()]
    )
    assert "1 renewal reminder sent" in late.output
    assert ReminderSent.select().count() == 3
    bad = runner.invoke(args=["endorsement", "remind", "--today", "2025-02-30"])
    assert bad.exit_code != 0 and "not a real date" in bad.output


def test_registry_lists_active_endorsees_with_city_only_if_opted_in(
    client, endorsee, clinician, make_user, association, coordinator
):
    from competencies.endorsements import record_endorsement
    from competencies.models import Endorsement

    clinician.city = "Lakeshore"
    clinician.save()
    gone = make_user("gone@example.test", display_name="Gone Person")
    lapsed = record_endorsement(gone, association, "IFA", TODAY, actor=coordinator)
    Endorsement.update(status="lapsed").where(Endorsement.id == lapsed.id).execute()
    page = client.get("/endorsement/registry").get_data(as_text=True)
    assert "Zoë Ñúñez" in page and "Gone Person" not in page and "Lakeshore" not in page
    registry.set_listing(clinician, show_city=True)
    assert "Lakeshore" in client.get("/endorsement/registry?q=zo").get_data(as_text=True)
    assert "Zoë" not in client.get("/endorsement/registry?q=nobody").get_data(as_text=True)
    assert client.get("/endorsement/registry?category=<script>").status_code == 400


def test_dashboard_counts_chart_and_csv(client, auth, submitted, coordinator, endorsee):
    auth.login(coordinator.email)
    page = client.get("/endorsement/workflow").get_data(as_text=True)
    assert "Applications by status: Submitted 1" in page
    assert "<svg" in page and endorsee.number in page
    csv = client.get("/endorsement/workflow.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0] == "application,applicant,category,status,ready,submitted_at"
    assert ",IFA,submitted,True," in lines[1]


@pytest.mark.parametrize(
    "path",
    ["/endorsement/workflow", "/endorsement/workflow.csv", "/endorsement/exams"],
)
@pytest.mark.parametrize("role", ["clinician", "reviewer", "agency_manager", "trainer"])
def test_coordinator_pages_are_forbidden_to_other_roles(client, auth, make_user, path, role):
    user = make_user(f"{role}@example.test", roles=(role,))
    auth.login(user.email)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/endorsement/applications/mine",
        "/endorsement/reviews",
        "/endorsement/renewal",
        "/endorsement/workflow",
    ],
)
def test_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
