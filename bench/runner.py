"""Build the dataset, run the figures, and the load test under gunicorn."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import figures, readiness_figures
from bench.dataset import PASSWORD, build
from bench.figures import Figure

IMPORT_ROWS = {"XS": 5_000, "S": 20_000, "M": 100_000, "L": 100_000}
SECRET = "bench-secret-key-not-for-production-use-000000000000"


def _app(database_url: str, workdir: Path):
    from lms import create_app

    return create_app(
        {
            "ENV": "development",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "WTF_CSRF_ENABLED": False,
        }
    )


def _reset_postgres() -> None:
    from lms.db import db

    db.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
    db.execute_sql("CREATE SCHEMA public")


def run_all(
    *, size: str, database_url: str, workdir: Path, today: dt.date, load_seconds: int | None
) -> tuple[list[Figure], dict[str, Any]]:
    """Return every figure and what the dataset was."""
    from lms.accounts import create_user
    from lms.db import connection, db, is_sqlite, migrate_all

    app = _app(database_url, workdir)
    with app.app_context(), connection():
        if not is_sqlite():
            _reset_postgres()
        migrate_all(app)
        dataset = build(size, today=today)
        first = dataset.associations[0]
        create_user(
            "reviewer0@bench.example",
            "Bench Reviewer",
            roles=("reviewer",),
            association=first,
            password=PASSWORD,
        )
        load_env = _load_fixtures(first, dataset, today, workdir)
        emails = [f"c0-{i}@bench.example" for i in range(min(dataset.clinicians, 1000))]
        results = [
            *figures.readiness_report(first, today),
            *readiness_figures.cold_and_refresh(first, today, database_url, workdir),
            figures.one_clinician(dataset.sample_clinician, today),
            figures.dashboard_queries(app, first, today),
            figures.certificate_pdf(first, today),
            *figures.endorsement_credential(first, dataset.sample_clinician, today),
            figures.csv_import(first, emails, IMPORT_ROWS[size], workdir),
            figures.csv_import_memory(first, emails, workdir),
            readiness_figures.after_import(first, today),
            readiness_figures.after_framework_edit(first, today),
        ]
        info = {
            "size": size,
            "clinicians": dataset.clinicians,
            "evidence_rows": dataset.evidence_rows,
            "associations": len(dataset.associations),
            "database": "SQLite" if is_sqlite() else "PostgreSQL",
            "build_seconds": dataset.seconds,
        }
        db.close()
    if load_seconds:
        # Right after the import figures: the readiness page meets the rows they made stale.
        results.extend(load_test(database_url, workdir, load_seconds, load_env))
    return results, info


def _load_fixtures(association, dataset, today: dt.date, workdir: Path) -> dict[str, str]:
    """Create what the load journeys need: a trainer's API token and training, a few issued
    certificates to verify, and signed-in sessions of up to 5,000 clinicians. Returns the
    journeys' environment."""
    from certificates.issuing import issue_progress
    from courses.models import Training
    from lms.accounts import create_api_token, create_user
    from lms.models import User

    trainer = create_user(
        "trainer0@bench.example",
        "Bench Trainer",
        roles=("trainer",),
        association=association,
        password=PASSWORD,
    )
    Training.create(
        association=association,
        code="LOAD-1",
        title="Load journey training",
        format="online",
        hours=2,
        areas={},
        tags="",
        owner=trainer,
    )
    token = create_api_token(
        trainer, role="trainer", association=association, name="load", password=None
    )
    holders = User.select().where(User.email.startswith("c0-")).order_by(User.id).limit(5)
    codes = [issue_progress(h, association, today=today).code for h in holders]
    clinicians = User.select().where(User.email.startswith("c0-")).order_by(User.id).limit(5000)
    sessions = _signed_in_sessions(clinicians, workdir / "sessions.txt")
    return {
        "BENCH_CLINICIANS": str(min(dataset.clinicians, 500)),
        "BENCH_PASSWORD": PASSWORD,
        "BENCH_TOKEN": token.secret,
        "BENCH_TRAINING": "LOAD-1",
        "BENCH_VERIFY_CODES": ",".join(codes),
        "BENCH_SESSIONS": str(sessions),
        "BENCH_REPORT": str(workdir / "locust-report.json"),
    }


