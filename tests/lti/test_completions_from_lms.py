"""A "Training completion" placed in a course: the LMS reports the activity complete (a full
score on its line item, read through the AGS results service) and the tool records the
completion, once, in the name of the instructor who placed it."""

from __future__ import annotations

import re

from click.testing import CliRunner

from lms.models import AuditLog
from lti.models import Context
from tests.lti.conftest import INSTRUCTOR, launch, person_of, post_launch, start
from tests.lti.test_advantage import _trainer_and_training


def _place_training(client, test_lms, trainer, training) -> str:
    """The instructor adds "Training completion" from the LMS's activity chooser."""
    person = person_of(trainer, sub="t-1", roles=(INSTRUCTOR,))
    auth = start(client, test_lms, person)
    page = post_launch(client, test_lms.id_token_for(auth, person, deep_link=True))
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', page.get_data(as_text=True))[1]
    answer = client.post(
        "/lti/deep-link", data={"launch_id": launch_id, "item": f"training:{training.id}"}
    )
    token = re.search(r'name="JWT" value="([^"]+)"', answer.get_data(as_text=True))[1]
    [item] = test_lms.receive_deep_link(token)
    return item


def _complete(test_lms, sub: str, score: float, maximum: float = 1) -> None:
    [item] = [i for i in test_lms.lineitems if i["tag"] == "imh-training-completion"]
    test_lms.results.setdefault(item["id"], []).append(
        {"userId": sub, "resultScore": score, "resultMaximum": maximum, "scoreOf": item["id"]}
    )


def test_the_content_item_asks_the_lms_for_a_completion_line_item(
    app, client, test_lms, platform, make_user, association
):
    trainer, training, _ = _trainer_and_training(make_user, association)
    item = _place_training(client, test_lms, trainer, training)
    assert item["lineItem"] == {
        "scoreMaximum": 1,
        "label": "Training completion: Infant Mental Health 101",
        "resourceId": "imh-training-IMH-101",
        "tag": "imh-training-completion",
    }
    context = Context.get()
    assert (context.training_id, context.bound_by_id) == (training.id, trainer.id)


def test_a_completion_the_lms_reports_is_recorded_once(
    app, client, test_lms, platform, make_user, association, learner
):
    from courses.models import Completion
    from lti.completions import pull_completions

    trainer, training, _ = _trainer_and_training(make_user, association)
    _place_training(client, test_lms, trainer, training)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))  # links the learner
    first = pull_completions()
    assert (first.recorded, first.failed) == (0, 0), first.errors
    assert [i["label"] for i in test_lms.lineitems] == [
        "Training completion: Infant Mental Health 101"
    ]  # the tool made the line item the LMS had not made
    _complete(test_lms, "lms-user-1", 1)  # complete
    _complete(test_lms, "lms-user-9", 1)  # complete, but no account of ours is linked
    report = pull_completions()
    assert (report.recorded, report.unlinked, report.failed) == (1, 1, 0), report.errors
    completion = Completion.get()
    assert (completion.clinician_id, completion.training_id) == (learner.id, training.id)
    assert (completion.source, completion.status, completion.created_by_id) == (
        "lti",
        "verified",
        trainer.id,
    )
    assert completion.hours == training.hours
    assert AuditLog.select().where(AuditLog.action == "completion.record").count() == 1
    again = pull_completions()  # the LMS still reports it: nothing new
    assert (again.recorded, again.already) == (0, 1)
    assert Completion.select().count() == 1


def test_a_partial_score_is_not_a_completion(
    app, client, test_lms, platform, make_user, association, learner
):
    from courses.models import Completion
    from lti.completions import pull_completions

    trainer, training, _ = _trainer_and_training(make_user, association)
    _place_training(client, test_lms, trainer, training)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))
    pull_completions()
    _complete(test_lms, "lms-user-1", 0.5)
    assert pull_completions().recorded == 0
    assert not Completion.select().exists()


def test_an_instructor_who_may_no_longer_record_records_nothing(
    app, client, test_lms, platform, make_user, association, learner
):
    from courses.models import Completion
    from lms.models import Membership
    from lti.completions import pull_completions

    trainer, training, _ = _trainer_and_training(make_user, association)
    _place_training(client, test_lms, trainer, training)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))
    pull_completions()
    _complete(test_lms, "lms-user-1", 1)
    Membership.delete().where(Membership.user == trainer).execute()
    report = pull_completions()
    assert (report.recorded, report.failed) == (0, 1)
    assert "may no longer record" in report.errors[0]
    assert not Completion.select().exists()


def test_the_instructor_fetches_completions_from_the_course_page(
    app, client, test_lms, platform, make_user, association, learner
):
    from courses.models import Completion

    trainer, training, _ = _trainer_and_training(make_user, association)
    _place_training(client, test_lms, trainer, training)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))
    page = launch(client, test_lms, person_of(trainer, sub="t-1", roles=(INSTRUCTOR,)))
    text = page.get_data(as_text=True)
    assert "Fetch completions reported by the course" in text
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', text)[1]
    answer = client.post("/lti/roster", data={"launch_id": launch_id, "action": "completions"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "0 completion(s) recorded" in answer.get_data(as_text=True)
    _complete(test_lms, "lms-user-1", 1)
    answer = client.post("/lti/roster", data={"launch_id": launch_id, "action": "completions"})
    assert "1 completion(s) recorded" in answer.get_data(as_text=True)
    assert Completion.select().count() == 1


def test_the_pull_command_reports_and_fails_when_a_course_fails(
    app, client, test_lms, platform, make_user, association, learner
):
    from lti.models import Platform

    trainer, training, _ = _trainer_and_training(make_user, association)
    _place_training(client, test_lms, trainer, training)
    launch(app.test_client(), test_lms, person_of(learner, sub="lms-user-1"))
    runner = CliRunner()
    result = runner.invoke(app.cli, ["lti", "pull-completions"])
    assert result.exit_code == 0, result.output
    assert "0 completion(s) recorded" in result.output
    Platform.update(auth_token_url="http://127.0.0.1:9/token").execute()  # nobody listens
    result = runner.invoke(app.cli, ["lti", "pull-completions"])
    assert result.exit_code == 1
    assert "course-101" in result.output
