"""Background jobs: on a thread of this process, spread over processes, or on RQ workers."""

from __future__ import annotations

import os

import pytest

from lms import jobs


def work(total: int) -> str:
    """A job that reports progress as it goes."""
    for done in range(1, total + 1):
        jobs.progress(done, total, "counting")
    return f"counted {total}"


def fail() -> None:
    raise ValueError("the input file vanished")


def square(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def square_but_three(n: int) -> tuple[int, int]:
    if n == 3:
        raise ValueError("three is not welcome")
    return square(n)


@pytest.fixture
def threaded(monkeypatch, app):
    """Run jobs on the thread even on the tests' in-memory database (these touch no table)."""
    monkeypatch.setattr(jobs, "_inline", lambda app: False)


def test_a_job_runs_on_a_thread_and_reports_progress(app, threaded):
    job_id = jobs.enqueue("tests.lms.test_jobs:work", 3, owner_id=7, label="Counting")
    done = jobs.wait(job_id, timeout=30)
    assert (done.status, done.done, done.total, done.percent) == ("done", 3, 3, 100)
    assert done.message == "counted 3" and done.owner_id == 7 and done.label == "Counting"
    assert (app.instance_path + "/jobs") in str(next((jobs._folder(app)).glob("*.json")))


def test_a_failed_job_says_why(app, threaded):
    failed = jobs.wait(jobs.enqueue("tests.lms.test_jobs:fail"), timeout=30)
    assert failed.status == "failed" and failed.message == "the input file vanished"


def test_inline_on_an_in_memory_database(app, backend):
    job_id = jobs.enqueue("tests.lms.test_jobs:work", 2)
    if backend == "sqlite":  # no other thread could see an in-memory database
        assert jobs.state(job_id).status == "done"  # ran before enqueue returned
    else:
        assert jobs.wait(job_id, timeout=30).status == "done"


def test_unknown_ids_and_bad_names(app):
    assert jobs.state("no-such-job") is None
    assert jobs.state("../../etc/passwd") is None
    assert jobs.state("") is None
    with pytest.raises(jobs.JobError, match="package.module:function"):
        jobs.enqueue("tests.lms.test_jobs.work")
    with pytest.raises(AttributeError):
        jobs.enqueue("tests.lms.test_jobs:nothing_here")


def test_progress_outside_a_job_does_nothing(app):
    jobs.progress(1, 2)


def test_spread_over_processes_returns_results_in_order(app, threaded):
    seen = []
    results = jobs.spread(
        "tests.lms.test_jobs:square",
        [1, 2, 3, 4],
        workers=2,
        on_done=lambda done, total: seen.append((done, total)),
    )
    assert [r[0] for r in results] == [1, 4, 9, 16]
    assert os.getpid() not in {r[1] for r in results}  # computed in other processes
    assert seen[-1] == (4, 4)
    assert [r[0] for r in jobs.spread("tests.lms.test_jobs:square", [5], workers=2)] == [25]


def test_spread_starts_each_process_once(app, threaded):
    results = jobs.spread("tests.lms.test_jobs:square", list(range(8)), workers=2)
    assert [r[0] for r in results] == [n * n for n in range(8)]
    assert len({r[1] for r in results}) <= 2  # two processes took the eight parts


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_part_is_named(app, threaded, workers):
    with pytest.raises(jobs.JobError, match="Part 3 of 4 of tests.lms.test_jobs:square_but_three"):
        jobs.spread("tests.lms.test_jobs:square_but_three", [1, 2, 3, 4], workers=workers)


def test_pool_processes_fork_when_this_process_runs_one_thread(app, monkeypatch):
    monkeypatch.setattr(jobs.threading, "active_count", lambda: 1)
    context, start, args = jobs._pool_context(app)
    assert context.get_start_method() == "fork" and args == (app,)
    monkeypatch.setattr(jobs.threading, "active_count", lambda: 2)
    context, start, args = jobs._pool_context(app)
    assert context.get_start_method() == "spawn" and args[0]["DATABASE_URL"]


# --- RQ (a fake Redis: the same client calls, no server) --------------------------------------


@pytest.fixture
def rq_queue(app, monkeypatch):
    fakeredis = pytest.importorskip("fakeredis")
    server = fakeredis.FakeServer()
    monkeypatch.setattr(jobs, "_redis_factory", lambda url: fakeredis.FakeRedis(server=server))
    monkeypatch.setitem(app.config, "JOBS_URL", "redis://jobs.example.test:6379/0")
    from rq import SimpleWorker

    def work_all():
        queue = jobs._queue(app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)

    return work_all


def test_rq_job_is_queued_then_run_by_a_worker(app, rq_queue):
    job_id = jobs.enqueue("tests.lms.test_jobs:work", 4, owner_id=3, label="Counting")
    queued = jobs.state(job_id)
    assert (queued.status, queued.owner_id, queued.label) == ("queued", 3, "Counting")
    rq_queue()
    done = jobs.state(job_id)
    assert (done.status, done.done, done.total, done.message) == ("done", 4, 4, "counted 4")


def test_rq_failure_is_reported(app, rq_queue):
    job_id = jobs.enqueue("tests.lms.test_jobs:fail")
    rq_queue()
    assert jobs.state(job_id).status == "failed"


def test_rq_spread_waits_for_the_workers(app, rq_queue, monkeypatch):
    monkeypatch.setattr(jobs, "_pause", lambda seconds: rq_queue())
    results = jobs.spread("tests.lms.test_jobs:square", [3, 1, 2], workers=2)
    assert [r[0] for r in results] == [9, 1, 4]


def test_drain_waits_for_the_thread_jobs_of_this_process(app, monkeypatch):
    """The tests' PostgreSQL app runs jobs on a thread: a test's end waits for them (conftest),
    so that no job writes into the next test's database."""
    import threading

    release = threading.Event()
    monkeypatch.setattr(jobs, "_inline", lambda _app: False)
    monkeypatch.setattr(jobs, "resolve", lambda _path: lambda: release.wait(30))
    jobs.enqueue("anything:here")
    assert jobs.drain(timeout=0.2) is False  # still running
    release.set()
    assert jobs.drain(timeout=30) is True
