"""Clinicians report trainings taken elsewhere, with the certificate; pending until decided."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import BinaryIO

from courses.completions import check_completion_values, live_completion
from courses.errors import CourseError
from courses.models import CertificateFile, Completion, Training
from lms import audit
from lms.db import transactional
from lms.permissions import Actor

MAX_FILE_BYTES = 10 * 1024 * 1024
# Content decides the type, never the file name or the browser's Content-Type.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_EXECUTABLES = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")


def sniff(head: bytes) -> str:
    """Return the content type of a certificate from its first bytes, or raise CourseError."""
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head.startswith(_EXECUTABLES):
        raise CourseError("This file is a program, not a certificate.", "certificate")
    raise CourseError("The certificate must be a PDF, PNG or JPEG file.", "certificate")


def read_certificate(stream: BinaryIO, filename: str) -> tuple[bytes, str]:
    """Read an upload (at most 10 MB) and return (bytes, content type checked by content)."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if not data:
        raise CourseError("The certificate file is empty.", "certificate")
    if len(data) > MAX_FILE_BYTES:
        raise CourseError("The certificate is larger than 10 MB.", "certificate")
    return data, sniff(data[:16])


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
    if sniff(certificate[:16]) != content_type or len(certificate) > MAX_FILE_BYTES:
        raise CourseError(
            "The certificate must be a PDF, PNG or JPEG of at most 10 MB.", "certificate"
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
