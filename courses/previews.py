"""The files a CSV import keeps between its preview and its commit.

An upload is kept as `<instance>/imports/<user id>-<token>.csv` (and `.json` for its options)
until it is committed. One that is never committed is removed after PREVIEW_MAX_AGE: by
`flask --app lms courses purge-previews` (cron), and whenever someone starts a new preview.
Folder and files are owner-only (they hold people's names and emails).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any, BinaryIO

from lms.private_files import private_dir, save_private, write_private

PREVIEW_MAX_AGE = dt.timedelta(days=1)
_NAME = re.compile(r"[0-9]+-[0-9a-f]{32}\.(csv|json)")


def folder(instance_path: str | Path) -> Path:
    """Return the previews' folder, created owner-only if missing."""
    return private_dir(Path(instance_path) / "imports")


def paths(instance_path: str | Path, user_id: int, token: str) -> tuple[Path, Path]:
    """Return the (CSV, options) files of one preview."""
    base = folder(instance_path) / f"{user_id}-{token}"
    return base.with_suffix(".csv"), base.with_suffix(".json")


def keep(
    instance_path: str | Path, user_id: int, token: str, stream: BinaryIO, options: dict[str, Any]
) -> tuple[Path, Path]:
    """Store an upload and its options for a later commit, owner-only; clear stale previews."""
    purge(folder(instance_path))
    csv_path, meta_path = paths(instance_path, user_id, token)
    save_private(csv_path, stream)
    write_private(meta_path, json.dumps(options))
    return csv_path, meta_path


def kept(
    instance_path: str | Path, user_id: int, max_age: dt.timedelta = PREVIEW_MAX_AGE
) -> list[tuple[str, dt.datetime]]:
    """Return (token, kept at, UTC) of the user's previews not imported yet, newest first."""
    directory = Path(instance_path) / "imports"
    if not directory.is_dir():
        return []
    cutoff = time.time() - max_age.total_seconds()
    found = []
    for path in directory.glob(f"{int(user_id)}-*.csv"):
        if not _NAME.fullmatch(path.name):
            continue
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:  # imported or purged meanwhile
            continue
        if mtime >= cutoff:
            at = dt.datetime.fromtimestamp(mtime, dt.UTC).replace(tzinfo=None)
            found.append((path.stem.split("-", 1)[1], at))
    return sorted(found, key=lambda pair: pair[1], reverse=True)


def purge(directory: str | Path, max_age: dt.timedelta = PREVIEW_MAX_AGE) -> int:
    """Remove preview files older than max_age; return how many. Other files are left alone."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    for path in directory.iterdir():
        if not _NAME.fullmatch(path.name):
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # committed or purged by another process meanwhile
            continue
    return removed
