"""Homes that list what to do: each role's counts (aggregate queries) and links."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

TODAY = dt.date.today()


@pytest.fixture
def coordinator(make_user, defaults):
    return make_user("coord@example.test", roles=("coordinator",), display_name="Cora Coord")


def _actor(user):
    from lms.permissions import actor_for

    return actor_for(user)


def _todo(body: str, label: str) -> tuple[int, str]:
    """Return the count and link of the home's to-do line ending in `label`."""
    match = re.search(
        r'<a href="([^"]+)"><span class="todo-count">(\d+)</span> ' + re.escape(label) + "</a>",
        body,
    )
    assert match, f"no to-do {label!r} in the home page"
    return int(match.group(2)), match.group(1)


def _application(make_user, association, status, n=[0]):  # noqa: B006 - a counter
    from competencies.pathways import declare_goal
    from endorsement.models import Application

    n[0] += 1
    clinician = make_user(f"applicant{n[0]}@example.test")
    pathway = declare_goal(clinician, association, "IFA", TODAY - dt.timedelta(days=300))
    return Application.create(
        clinician=clinician,
        association=association,
        pathway=pathway,
        rule_set=pathway.rule_set,
        category="IFA",
        status=status,
        snapshot={},
        updated_at=dt.datetime(2026, 1, 1) + dt.timedelta(days=n[0]),
    )


def _review(application, reviewer, done: bool):
    from endorsement.models import Review

    return Review.create(
        application=application,
        reviewer=reviewer,
        assigned_at=dt.datetime(2026, 2, 1),
        completed_at=dt.datetime(2026, 2, 3) if done else None,
        recommendation="endorsed" if done else None,
    )


def test_reviewer_sees_reviews_waiting_with_the_oldest(
    app, client, auth, make_user, association, coordinator
):
    from endorsement.panels import reviews_waiting

    reviewer = make_user("rev@example.test", roles=("reviewer",))
    other = make_user("rev2@example.test", roles=("reviewer",))
    first = _application(make_user, association, "under_review")
    second = _application(make_user, association, "under_review")
    _review(first, reviewer, done=False)
    _review(second, reviewer, done=False)
    _review(second, other, done=False)
    _review(_application(make_user, association, "under_review"), reviewer, done=True)
    assert reviews_waiting(reviewer) == (2, dt.datetime(2026, 2, 1))
    auth.login("rev@example.test")
    body = client.get("/").get_data(as_text=True)
    assert _todo(body, "reviews waiting for you") == (2, "/endorsement/reviews")
    assert "the oldest since 1 February 2026" in body


def test_coordinator_sees_applications_to_decide_and_renewals_due(
    app, client, auth, make_user, association, coordinator
):
    from competencies.endorsements import record_endorsement
    from competencies.models import Endorsement
    from endorsement.panels import applications_to_decide, renewals_due

    r1, r2 = (make_user(f"r{i}@example.test", roles=("reviewer",)) for i in (1, 2))
    _application(make_user, association, "submitted")
    _application(make_user, association, "submitted")
    decided = _application(make_user, association, "under_review")
    _review(decided, r1, done=True)
    _review(decided, r2, done=True)
    half = _application(make_user, association, "under_review")  # one review still out
    _review(half, r1, done=True)
    _review(half, r2, done=False)
    _application(make_user, association, "exam_passed")
    _application(make_user, association, "endorsed")
    steps = applications_to_decide(_actor(coordinator), [association.id])
    assert {k: n for k, (n, _) in steps.items()} == {
        "submitted": 2,
        "reviewed": 1,
        "exam_passed": 1,
    }

    due = []
    for days, status in [(30, "active"), (-5, "active"), (200, "active"), (10, "lapsed")]:
        person = make_user(f"endorsee{days}{status}@example.test")
        e = record_endorsement(
            person, association, "IFA", TODAY - dt.timedelta(days=700), actor=coordinator
        )
        Endorsement.update(renewal_due=TODAY + dt.timedelta(days=days), status=status).where(
            Endorsement.id == e.id
        ).execute()
        due.append(e)
    assert renewals_due([association.id], TODAY) == (2, TODAY - dt.timedelta(days=5))

    auth.login("coord@example.test")
    body = client.get("/").get_data(as_text=True)
    assert _todo(body, "new applications to assign reviewers to") == (
        2,
        "/endorsement/workflow?status=submitted#list-heading",
    )
    assert _todo(body, "application with its reviews in, to decide") == (
        1,
        "/endorsement/workflow?status=under_review#list-heading",
    )
    assert _todo(body, "application with a passed exam, to endorse")[0] == 1
    assert _todo(body, "renewals due within 90 days") == (2, "/endorsement/workflow#due-heading")
    when = TODAY - dt.timedelta(days=5)
    assert f"the first due {when.day} {when.strftime('%B %Y')}" in body


def test_coordinator_of_another_association_counts_nothing_of_this_one(
    app, make_user, association, make_association, coordinator
):
    from endorsement.panels import applications_to_decide

    _application(make_user, association, "submitted")
    other = make_association("OT")
    elsewhere = make_user("c2@example.test", roles=("coordinator",), assoc=other)
    actor = _actor(elsewhere)
    steps = applications_to_decide(actor, actor.association_ids("endorsement:decide"))
    assert steps["submitted"][0] == 0


