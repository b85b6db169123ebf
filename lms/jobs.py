"""Background jobs: on RQ (Redis) when LMS_JOBS_URL is set, else in this process.

Work that grows with an association (re-evaluating readiness after an import, the nightly
refresh) runs as jobs, so no page waits for it. A job is a function named by its path,
``"package.module:function"``, called with plain arguments (ids, ISO dates) inside an app
context holding a database connection; it may report its progress with `progress`.

- With ``LMS_JOBS_URL=redis://host:6379/0`` jobs go to the RQ queue ``LMS_JOBS_QUEUE``
  (default ``imhp``) and run in ``rq worker`` processes on any host (each builds the app from
  its environment, as the web processes do); `spread` sends one job per chunk and waits, so
  the refresh runs on every worker at once.
- Without it a job runs on a thread of this process, and `spread` runs the chunks on a pool of
  processes of this host (``workers`` of them). An in-memory SQLite database (the tests') is
  seen by no other thread or process: there everything runs inline, in the caller's thread.

A job's state (queued, running, done, failed; progress; its owner) is kept where every web
process can read it: in RQ's job record, or in ``<instance>/jobs/<id>.json``.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import multiprocessing
import os
import pickle
import secrets
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from lms.db import connection, is_sqlite

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
WAIT_SECONDS = 3600  # `spread` gives up on a chunk after this long


class JobError(RuntimeError):
    """A job could not be run or did not finish."""


@dataclass(frozen=True)
class JobState:
    """What a page may show of a job."""

    id: str
    label: str
    status: str
    done: int = 0
    total: int = 0
    message: str = ""
    owner_id: int | None = None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """Return the share done as a whole percentage (100 only when done)."""
        if self.status == DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


def resolve(path: str) -> Callable[..., Any]:
    """Return the function named "package.module:function"."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise JobError(f"A job names its function as 'package.module:function', not {path!r}.")
    return getattr(importlib.import_module(module), name)


def _queue_url(app: Flask) -> str:
    return app.config.get("JOBS_URL") or ""


def _inline(app: Flask) -> bool:
    """Tell whether jobs must run in the caller's thread (an in-memory SQLite database)."""
    url = app.config.get("DATABASE_URL", "")
    return is_sqlite() and (":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite://"))


# --- RQ ------------------------------------------------------------------------------------

_redis_factory: Callable[[str], Any] | None = None  # tests may hand in a fake Redis


def _redis(url: str):
    if _redis_factory is not None:
        return _redis_factory(url)
    from redis import Redis

    return Redis.from_url(url)


def _queue(app: Flask):
    from rq import Queue

    return Queue(app.config.get("JOBS_QUEUE", "imhp"), connection=_redis(_queue_url(app)))


_worker_app: Flask | None = None


def _app_for_worker() -> Flask:
    """Return this worker process's app (built once, from the environment)."""
    global _worker_app
    try:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        pass
    if _worker_app is None:
        from lms import create_app

        _worker_app = create_app(_process_config)
    return _worker_app


def _status(job) -> str:
    """Return an RQ job's status as text ("queued", "started", "finished", "failed", ...)."""
    status = job.get_status(refresh=True)
    return str(getattr(status, "value", status) or QUEUED)


def run_job(path: str, args: Sequence[Any]) -> Any:
    """Run a job in a worker (RQ's entry point): app context, connection, state kept."""
    app = _app_for_worker()
    with app.app_context(), connection():
        return resolve(path)(*args)


# --- state kept on this host -----------------------------------------------------------------

_local = threading.local()  # the job this thread runs, for `progress`
_lock = threading.Lock()


def _folder(app: Flask) -> Path:
    folder = Path(app.instance_path) / "jobs"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write(app: Flask, state: JobState) -> None:
    path = _folder(app) / f"{state.id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state)))
    tmp.replace(path)  # readers never see half a file


def _read(app: Flask, job_id: str) -> JobState | None:
    path = _folder(app) / f"{job_id}.json"
    try:
        return JobState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


KEEP_FINISHED = 86400  # seconds a finished job's file is kept (RQ keeps results as long)
KEEP_ANY = 7 * 86400  # a file left unfinished this long lost its process: removed too


def purge(app: Flask, now: float | None = None) -> int:
    """Remove the files of jobs finished more than a day ago (and any left a week); return how
    many. Run whenever a job is written here, so the folder never grows with time."""
    now = time.time() if now is None else now
    removed = 0
    for path in _folder(app).glob("*.*"):
        try:
            age = now - path.stat().st_mtime  # the last write: when it finished, if it did
            if age <= KEEP_FINISHED:
                continue
            state = _read(app, path.stem) if path.suffix == ".json" else None
            if age > KEEP_ANY or state is None or state.finished:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process purged it first
            continue
    return removed


