"""Fixtures of the reliability tests: a database other processes can open, and their settings.

These tests run the app in separate OS processes (gunicorn workers, the `flask` CLI), so the
database must be one those processes can reach: an SQLite file in the test's folder, or the
PostgreSQL test database (prepared through `app_factory`, then committed and released; the
`app_factory` teardown truncates it again).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lms import create_app
from lms.db import db, is_sqlite, migrate_all

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "reliability-secret-key-not-for-production-0000000000"
PASSWORD = "correct horse battery staple"


@dataclass
class Database:
    """A migrated database reachable from other processes, and how to hand it over to them."""

    backend: str
    url: str
    workdir: Path

    @property
    def instance(self) -> Path:
        return self.workdir / "instance"

    def env(self, **extra: str) -> dict[str, str]:
        """Return the environment of a child process using this database (no stray LMS_*)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
        env.update(
            {
                "LMS_DATABASE_URL": self.url,
                "LMS_SECRET_KEY": SECRET,
                "LMS_ENV": "development",
                "LMS_INSTANCE_PATH": str(self.instance),
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(extra)
        return env

    def release(self) -> None:
        """Commit and close this process's connection, so children find no lock held."""
        if not db.is_closed():
            if db.in_transaction():
                db.commit()
            db.close()

    def reopen(self) -> None:
        db.connect(reuse_if_open=True)

    def flask(self, *args: str, **popen) -> subprocess.Popen:
        """Start `flask --app lms ARGS` against this database."""
        return subprocess.Popen(
            [str(BIN / "flask"), "--app", "lms", *args],
            cwd=ROOT,
            env=self.env(),
            **popen,
        )


@pytest.fixture
def database(backend, tmp_path, request) -> Iterator[Database]:
    """Yield a migrated, empty database (inside an app context) that subprocesses can open."""
    workdir = tmp_path
    config = {"INSTANCE_PATH": str(workdir / "instance"), "PASSWORD_HASH_COST": "fast"}
    if backend == "postgresql":
        app = request.getfixturevalue("app_factory")(**config)
        url = app.config["DATABASE_URL"]
    else:
        url = f"sqlite:///{workdir / 'lms.db'}"
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": SECRET,
                "DATABASE_URL": url,
                "RATELIMIT_STORAGE_URI": "memory://",
                **config,
            }
        )
        db.connect(reuse_if_open=True)
        migrate_all(app)
    with app.app_context():
        yield Database(backend, url, workdir)
    db.connect(reuse_if_open=True)  # the app_factory teardown truncates through it (PostgreSQL)
    if is_sqlite():
        db.close()


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    """Signal a child we started, wait for it and return its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=timeout)


def start_gunicorn(env: dict, log: Path, workers: int) -> tuple[subprocess.Popen, str]:
    """Start the app under gunicorn on a free loopback port; return it and its base URL once
    it answers (its output goes to `log`, shown if it dies while starting)."""
    from bench.runner import _free_port, _wait_until_up

    port = _free_port()
    with log.open("wb") as handle:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
            + ["--timeout", "60", "lms:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/healthz", server, log)
    except RuntimeError:
        stop(server)
        raise
    return server, base
