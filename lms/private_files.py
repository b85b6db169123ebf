"""Create the files the app writes (previews, backups, keys, the SQLite database) owner-only.

Each is created with its mode from the start (0600 files, 0700 folders), never created
readable and narrowed afterwards, whatever the process's umask: they hold personal records or
secrets, and other accounts on the host have no business reading them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """Create the folder (and missing parents) owner-only if missing; return it."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        path.chmod(DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def create_private(path: str | Path) -> int:
    """Create a new, empty owner-only file and return its descriptor (FileExistsError if any)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def write_private(path: str | Path, data: bytes | str) -> None:
    """Write a new owner-only file with the data."""
    body = data.encode("utf-8") if isinstance(data, str) else data
    with os.fdopen(create_private(path), "wb") as out:
        out.write(body)


def save_private(path: str | Path, stream: BinaryIO) -> None:
    """Copy an uploaded stream into a new owner-only file."""
    with os.fdopen(create_private(path), "wb") as out:
        shutil.copyfileobj(stream, out)