def _run_here(app: Flask, state: JobState, path: str, args: Sequence[Any]) -> None:
    _write(app, _replace(state, status=RUNNING))
    _local.job = (app, state.id)
    try:
        with app.app_context(), connection():
            result = resolve(path)(*args)
        current = _read(app, state.id) or state
        message = result if isinstance(result, str) else current.message
        _write(app, _replace(current, status=DONE, message=message))
    except Exception as exc:  # the job's failure is its state; the thread must not die loudly
        app.logger.exception("job %s (%s) failed", state.id, path)
        _write(app, _replace(_read(app, state.id) or state, status=FAILED, message=str(exc)))
    finally:
        _local.job = None


def _replace(state: JobState, **changes: Any) -> JobState:
    return JobState(**{**asdict(state), **changes})


_threads: concurrent.futures.ThreadPoolExecutor | None = None
_pending: set[concurrent.futures.Future] = set()  # this process's thread jobs not yet done


def _thread_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _threads
    with _lock:
        if _threads is None:
            _threads = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lms-job")
        return _threads


# --- the API -------------------------------------------------------------------------------


def enqueue(path: str, *args: Any, owner_id: int | None = None, label: str = "") -> str:
    """Run a job in the background; return its id (for `state`)."""
    resolve(path)  # a typo fails here, in the caller, not later in a worker
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job_id = secrets.token_urlsafe(12)
    state = JobState(job_id, label, QUEUED, owner_id=owner_id)
    if _queue_url(app):
        _queue(app).enqueue(
            run_job,
            path,
            list(args),
            job_id=job_id,
            meta={"label": label, "owner_id": owner_id, "done": 0, "total": 0},
            result_ttl=86400,
            failure_ttl=86400,
        )
        return job_id
    purge(app)
    _write(app, state)
    if _inline(app):
        _run_here(app, state, path, args)
    else:
        future = _thread_pool().submit(_run_here, app, state, path, args)
        with _lock:
            _pending.add(future)
        future.add_done_callback(_forget)
    return job_id


def _forget(future: concurrent.futures.Future) -> None:
    with _lock:
        _pending.discard(future)


def drain(timeout: float = 60) -> bool:
    """Wait until the jobs this process runs on its thread are done (a test's end, a process
    shutting down); return whether they all finished within `timeout` seconds."""
    with _lock:
        running = list(_pending)
    _, not_done = concurrent.futures.wait(running, timeout=timeout)
    return not not_done


def progress(done: int, total: int, message: str = "") -> None:
    """Say how far the running job is (does nothing outside a job)."""
    rq = sys.modules.get("rq")  # an RQ worker has imported it; importing it here costs 0.2 s
    rq_job = rq.get_current_job() if rq is not None else None
    if rq_job is not None:
        rq_job.meta.update({"done": done, "total": total, "message": message})
        rq_job.save_meta()
        return
    running = getattr(_local, "job", None)
    if running is None:
        return
    app, job_id = running
    current = _read(app, job_id)
    if current is not None:
        _write(app, _replace(current, done=done, total=total, message=message or current.message))


def state(job_id: str) -> JobState | None:
    """Return a job's state, or None for an unknown id."""
    if not job_id or not set(job_id) <= ID_CHARS or len(job_id) > 64:
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _queue_url(app):
        return _read(app, job_id)
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=_redis(_queue_url(app)))
    except NoSuchJobError:
        return None
    status = _status(job)
    status = {"finished": DONE, "started": RUNNING}.get(status, status)
    if status not in (QUEUED, RUNNING, DONE):
        status = FAILED if status in ("failed", "stopped", "canceled") else QUEUED
    meta = job.meta or {}
    message = str(meta.get("message", ""))
    if status == DONE and isinstance(job.return_value(), str):
        message = job.return_value()
    if status == FAILED and not message:
        message = "The job failed; see the worker's log."
    return JobState(
        job_id,
        str(meta.get("label", "")),
        status,
        int(meta.get("done", 0)),
        int(meta.get("total", 0)),
        message,
        meta.get("owner_id"),
    )


