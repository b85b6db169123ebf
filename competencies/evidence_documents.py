"""Documents behind a clinician's education, work and membership rows: adding, reading, listing.

A clinician attaches a document (PDF, PNG or JPEG of at most 10 MB, typed by its content
through `lms.uploads`) when adding an item, or later to an item of their own. The bytes are
kept in the database. A document is read only by the clinician whose row it is and by staff
holding `competencies:view_evidence_files` in the row's association; anyone else is told there
is nothing there (404). Reviewers of an application also open them on the application page:
`document_files` answers the `evidence_files` signal (lms/signals.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from flask import Flask

from competencies import ledger
from competencies.models import Evidence, EvidenceDocument
from lms import audit, uploads
from lms.db import transactional
from lms.errors import NotFound
from lms.models import Association, User
from lms.permissions import Actor
from lms.signals import EvidenceFile

# The kinds of evidence a clinician may back with a document (trainings carry their own
# certificate in courses; references, agreements and RSC sessions are attested otherwise).
DOCUMENT_KINDS = ("education", "work", "membership")
FIELD = "document"
NOUN = "document"
CAPABILITY = "competencies:view_evidence_files"
KEY_PREFIX = "competencies-document-"


def read(stream: Any, filename: str | None) -> uploads.Upload:
    """Read a document from a form's file field (refusals name the field `document`)."""
    return uploads.read_upload(stream, filename, field=FIELD, noun=NOUN, error=ledger.EvidenceError)


def _attach(evidence: Evidence, upload: uploads.Upload, user: User) -> EvidenceDocument:
    uploads.check_stored(
        upload.data, upload.content_type, field=FIELD, noun=NOUN, error=ledger.EvidenceError
    )
    document = EvidenceDocument.create(
        evidence=evidence,
        filename=uploads.display_name(upload.filename, NOUN),
        content_type=upload.content_type,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        data=upload.data,
        uploaded_by=user,
    )
    audit.record(
        "evidence.document",
        document,
        actor=user,
        association_id=evidence.association_id,
        after={
            "evidence": evidence.id,
            "filename": document.filename,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
        },
    )
    return document


@transactional
def record_own(
    clinician: User,
    association: Association,
    *,
    kind: str,
    occurred_on: dt.date,
    details: Mapping[str, Any],
    label: str,
    document: uploads.Upload | None = None,
) -> Evidence:
    """Record the clinician's own item, pending, with its document if any: both or neither."""
    if document is not None and kind not in DOCUMENT_KINDS:
        raise ledger.EvidenceError(f"A {kind} item takes no document.", FIELD)
    row = ledger.record(
        clinician=clinician,
        association=association,
        kind=kind,
        occurred_on=occurred_on,
        status="pending",
        source="self",
        details=details,
        label=label,
        actor=clinician,
    )
    if document is not None:
        _attach(row, document, clinician)
    return row


def own_item(user: User, evidence_id: int) -> Evidence:
    """Return the user's own row that may take a document, else raise NotFound."""
    row = Evidence.get_or_none(
        (Evidence.id == evidence_id)
        & (Evidence.clinician == user)
        & (Evidence.kind.in_(DOCUMENT_KINDS))
    )
    if row is None:
        raise NotFound()
    if row.status in ("void", "rejected"):
        raise ledger.EvidenceError(
            "This item no longer counts; add it again, with its document.", FIELD
        )
    return row


@transactional
def attach(user: User, evidence_id: int, upload: uploads.Upload) -> EvidenceDocument:
    """Add a document to one of the user's own education, work or membership rows."""
    return _attach(own_item(user, evidence_id), upload, user)


def may_read(actor: Actor, evidence: Evidence) -> bool:
    """Tell whether the actor may open the documents of a row: theirs, or staff of its
    association holding the capability."""
    return evidence.clinician_id == actor.user.id or actor.can(CAPABILITY, evidence.association_id)


def readable(actor: Actor, evidence_id: int, document_id: int) -> EvidenceDocument:
    """Return a document the actor may open, else raise NotFound (never says which)."""
    document = (
        EvidenceDocument.select(EvidenceDocument, Evidence)
        .join(Evidence)
        .where((EvidenceDocument.id == document_id) & (EvidenceDocument.evidence == evidence_id))
        .first()
    )
    if document is None or not may_read(actor, document.evidence):
        raise NotFound()
    return document


def by_evidence(evidence_ids: Iterable[int]) -> dict[int, list[EvidenceDocument]]:
    """Return the documents (without their bytes) of the rows, by row id, oldest first."""
    ids = sorted(set(evidence_ids))
    found: dict[int, list[EvidenceDocument]] = {}
    if not ids:
        return found
    query = (
        EvidenceDocument.select(
            EvidenceDocument.id,
            EvidenceDocument.evidence,
            EvidenceDocument.filename,
            EvidenceDocument.content_type,
            EvidenceDocument.size,
            EvidenceDocument.sha256,
            EvidenceDocument.created_at,
        )
        .where(EvidenceDocument.evidence.in_(ids))
        .order_by(EvidenceDocument.id)
    )
    for document in query:
        found.setdefault(document.evidence_id, []).append(document)
    return found


def load(document_id: int) -> bytes:
    """Return the stored bytes of a document."""
    row = (
        EvidenceDocument.select(EvidenceDocument.data)
        .where(EvidenceDocument.id == document_id)
        .get()
    )
    return bytes(row.data)


def document_files(app: Flask, *, evidence_ids: list[int], **_: object) -> list[EvidenceFile]:
    """Answer `evidence_files`: the documents of the rows among `evidence_ids`."""
    return [
        EvidenceFile(
            evidence_id=document.evidence_id,
            key=f"{KEY_PREFIX}{document.id}",
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            load=partial(load, document.id),
        )
        for documents in by_evidence(evidence_ids).values()
        for document in documents
    ]