def test_provider_sees_attestations_pending_and_since_when(
    app, client, auth, make_user, association, defaults
):
    from supervision.models import RscSession
    from supervision.panels import attestations_pending

    provider = make_user("prov@example.test", roles=("rsc_provider",))
    other = make_user("prov2@example.test", roles=("rsc_provider",))
    clinician = make_user("c@example.test")
    for who, status, day in [
        (provider, "pending", 3),
        (provider, "pending", 9),
        (provider, "attested", 1),
        (other, "pending", 1),
    ]:
        RscSession.create(
            clinician=clinician,
            provider=who,
            association=association,
            occurred_on=TODAY - dt.timedelta(days=20),
            hours=1,
            format="individual",
            entered_by=clinician,
            status=status,
            created_at=dt.datetime(2026, 3, day, 10, 0),
        )
    assert attestations_pending(provider, [association.id]) == (2, dt.datetime(2026, 3, 3, 10, 0))
    auth.login("prov@example.test")
    body = client.get("/").get_data(as_text=True)
    assert _todo(body, "supervision sessions waiting for your signature") == (
        2,
        "/supervision/provider",
    )
    assert "the oldest since 3 March 2026" in body


def test_trainer_sees_previews_not_imported_and_reopens_one(
    app, client, auth, make_user, association, defaults
):
    from courses import previews

    trainer = make_user("trainer@example.test", roles=("trainer",))
    other = make_user("trainer2@example.test", roles=("trainer",))
    csv = b"email,training_code,date,hours\n"
    previews.keep(app.instance_path, trainer.id, "a" * 32, io.BytesIO(csv), {})
    previews.keep(app.instance_path, trainer.id, "b" * 32, io.BytesIO(csv), {})
    previews.keep(app.instance_path, other.id, "c" * 32, io.BytesIO(csv), {})
    assert sorted(t for t, _ in previews.kept(app.instance_path, trainer.id)) == [
        "a" * 32,
        "b" * 32,
    ]
    auth.login("trainer@example.test")
    body = client.get("/").get_data(as_text=True)
    assert _todo(body, "imports previewed but not saved") == (2, "/courses/import#kept-heading")
    page = client.get("/courses/import").get_data(as_text=True)
    assert f'href="/courses/import/{"a" * 32}"' in page
    assert "c" * 32 not in page  # another person's preview is never listed
    assert client.get(f"/courses/import/{'c' * 32}").status_code == 302  # nor opened


def test_coordinator_sees_self_reports_to_verify(
    app, client, auth, make_user, association, coordinator
):
    from courses.models import Completion

    clinician = make_user("c@example.test")
    for i in range(3):
        Completion.create(
            clinician=clinician,
            association=association,
            title=f"Outside {i}",
            provider="Somewhere",
            completed_on=TODAY - dt.timedelta(days=10),
            hours=2,
            source="self-report",
            status="pending" if i else "verified",
        )
    auth.login("coord@example.test")
    body = client.get("/").get_data(as_text=True)
    assert _todo(body, "self-reported trainings to verify") == (2, "/courses/verify")


def test_certificates_to_issue(app, client, auth, make_user, association, coordinator):
    from certificates.panels import endorsements_without_certificate
    from competencies.models import Endorsement

    holder = make_user("holder@example.test")
    Endorsement.create(  # recorded without the awarding signal: no certificate yet
        clinician=holder,
        association=association,
        category="IFA",
        number="IFA-1",
        awarded_on=TODAY,
        renewal_due=TODAY + dt.timedelta(days=365),
    )
    assert endorsements_without_certificate(_actor(coordinator)) == 1
    auth.login("coord@example.test")
    body = client.get("/").get_data(as_text=True)
    assert _todo(body, "endorsement without a valid certificate, to issue") == (
        1,
        "/certificates/manage",
    )


def test_clinician_home_shows_bar_date_and_three_next_tasks(
    app, client, auth, make_user, association, defaults
):
    from competencies.pathways import declare_goal

    clinician = make_user("clin@example.test")
    declare_goal(clinician, association, "IMHS", TODAY - dt.timedelta(days=30))
    auth.login("clin@example.test")
    body = client.get("/").get_data(as_text=True)
    assert re.search(r'role="img" aria-label="[^"]*overall progress \d+ percent"', body)
    assert "of the way to Infant Mental Health Specialist" in body
    section = body[body.index("Next to do") :]
    tasks = re.findall(r"<li>([^<]+)</li>", section[: section.index("</ol>")])
    assert len(tasks) == 3 and any("hours of training" in t for t in tasks)
    assert 'class="todo' not in body  # nothing staff-like on a clinician's home


def test_home_queries_do_not_grow_with_the_work(
    app, client, auth, make_user, association, coordinator
):
    """The same number of queries for 2 and for 12 waiting applications: counts aggregate."""
    from playhouse.test_utils import count_queries

    auth.login("coord@example.test")
    counts = []
    made = 0
    for records in (2, 12):
        for _ in range(records - made):
            _application(make_user, association, "submitted")
        made = records
        with count_queries() as counter:
            body = client.get("/").get_data(as_text=True)
        assert _todo(body, "new applications to assign reviewers to")[0] == records
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
