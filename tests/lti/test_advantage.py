"""LTI Advantage against lti1p3platform: deep linking, roster (NRPS), grades (AGS)."""

from __future__ import annotations

import datetime as dt
import re

from lms.models import AuditLog
from lti.models import Context, GradeJob, Member, PostedScore
from tests.lti.conftest import INSTRUCTOR, TODAY, launch, person_of, post_launch, start
from tests.lti.platform import LEARNER


def _trainer_and_training(make_user, association):
    from courses.models import Session, SessionTrainer, Training

    trainer = make_user("trainer@example.test", roles=("trainer",), display_name="Tom Trainer")
    training = Training.create(
        association=association, code="IMH-101", title="Infant Mental Health 101",
        format="in_person", hours=6.0, owner=trainer,
    )  # fmt: skip
    session = Session.create(
        training=training,
        starts_on=TODAY - dt.timedelta(days=3),
        ends_on=TODAY - dt.timedelta(days=2),
    )
    SessionTrainer.create(session=session, trainer=trainer)
    return trainer, training, session


def _launch_id(page: str) -> str:
    return re.search(r'name="launch_id" value="([^"]+)"', page).group(1)


def test_deep_linking_returns_a_signed_content_item(
    app, client, test_lms, platform, make_user, association
):
    trainer, training, _ = _trainer_and_training(make_user, association)
    person = person_of(trainer, sub="t-1", roles=(INSTRUCTOR,))
    auth = start(client, test_lms, person)
    chooser = post_launch(client, test_lms.id_token_for(auth, person, deep_link=True))
    page = chooser.get_data(as_text=True)
    assert chooser.status_code == 200, page
    assert (
        "Endorsement progress" in page and "Training completion: Infant Mental Health 101" in page
    )
    answer = client.post(
        "/lti/deep-link", data={"launch_id": _launch_id(page), "item": f"training:{training.id}"}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html
    assert f'action="{test_lms.base}/deep-link-return"' in html
    assert f"form-action 'self' {test_lms.base}" in answer.headers["Content-Security-Policy"]
    token = re.search(r'name="JWT" value="([^"]+)"', html).group(1)
    [item] = test_lms.receive_deep_link(token)  # verified with the tool's published key
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Training completion: Infant Mental Health 101"
    assert item["url"] == test_lms.tool_launch_url
    assert item["custom"] == {"imh_placement": "training", "imh_training": "IMH-101"}
    assert Context.get().training_id == training.id
    progress = client.post(
        "/lti/deep-link", data={"launch_id": _launch_id(page), "item": "progress"}
    )
    token = re.search(r'name="JWT" value="([^"]+)"', progress.get_data(as_text=True)).group(1)
    [item] = test_lms.receive_deep_link(token)
    assert item["title"] == "Endorsement progress"
    assert item["lineItem"] == {
        "scoreMaximum": 100,
        "label": "IMH endorsement progress",
        "resourceId": "imh-endorsement-progress",
        "tag": "imh-endorsement-progress",
    }


def test_learners_cannot_deep_link(app, client, test_lms, platform, learner):
    person = person_of(learner)
    auth = start(client, test_lms, person)
    response = post_launch(client, test_lms.id_token_for(auth, person, deep_link=True))
    assert response.status_code == 400
    assert "refused" in response.get_data(as_text=True)


def test_trainer_pulls_the_roster_and_records_completions(
    app, client, test_lms, platform, make_user, association, learner
):
    from courses.models import Completion
    from lti.models import Launch

    trainer, training, session = _trainer_and_training(make_user, association)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))  # links the learner
    Context.update(training=training).execute()
    test_lms.members = [
        {"user_id": "lms-user-1", "name": "Lena Learner", "roles": [LEARNER], "status": "Active"},
        {"user_id": "lms-user-2", "name": "Nora Nolink", "roles": [LEARNER], "status": "Active"},
        {"user_id": "t-1", "name": "Tom Trainer", "roles": [INSTRUCTOR], "status": "Active"},
    ]
    page = launch(client, test_lms, person_of(trainer, sub="t-1", roles=(INSTRUCTOR,)))
    launch_id = _launch_id(page.get_data(as_text=True))
    pulled = client.post("/lti/roster", data={"launch_id": launch_id, "action": "pull"})
    text = pulled.get_data(as_text=True)
    assert pulled.status_code == 200, text
    assert "1 learner(s) linked to clinicians, 1 not linked yet" in text
    assert "Nora Nolink" in text and "Lena Learner" in text
    members = {m.sub: m.user_id for m in Member.select().where(Member.learner)}
    assert members == {"lms-user-1": learner.id, "lms-user-2": None}
    assert AuditLog.select().where(AuditLog.action == "lti.roster_pull").count() == 1
    recorded = client.post(
        "/lti/roster",
        data={"launch_id": launch_id, "action": "record", "session": str(session.id),
              "attendee": [str(learner.id)]},
    )  # fmt: skip
    assert recorded.status_code == 200, recorded.get_data(as_text=True)
    assert "Recorded 1 completion(s)" in recorded.get_data(as_text=True)
    completion = Completion.get()
    assert (completion.clinician_id, completion.session_id) == (learner.id, session.id)
    assert Launch.select().where(Launch.role == "instructor").count() == 1


