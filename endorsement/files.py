"""The files behind an application's frozen evidence, held by other plugins, for its reviewers.

Competencies does not know where files are kept: it asks through the `evidence_files` signal
(lms/signals.py) and offers only files of evidence rows frozen in the application's snapshot.
"""

from __future__ import annotations

import re

from flask import current_app

from endorsement.models import Application
from lms import uploads
from lms.signals import EvidenceFile, evidence_files

KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


def snapshot_evidence_ids(application: Application) -> list[int]:
    """Return the ids of the ledger rows frozen in the application's snapshot."""
    return [int(e["id"]) for e in application.snapshot.get("evidence", ()) if "id" in e]


def files_for(application: Application) -> dict[int, list[EvidenceFile]]:
    """Return the files of the snapshot's evidence, by evidence id."""
    ids = snapshot_evidence_ids(application)
    if not ids:
        return {}
    allowed = set(ids)
    found: dict[int, list[EvidenceFile]] = {}
    app = current_app._get_current_object()
    for _, files in evidence_files.send(app, evidence_ids=ids):
        for f in files or ():
            if f.evidence_id in allowed and KEY.fullmatch(f.key):
                found.setdefault(f.evidence_id, []).append(f)
    return found


def find(application: Application, key: str) -> EvidenceFile | None:
    """Return one file of the application's snapshot by its key, or None."""
    if not KEY.fullmatch(key):
        return None
    for files in files_for(application).values():
        for f in files:
            if f.key == key:
                return f
    return None


def serving(f: EvidenceFile, data: bytes, download: bool) -> tuple[str, str]:
    """Return (content type, Content-Disposition) to serve a file safely.

    A file is shown in the browser only when its declared type is a PDF or an image and its
    bytes start as that type does; anything else is an opaque download.
    """
    return uploads.serving(f.content_type, data, f"evidence-{f.key}", download)
