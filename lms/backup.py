"""Online backups of the SQLite database and restoring one into an instance."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from lms.db import db, is_sqlite
from lms.private_files import create_private, private_dir

PG_RECIPE = (
    'PostgreSQL: back up with `pg_dump --format=custom --file=lms.dump "$LMS_DATABASE_URL"` '
    "and restore into an empty database with "
    '`pg_restore --no-owner --dbname="$LMS_DATABASE_URL" lms.dump` (see README, Backups).'
)


class BackupError(RuntimeError):
    """A backup or restore cannot be done; the message says why."""


def backup_to(path: Path) -> int:
    """Copy the live database to `path` with SQLite's online backup API; return its size."""
    if not is_sqlite():
        raise BackupError(PG_RECIPE)
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists; choose a new file name.")
    private_dir(path.parent)
    os.close(create_private(path))  # owner-only before SQLite writes a byte into it
    target = sqlite3.connect(path)
    try:
        # Pages are copied consistently while other connections keep reading and writing.
        db.connection().backup(target)
    finally:
        target.close()
    check_file(path)
    return path.stat().st_size


def check_file(path: Path) -> None:
    """Refuse a file that is not an intact IMH Pathway database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened: {exc}") from exc
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(f"{path} fails the integrity check: {result}")
    if "lms_migration" not in tables or "lms_auditlog" not in tables:
        raise BackupError(f"{path} is not an IMH Pathway database.")


def restore_from(path: Path) -> None:
    """Replace the live database's content with the backup at `path`."""
    if not is_sqlite():
        raise BackupError(PG_RECIPE)
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    check_file(path)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.backup(db.connection())
    finally:
        source.close()
