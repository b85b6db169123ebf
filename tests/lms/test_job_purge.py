"""Job files (`<instance>/jobs/<id>.json`) do not pile up: writing a new job removes the files of
jobs finished more than a day ago, and of any left unfinished for a week."""

from __future__ import annotations

import os
import time

from lms import jobs

DAY = 86400


def _job(app, job_id: str, status: str, age: float) -> str:
    jobs._write(app, jobs.JobState(job_id, "x", status))
    path = jobs._folder(app) / f"{job_id}.json"
    then = time.time() - age
    os.utime(path, (then, then))
    return job_id


def _left(app) -> set[str]:
    return {p.name for p in jobs._folder(app).iterdir()}


def test_writing_a_job_purges_the_finished_ones_older_than_a_day(app):
    _job(app, "oldDone", "done", DAY + 60)
    _job(app, "oldFailed", "failed", 2 * DAY)
    _job(app, "newDone", "done", DAY - 60)
    _job(app, "oldRunning", "running", 2 * DAY)  # a long job still going: kept
    _job(app, "lostQueued", "queued", 8 * DAY)  # its process died a week ago
    stray = jobs._folder(app) / "half.tmp"
    stray.write_text("{")
    os.utime(stray, (time.time() - 2 * DAY,) * 2)
    new = jobs.enqueue("tests.lms.test_jobs:work", 1)  # inline on SQLite, a thread on PostgreSQL
    assert jobs.drain()  # the thread writes its state through a temporary file: let it finish
    assert _left(app) == {"newDone.json", "oldRunning.json", f"{new}.json"}
    assert jobs.state("oldDone") is None and jobs.state(new) is not None


def test_purge_says_how_many_and_is_idempotent(app):
    _job(app, "oldDone", "done", 3 * DAY)
    assert jobs.purge(app) == 1
    assert jobs.purge(app) == 0
    assert _left(app) == set()
