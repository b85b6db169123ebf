"""kill -9 in the middle of a write leaves the database whole and the write absent.

(a) A 100,000-row CSV completion import run through the CLI is killed once the database shows
    it half written (the SQLite WAL, or the PostgreSQL table, has grown by a good part of what
    the whole import writes). Then the file is intact, no row of the import exists, and the
    same import run again writes every row. On PostgreSQL the file has 10,000 rows: the
    importer's executemany costs a round trip per row there, and the property under test (one
    transaction, rolled back by the server when its client dies) does not depend on the size.
(b) A process issuing progress certificates in a loop through `certificates issue --output` is
    killed at seeded random moments. Then every certificate record holds its whole PDF (the
    PDF lives in the record, written in the same transaction as its audit row), every PDF file
    written is byte for byte a stored certificate, and every certificate the loop reported is
    there with its file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from lms.db import db
from tests.reliability.conftest import Database, stop

IMPORT_ROWS = {"sqlite": 100_000, "postgresql": 10_000}
CLINICIANS = 100
TRAININGS = 5
TODAY = dt.date.today()
LOOP = Path(__file__).with_name("issue_loop.py")


# --- (a) the CSV import ------------------------------------------------------------------------


def _seed_import() -> str:
    """Create a coordinator, the clinicians and the trainings; return the importer's email."""
    from competencies.rulesets import install_defaults
    from courses.models import Training
    from lms.accounts import create_user
    from lms.models import Association

    install_defaults()
    association = Association.create(code="IMP", name="Import Association")
    coordinator = create_user(
        "importer@example.test", "Ida Importer", roles=("coordinator",), association=association
    )
    for i in range(CLINICIANS):
        create_user(f"c{i}@example.test", f"Clinician {i}", association=association)
    for t in range(TRAININGS):
        Training.create(
            association=association,
            code=f"IMP-{t}",
            title=f"Import training {t}",
            format="in_service",
            hours=6.0,
            areas={"TF-DEV": None},
            owner=coordinator,
        )
    return coordinator.email


