"""Leftovers: import previews never committed are removed after a day; the files the app writes
are owner-only; "not found" pages are never cached."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

DAY = (dt.date.today() - dt.timedelta(days=5)).isoformat()
CSV = f"email,training_code,date,hours\r\nana@example.test,NBO-101,{DAY},3\r\n".encode()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def importer_client(world):
    """The coordinator of the security world (a clinician and the training NBO-101 exist)."""
    return world.client("coordinator")


def _upload(client) -> None:
    response = client.post(
        "/courses/import",
        data={"file": (io.BytesIO(CSV), "completions.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]


def _previews(app) -> Path:
    return Path(app.instance_path) / "imports"


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_preview_files_and_folder_are_owner_only(app, importer_client):
    _upload(importer_client)
    folder = _previews(app)
    files = list(folder.iterdir())
    assert files, "the upload left no preview"
    assert _mode(folder) == 0o700
    assert {_mode(f) for f in files} == {0o600}


def test_purge_previews_removes_those_older_than_a_day(app, importer_client):
    folder = _previews(app)
    folder.mkdir(parents=True, exist_ok=True)
    old = folder / f"1-{'a' * 32}.csv"
    old_meta = old.with_suffix(".json")
    fresh = folder / f"1-{'b' * 32}.csv"
    for path in (old, old_meta, fresh):
        path.write_bytes(b"x")
    _age(old, 1.5)
    _age(old_meta, 1.5)
    _age(fresh, 0.5)
    result = app.test_cli_runner().invoke(args=["courses", "purge-previews"])
    assert result.exit_code == 0, result.output
    assert "Removed 2 preview file(s)" in result.output
    assert not old.exists() and not old_meta.exists() and fresh.exists()


def test_a_new_preview_clears_stale_ones(app, importer_client):
    folder = _previews(app)
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / f"7-{'c' * 32}.csv"
    stale.write_bytes(b"x")
    _age(stale, 2)
    _upload(importer_client)
    assert not stale.exists()


def test_purge_leaves_other_files_alone(tmp_path):
    from courses.previews import purge

    stranger = tmp_path / "notes.txt"
    stranger.write_text("keep")
    _age(stranger, 5)
    assert purge(tmp_path) == 0
    assert stranger.exists()


def test_backup_file_and_instance_database_are_owner_only(tmp_path):
    from lms import create_app
    from lms.backup import backup_to
    from lms.db import connection, db, migrate_all

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 32,
            "AUDIT_KEY": "leftovers-test-audit-key-000000000000000",
            "AUDIT_SIGNING_KEY": "33" * 32,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'lms.db'}",
        }
    )
    target = tmp_path / "backups" / "lms.db"
    try:
        with app.app_context(), connection():
            migrate_all(app)
            backup_to(target)
    finally:
        db.close()
    assert _mode(tmp_path / "instance" / "lms.db") == 0o600
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700


def test_sqlite_database_file_is_created_owner_only(tmp_path):
    from lms.db import make_database

    path = tmp_path / "fresh" / "lms.db"
    database = make_database(f"sqlite:///{path}")
    database.connect()
    database.execute_sql("CREATE TABLE t (x)")
    database.close()
    assert _mode(path) == 0o600


def test_development_secret_key_file_is_owner_only(tmp_path):
    from lms.config import ensure_secret_key

    config = {"ENV": "development"}
    ensure_secret_key(config, str(tmp_path))
    assert _mode(tmp_path / "secret_key") == 0o600


def test_not_found_page_is_not_cached(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_not_found_json_is_not_cached(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.headers["Cache-Control"] == "no-store"


def test_not_found_inside_a_view_is_not_cached(app, client, make_user):
    make_user("someone@example.test")
    client.post("/login", data={"email": "someone@example.test", "password": PASSWORD})
    response = client.get(f"/courses/clinicians/{2**31 - 2}/transcript")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_age_helper_sets_the_time(tmp_path):
    path = tmp_path / "f"
    path.write_text("x")
    _age(path, 2)
    age = dt.datetime.now().timestamp() - path.stat().st_mtime
    assert 1.9 * 86400 < age < 2.1 * 86400
