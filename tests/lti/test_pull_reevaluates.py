"""Completions an LMS reports (the pull command, the instructor's Fetch button) and an LTI roster
leave the readiness rows they made stale current again once committed, so no report pays."""

from __future__ import annotations

import re

from click.testing import CliRunner

from competencies.models import Pathway
from tests.kept_rows import keep_all, rewritten, wait_for_jobs
from tests.lti.conftest import INSTRUCTOR, LEARNER, launch, person_of
from tests.lti.test_advantage import _trainer_and_training
from tests.lti.test_completions_from_lms import _complete, _place_training


def _pathways(user) -> list[int]:
    return [p.id for p in Pathway.select().where(Pathway.clinician == user.id)]


def _bound(app, client, test_lms, make_user, association, learner):
    trainer, training, session = _trainer_and_training(make_user, association)
    _place_training(client, test_lms, trainer, training)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))  # links the learner
    return trainer, session


def test_the_pull_command_reevaluates_the_learners_it_recorded(
    app, client, test_lms, platform, make_user, association, learner
):
    _bound(app, client, test_lms, make_user, association, learner)
    runner = CliRunner()
    assert runner.invoke(app.cli, ["lti", "pull-completions"]).exit_code == 0  # the line item
    kept = keep_all(association)
    _complete(test_lms, "lms-user-1", 1)
    result = runner.invoke(app.cli, ["lti", "pull-completions"])
    assert result.exit_code == 0, result.output
    assert "1 completion(s) recorded" in result.output
    assert "Readiness: 1 open pathways current, 1 evaluated" in result.output
    assert rewritten(kept, _pathways(learner))


def test_the_fetch_button_reevaluates_in_a_job(
    app, client, test_lms, platform, make_user, association, learner
):
    trainer, _ = _bound(app, client, test_lms, make_user, association, learner)
    page = launch(client, test_lms, person_of(trainer, sub="t-1", roles=(INSTRUCTOR,)))
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', page.get_data(as_text=True))[1]
    client.post("/lti/roster", data={"launch_id": launch_id, "action": "completions"})
    assert wait_for_jobs(app) == []  # nothing recorded yet: no job
    kept = keep_all(association)
    _complete(test_lms, "lms-user-1", 1)
    answer = client.post("/lti/roster", data={"launch_id": launch_id, "action": "completions"})
    assert "1 completion(s) recorded" in answer.get_data(as_text=True)
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(learner))


def test_recording_the_lti_roster_reevaluates_its_attendees(
    app, client, test_lms, platform, make_user, association, learner
):
    from lti.models import Context

    trainer, training, session = _trainer_and_training(make_user, association)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))  # links the learner
    Context.update(training=training).execute()
    test_lms.members = [
        {"user_id": "lms-user-1", "name": "Lena Learner", "roles": [LEARNER], "status": "Active"},
        {"user_id": "t-1", "name": "Tom Trainer", "roles": [INSTRUCTOR], "status": "Active"},
    ]
    page = launch(client, test_lms, person_of(trainer, sub="t-1", roles=(INSTRUCTOR,)))
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', page.get_data(as_text=True))[1]
    assert (
        client.post("/lti/roster", data={"launch_id": launch_id, "action": "pull"}).status_code
        == 200
    )
    kept = keep_all(association)
    recorded = client.post(
        "/lti/roster",
        data={"launch_id": launch_id, "action": "record", "session": str(session.id),
              "attendee": [str(learner.id)]},
    )  # fmt: skip
    assert "Recorded 1 completion(s)" in recorded.get_data(as_text=True)
    assert [s.status for s in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, _pathways(learner))
