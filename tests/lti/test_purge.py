"""`flask --app lms lti purge`: expired launch values, launches, used nonces past any token's
life, and grade jobs given up on are deleted; everything still live is kept."""

from __future__ import annotations

import datetime as dt
import json

from lms.models import AuditLog, utcnow
from lti.models import GradeJob, Launch, LaunchValue, UsedNonce
from tests.lti.conftest import person_of, post_launch, start

HOUR = dt.timedelta(hours=1)


def _launch_value(key: str, expires_at: dt.datetime) -> None:
    LaunchValue.create(key=key, value="true", expires_at=expires_at)


def test_purge_command_deletes_what_expired_and_keeps_the_rest(
    app, runner, platform, make_user, learner
):
    now = utcnow()
    _launch_value("lti1p3-state-old", now - HOUR)
    _launch_value("lti1p3-state-live", now + HOUR)
    for name, expires in (("old", now - HOUR), ("live", now + HOUR)):
        Launch.create(launch_id=f"launch-{name}", platform=platform, sub="s", role="learner",
                      kind="resource", expires_at=expires)  # fmt: skip
    UsedNonce.create(platform=platform, nonce="gone", expires_at=now - dt.timedelta(days=1))
    UsedNonce.create(platform=platform, nonce="kept", expires_at=now + HOUR)
    stuck = make_user("stuck@example.test")
    GradeJob.create(user=stuck, attempts=40, last_error="HTTP 500",
                    created_at=now - dt.timedelta(days=31), due_at=now + HOUR)  # fmt: skip
    GradeJob.create(user=learner, attempts=2, created_at=now - dt.timedelta(days=3))

    result = runner.invoke(args=["lti", "purge"])

    assert result.exit_code == 0, result.output
    assert "1 launch value(s), 1 launch(es), 1 used nonce(s), 1 grade job(s)" in result.output
    assert [v.key for v in LaunchValue.select()] == ["lti1p3-state-live"]
    assert [launch.launch_id for launch in Launch.select()] == ["launch-live"]
    assert [n.nonce for n in UsedNonce.select()] == ["kept"]
    assert [j.user_id for j in GradeJob.select()] == [learner.id]
    row = AuditLog.get(AuditLog.action == "lti.purge")
    assert json.loads(row.after) == {
        "launch_values": 1, "launches": 1, "used_nonces": 1, "grade_jobs": 1
    }  # fmt: skip


def test_grade_job_age_is_an_option(app, runner, platform, learner):
    GradeJob.create(user=learner, attempts=3, created_at=utcnow() - dt.timedelta(days=8))
    assert runner.invoke(args=["lti", "purge"]).exit_code == 0
    assert GradeJob.select().count() == 1  # 30 days by default
    result = runner.invoke(args=["lti", "purge", "--grade-job-days", "7"])
    assert result.exit_code == 0, result.output
    assert not GradeJob.select().exists()
    bad = runner.invoke(args=["lti", "purge", "--grade-job-days", "0"])
    assert bad.exit_code == 2 and "--grade-job-days" in bad.output


def test_a_used_nonce_outlives_its_token_so_replay_stays_refused(
    app, client, test_lms, platform, learner
):
    """A platform may issue an id_token valid for days; its nonce is kept past its expiry
    (plus clock skew), so a purge in between never makes the token launchable again."""
    from lti.purge import purge

    person = person_of(learner)
    data = test_lms.id_token_for(start(client, test_lms, person), person, expires_in=5 * 86400)
    assert post_launch(client, data).status_code == 200
    purge(now=utcnow() + dt.timedelta(days=4, hours=23))
    assert UsedNonce.select().count() == 1
    again = post_launch(client, data)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    purge(now=utcnow() + dt.timedelta(days=5, hours=1))
    assert not UsedNonce.select().exists()  # the token itself has expired by then