def _write_csv(path: Path, rows: int) -> None:
    """Write `rows` distinct completions: every clinician, every training, on successive days."""
    per_day = CLINICIANS * TRAININGS
    start = TODAY - dt.timedelta(days=rows // per_day + 30)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("email,training_code,date,hours\r\n")
        for n in range(rows):
            day = (start + dt.timedelta(days=n // per_day)).isoformat()
            clinician, training = n % CLINICIANS, (n // CLINICIANS) % TRAININGS
            handle.write(f"c{clinician}@example.test,IMP-{training},{day},{1 + n % 5}\r\n")


def _counts() -> dict[str, int]:
    from competencies.models import Evidence
    from courses.models import Completion
    from lms.models import AuditLog

    return {
        "completions": Completion.select().count(),
        "evidence": Evidence.select().count(),
        "audit": AuditLog.select().count(),
    }


def _written_so_far(database: Database) -> int:
    """Return how many bytes the running import has written so far (committed or not)."""
    if database.backend == "sqlite":
        wal = Path(database.url.removeprefix("sqlite:///") + "-wal")
        return wal.stat().st_size if wal.exists() else 0
    return db.execute_sql("SELECT pg_relation_size('courses_completion')").fetchone()[0]


# Far enough in to be mid-way, far from the end: the whole import writes about 60 MB of WAL
# on SQLite (100,000 rows), about 1.5 MB of completion table on PostgreSQL (10,000 rows).
HALFWAY = {"sqlite": 12_000_000, "postgresql": 320_000}


def _kill_halfway(database: Database, child: subprocess.Popen) -> int:
    """SIGKILL the import once it has written HALFWAY bytes; return what it had written."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        written = _written_so_far(database)
        if written >= HALFWAY[database.backend]:
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=30)
            return written
        time.sleep(0.02)
    output = child.communicate(timeout=30)[0] if child.poll() is not None else b""
    stop(child, signal.SIGKILL)
    raise AssertionError(f"the import never got half way: {output[-2000:]!r}")


def _wait_for_disconnect() -> None:
    """Wait until the killed client's PostgreSQL backend holds no transaction any more (it is
    gone, its transaction rolled back). Idle sessions are other processes' pooled connections."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        others = db.execute_sql(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND state IS DISTINCT FROM 'idle'"
        ).fetchone()[0]
        if not others:
            return
        time.sleep(0.05)
    raise AssertionError("the killed import's session is still open after 30 s")


def test_import_killed_mid_way_leaves_nothing_and_runs_again(database: Database, tmp_path):
    from courses.models import Completion

    rows = IMPORT_ROWS[database.backend]
    email = _seed_import()
    csv_path = tmp_path / "completions.csv"
    _write_csv(csv_path, rows)
    before = _counts()
    database.release()
    if database.backend == "postgresql":
        database.reopen()  # to watch the table grow; it holds no lock
    args = ("courses", "import-completions", str(csv_path), "--as", email)
    child = database.flask(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    written = _kill_halfway(database, child)
    assert child.returncode == -signal.SIGKILL  # killed, not finished
    assert written >= HALFWAY[database.backend]

    database.reopen()
    if database.backend == "sqlite":
        assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    else:
        _wait_for_disconnect()
    assert _counts() == before
    assert not Completion.select().where(Completion.source == "csv").exists()

    database.release()
    again = database.flask(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = again.communicate(timeout=600)[0].decode(errors="replace")
    assert again.returncode == 0, output[-3000:]
    assert f"Imported {rows} completion(s)" in output
    database.reopen()
    after = _counts()
    assert after["completions"] == before["completions"] + rows
    assert after["evidence"] == before["evidence"] + rows
    assert not Completion.select().where(Completion.evidence.is_null()).exists()
    if database.backend == "sqlite":
        assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]


# --- (b) issuing certificates ------------------------------------------------------------------


def _seed_holder() -> str:
    """Create a clinician with an open pathway and some verified training; return the email."""
    from competencies import ledger
    from competencies.pathways import declare_goal
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user
    from lms.models import Association

    install_defaults()
    association = Association.create(code="CRT", name="Certificate Association")
    holder = create_user("holder@example.test", "Hana Holder", association=association)
    declare_goal(holder, association, "IMHS", TODAY - dt.timedelta(days=400))
    for n in range(5):
        ledger.record(
            clinician=holder,
            association=association,
            kind="training",
            occurred_on=TODAY - dt.timedelta(days=30 * (n + 1)),
            status="verified",
            source="courses",
            hours=3.0,
            areas=["TF-DEV"],
            label=f"Training {n}",
        )
    return holder.email


def _start_loop(database: Database, email: str, outdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(LOOP), email, str(outdir), "100000"],
        env=database.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _readline(child: subprocess.Popen) -> str:
    """Return the loop's next line (it prints one per certificate; empty once it ended)."""
    line = child.stdout.readline().decode().strip()
    assert line, f"the issuing loop ended: {child.communicate()[0][-2000:]!r}"
    assert not line.startswith("failed"), line
    return line


def _kill_at_random(child: subprocess.Popen, rng: random.Random) -> list[str]:
    """Let the loop issue at least one certificate, kill it a random moment later; return the
    codes it reported as issued."""
    assert _readline(child) == "ready"
    reported = [_readline(child).split()[2]]
    time.sleep(rng.uniform(0.0, 1.0))
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    for line in rest.decode(errors="replace").splitlines():
        assert not line.startswith("failed"), line
        if line.startswith("issued "):
            reported.append(line.split()[2])
    return reported


def _check_certificates(outdir: Path, instance: Path, reported: list[str]) -> int:
    """Check the invariant between the records and the files; return the number of records."""
    from certificates.codes import display
    from certificates.models import IssuedCertificate
    from lms.models import AuditLog

    certs = list(IssuedCertificate.select())
    by_hash = {}
    for cert in certs:
        pdf = bytes(cert.pdf)
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), cert.id
        assert hashlib.sha256(pdf).hexdigest() == cert.sha256
        assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1
        by_hash[cert.sha256] = cert
    audited = [
        int(row.object_id)
        for row in AuditLog.select().where(AuditLog.action == "certificate.issue")
    ]
    assert sorted(audited) == sorted(c.id for c in certs)  # each record with its audit row
    assert sum(c.status == "valid" for c in certs) == (1 if certs else 0)  # the newest one
    files = sorted(outdir.rglob("*.pdf"))
    for path in files:  # no file that is not, byte for byte, a stored certificate
        assert hashlib.sha256(path.read_bytes()).hexdigest() in by_hash, path.name
    assert len(files) <= len(certs)
    codes = {display(c.code) for c in certs}
    assert set(reported) <= codes  # what the command reported as issued survived
    assert not list(instance.rglob("*.pdf"))  # nothing is stored beside the database
    return len(certs)


def test_certificate_issue_killed_at_random_moments_keeps_records_and_files_whole(
    database: Database, tmp_path
):
    email = _seed_holder()
    outdir = tmp_path / "out"
    database.release()
    rng = random.Random(90210)
    reported: list[str] = []
    issued = 0
    for turn in range(4):
        (outdir / str(turn)).mkdir(parents=True)
        child = _start_loop(database, email, outdir / str(turn))
        try:
            reported += _kill_at_random(child, rng)
        finally:
            stop(child, signal.SIGKILL)
            child.stdout.close()
        database.reopen()
        if database.backend == "sqlite":
            assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        else:
            _wait_for_disconnect()
        issued = _check_certificates(outdir, database.instance, reported)
        assert issued - len(reported) <= turn + 1  # a kill loses at most the one in flight
        database.release()
    assert issued >= len(reported) >= 4
    database.reopen()