def _signed_in_sessions(users, path: Path) -> Path:
    """Write one session cookie ("name=value") per user, each signed in by the app's own
    `sign_in`, as the browsers of clinicians who signed in earlier hold them.

    The load test then visits as many different clinicians as it can (each evaluation a cache
    miss on its first page) without paying a password hash per visit; the sign-in itself is
    measured by the reviewers' journey.
    """
    from flask import current_app, session

    from lms.auth import sign_in

    app = current_app._get_current_object()
    with path.open("w", encoding="utf-8") as out:
        for user in users:
            with app.test_request_context("/login", method="POST"):
                sign_in(user)
                response = app.response_class()
                app.session_interface.save_session(app, session, response)
                out.write(response.headers["Set-Cookie"].split(";", 1)[0] + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_test(
    database_url: str, workdir: Path, seconds: int, journeys: dict[str, str]
) -> list[Figure]:
    """Mixed journeys from locust against gunicorn with (2 × cores) + 1 workers, on loopback:
    the dashboard's p95 over many different clinicians, and the readiness page's."""
    port = _free_port()
    workers = 2 * (os.cpu_count() or 1) + 1
    env = {
        **os.environ,
        "LMS_DATABASE_URL": database_url,
        "LMS_SECRET_KEY": SECRET,
        "LMS_ENV": "development",
        "LMS_INSTANCE_PATH": str(workdir / "instance"),
        "LMS_LOGIN_LIMIT_PER_IP": "100000 per minute",
        # Every simulated visitor comes from 127.0.0.1; in life they come from many addresses.
        "LMS_CERTIFICATES_VERIFY_LIMIT": "100000 per minute",
    }
    bin_dir = Path(sys.executable).parent
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "lms:create_app()",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", server, workdir / "gunicorn.log")
        prefix = workdir / "locust"
        subprocess.run(
            [
                str(bin_dir / "locust"),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "-u",
                "20",
                "-r",
                "20",
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "5",
            ],
            env={**env, **journeys},
            check=False,
            capture_output=True,
            timeout=seconds + 120,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    stats = _read_stats(Path(f"{prefix}_stats.csv"))
    locked = (workdir / "gunicorn.log").read_text(errors="replace").count("database is locked")
    dashboard = stats.get("dashboard", {})
    p95 = float(dashboard.get("95%", "nan") or "nan")
    total = stats.get("Aggregated", {})
    failures = int(total.get("Failure Count", 0) or 0)
    requests = int(total.get("Request Count", 0) or 0)
    passed = p95 <= 50 and failures == 0 and locked == 0 and requests > 0
    failed = _read_failures(Path(f"{prefix}_failures.csv"))
    others = ", ".join(
        f"{name} {stats[name]['95%']} ms"
        for name in ("readiness page", "verify", "record completion", "login")
        if name in stats
    )
    try:
        report = json.loads(Path(journeys["BENCH_REPORT"]).read_text())
    except (KeyError, OSError, ValueError):
        report = {}
    distinct = int(report.get("clinicians", 0))
    readiness = stats.get("readiness page", {})
    ready_requests = int(readiness.get("Request Count", 0) or 0)
    ready_failures = int(readiness.get("Failure Count", 0) or 0)
    # None answered within the test: its length is a lower bound of the page's time.
    ready_p95 = float(readiness.get("95%") or "nan") if ready_requests else seconds * 1000.0
    return [
        Figure(
            f"load: dashboard p95, {workers} workers, 20 clients, {seconds} s",
            p95,
            "ms",
            "≤ 50 ms, 0 errors, 0 locked",
            None,
            None,
            passed,
            f"{requests} requests, {distinct:,} different clinicians, {failures} errors{failed}, "
            f"{locked} 'database is locked'; p95 {others}",
        ),
        Figure(
            "load: readiness page p95 right after an import",
            ready_p95,
            "ms",
            "answered, 0 errors",
            None,
            None,
            ready_requests > 0 and ready_failures == 0,
            (
                f"{ready_requests} requests, {ready_failures} errors"
                if ready_requests
                else f"no request answered within the {seconds} s test (a lower bound)"
            )
            + "; the import figures ran just before and left their clinicians' kept rows stale",
        ),
    ]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Wait for the server to answer (workers boot slowly on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def _read_stats(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def _read_failures(path: Path) -> str:
    """Return the most frequent failure reasons, e.g. " (12 × record completion: 422)"."""
    if not path.exists():
        return ""
    with path.open(newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: -int(r["Occurrences"] or 0))
    return "".join(
        f" ({row['Occurrences']} × {row['Name']}: {row['Error'][:80]})" for row in rows[:3]
    )
