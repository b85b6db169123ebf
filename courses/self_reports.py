"""Clinicians report trainings taken elsewhere, with the certificate; pending until decided."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import BinaryIO

from courses.completions import check_completion_values, live_completion
from courses.errors import CourseError
from courses.models import CertificateFile, Completion, Training
from lms import audit, uploads
from lms.db import transactional
from lms.permissions import Actor

MAX_FILE_BYTES = uploads.MAX_BYTES


def sniff(head: bytes) -> str:
    """Return the content type of a certificate from its first bytes, or raise CourseError."""
    return uploads.sniff(head, field="certificate", noun="certificate", error=CourseError)


def read_certificate(stream: BinaryIO, filename: str) -> tuple[bytes, str]:
    """Read an upload (at most 10 MB) and return (bytes, content type checked by content)."""
    upload = uploads.read_upload(
        stream, filename, field="certificate", noun="certificate", error=CourseError
    )
    return upload.data, upload.content_type


@transactional
def report_training(
    actor: Actor,
    *,
    training: Training | None,
    title: str,
    provider: str,
    completed_on: dt.date,
    hours: float,
    areas: Iterable[str],
    certificate: bytes,
    filename: str,
    content_type: str,
    today: dt.date | None = None,
) -> Completion:
    """Record the actor's own training as pending, with its certificate file."""
    association_ids = actor.association_ids("courses:self_report") or []
    if training is not None:
        if training.association_id not in association_ids:
            raise CourseError("Choose a training of your association's catalogue.", "training")
        association_id = training.association_id
        if live_completion(actor.user.id, training.id, completed_on) is not None:
            raise CourseError("This training is already recorded for that date.", "training")
    else:
        if not association_ids:
            raise CourseError("You are not a clinician of any association.", "training")
        association_id = association_ids[0]
        if not title.strip():
            raise CourseError(
                "Give the training's title, or choose it from the catalogue.", "title"
            )
    hours, chosen = check_completion_values(training, completed_on, hours, areas, today)
    uploads.check_stored(
        certificate, content_type, field="certificate", noun="certificate", error=CourseError
    )
    completion = Completion.create(
        clinician=actor.user,
        association=association_id,
        training=training,
        title=(training.title if training else title.strip())[:200],
        provider=(training.provider if training else provider.strip())[:200],
        completed_on=completed_on,
        hours=hours,
        areas=",".join(chosen),
        source="self-report",
        status="pending",
        created_by=actor.user,
    )
    digest = hashlib.sha256(certificate).hexdigest()
    CertificateFile.create(
        completion=completion,
        filename=(filename or "certificate")[-200:],
        content_type=content_type,
        size=len(certificate),
        sha256=digest,
        data=certificate,
    )
    audit.record(
        "completion.self_report",
        completion,
        actor=actor.user,
        association_id=association_id,
        after={
            "training": completion.training_id,
            "title": completion.title,
            "completed_on": completed_on,
            "hours": hours,
            "areas": completion.areas,
            "certificate_sha256": digest,
        },
    )
    return completion


def with_certificate(completion_ids: Iterable[int]) -> set[int]:
    """Return the ids, among `completion_ids`, of completions that carry a certificate file."""
    ids = sorted(set(completion_ids))
    if not ids:
        return set()
    query = CertificateFile.select(CertificateFile.completion).where(
        CertificateFile.completion.in_(ids)
    )
    return {row.completion_id for row in query}