def test_roster_needs_an_instructor_launch(app, client, test_lms, platform, learner):
    from lti.models import Launch

    assert launch(client, test_lms, person_of(learner)).status_code == 200
    learner_launch = Launch.get().launch_id
    response = client.post("/lti/roster", data={"launch_id": learner_launch, "action": "pull"})
    assert response.status_code == 403
    assert client.post("/lti/roster", data={"launch_id": "made-up"}).status_code == 404


def _add_training_hours(user, association, hours):
    from competencies import ledger

    ledger.record(
        clinician=user, association=association, kind="training",
        occurred_on=TODAY - dt.timedelta(days=20), status="verified", source="test",
        hours=hours, label="Course",
    )  # fmt: skip


def test_progress_is_posted_as_a_grade(app, client, test_lms, platform, learner, association):
    from competencies.pathways import evaluate_pathways, open_pathways
    from lti.grades import LINE_ITEM_LABEL, push_grades

    launch(client, test_lms, person_of(learner))
    assert GradeJob.select().count() == 1  # the launch queues the learner
    report = push_grades()
    assert (report.posted, report.failed) == (1, 0), report.errors
    assert [i["label"] for i in test_lms.lineitems] == [LINE_ITEM_LABEL]
    assert test_lms.lineitems[0]["scoreMaximum"] == 100
    first = test_lms.scores[-1]
    assert first["userId"] == "lms-user-1" and first["scoreMaximum"] == 100
    assert not GradeJob.select().exists()
    # A ledger write queues the learner again (inside the write), and the new value is posted.
    _add_training_hours(learner, association, 12.0)
    assert GradeJob.select().count() == 1
    push_grades()
    [evaluation] = evaluate_pathways(list(open_pathways(learner)), dt.date.today())
    expected = round(evaluation.result.progress * 100)
    score = test_lms.scores[-1]
    assert score["scoreGiven"] == expected and expected > 0
    assert "Missing:" in score["comment"]
    assert "hours of training" in score["comment"] or "area" in score["comment"]
    assert PostedScore.get().score == expected
    # Nothing changed: nothing is sent.
    GradeJob.create(
        user=learner, due_at=dt.datetime(2000, 1, 1), created_at=dt.datetime(2000, 1, 1)
    )
    sent = len(test_lms.scores)
    assert push_grades().unchanged == 1 and len(test_lms.scores) == sent


def test_a_failing_platform_keeps_the_job_and_backs_off(app, client, test_lms, platform, learner):
    from lti.grades import push_grades
    from lti.models import Platform

    launch(client, test_lms, person_of(learner))
    Platform.update(auth_token_url="http://127.0.0.1:9/token").execute()  # nobody listens
    now = dt.datetime(2030, 1, 1, 12, 0)
    report = push_grades(now=now)
    assert report.failed == 1 and report.errors
    job = GradeJob.get()
    assert job.attempts == 1 and job.due_at == now + dt.timedelta(minutes=1)
    push_grades(now=job.due_at)
    job = GradeJob.get()
    assert job.attempts == 2 and job.due_at == now + dt.timedelta(minutes=1, seconds=120)
    assert push_grades(now=now).failed == 0  # not due yet: not tried