def wait(job_id: str, timeout: float = 60) -> JobState:
    """Wait for a job to finish; return its last state (JobError past the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        current = state(job_id)
        if current is not None and current.finished:
            return current
        if time.monotonic() > deadline:
            raise JobError(f"Job {job_id} did not finish within {timeout:.0f} s.")
        _pause(0.05)


_pause = time.sleep  # tests run a burst of an RQ worker here instead


# --- spreading one piece of work over workers -----------------------------------------------

_process_config: dict[str, Any] | None = None  # the config a pool process builds its app from


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def _plain_config(app: Flask) -> dict[str, Any]:
    """Return the settings a process of the pool needs to build the same app."""
    return {
        k: v
        for k, v in app.config.items()
        if k.isupper()
        and isinstance(v, str | int | float | bool | list | tuple | dict | None)
        and _picklable(v)
    }


def _start_process(config: dict[str, Any]) -> None:
    global _process_config, _worker_app
    _process_config = config
    _worker_app = None


def _start_forked(app: Flask) -> None:
    """Begin a pool process forked from this one: it has every module imported and the app
    built already, and opens its own database connection (it forgets the one it inherited,
    without closing it: that one is the parent's; PostgreSQL pools forget theirs at fork)."""
    global _process_config, _worker_app
    _process_config, _worker_app = None, app
    _local.job = None
    from lms.db import db

    if is_sqlite():
        db.obj._state.reset()


def _pool_context(app: Flask) -> tuple[Any, Callable[..., None], tuple]:
    """Return how pool processes start: forked from this process when it runs one thread (a
    worker starts in milliseconds, not the second an import and app build take), spawned
    afresh otherwise (a fork copies a lock another thread may hold, never released in the
    child)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork"), _start_forked, (app,)
    return multiprocessing.get_context("spawn"), _start_process, (_plain_config(app),)


def spread(
    path: str,
    chunks: Sequence[Any],
    *,
    workers: int = 1,
    on_done: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Call the function named `path` on each chunk, over `workers` processes of this host (or
    the RQ workers when LMS_JOBS_URL is set); return the results in the order of the chunks.
    `on_done(chunks done, chunks)` is called as they finish.

    Each process starts once and takes chunk after chunk; each chunk runs in its own app
    context with the process's own connection, and this process only waits. A chunk that
    fails stops the rest: JobError says which chunk and why.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    func = resolve(path)
    if _queue_url(app):
        return _spread_rq(app, path, chunks, on_done)
    if workers <= 1 or len(chunks) <= 1 or _inline(app):
        results = []
        for number, chunk in enumerate(chunks, start=1):
            try:
                results.append(func(chunk))
            except Exception as exc:
                raise _part_failed(path, number, len(chunks), exc) from exc
            if on_done is not None:
                on_done(len(results), len(chunks))
        return results
    context, initializer, initargs = _pool_context(app)
    with concurrent.futures.ProcessPoolExecutor(
        min(workers, len(chunks)), mp_context=context, initializer=initializer, initargs=initargs
    ) as pool:
        futures = {pool.submit(run_job, path, [chunk]): i for i, chunk in enumerate(chunks)}
        for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
            exc = future.exception()
            if exc is not None:
                pool.shutdown(wait=True, cancel_futures=True)
                raise _part_failed(path, futures[future] + 1, len(chunks), exc) from exc
            if on_done is not None:
                on_done(done, len(chunks))
        return [f.result() for f in futures]


def _part_failed(path: str, number: int, count: int, exc: BaseException) -> JobError:
    return JobError(f"Part {number} of {count} of {path} failed: {exc or type(exc).__name__}")


def _spread_rq(
    app: Flask, path: str, chunks: Sequence[Any], on_done: Callable[[int, int], None] | None
) -> list[Any]:
    queue = _queue(app)
    jobs = [
        queue.enqueue(run_job, path, [chunk], result_ttl=3600, failure_ttl=86400)
        for chunk in chunks
    ]
    deadline = time.monotonic() + WAIT_SECONDS
    results: list[Any] = [None] * len(jobs)
    pending = set(range(len(jobs)))
    while pending:
        for i in sorted(pending):
            status = _status(jobs[i])
            if status == "finished":
                results[i] = jobs[i].return_value()
                pending.discard(i)
                if on_done is not None:
                    on_done(len(jobs) - len(pending), len(jobs))
            elif status in ("failed", "stopped", "canceled"):
                raise JobError(
                    f"Part {i + 1} of {len(jobs)} of {path} failed on a worker (job {jobs[i].id})."
                )
        if pending:
            if time.monotonic() > deadline:
                raise JobError(f"{path}: {len(pending)} part(s) not done; are workers running?")
            _pause(0.05)
    return results


def cpu_count() -> int:
    """Return the processes this host can give a job (its CPUs)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
