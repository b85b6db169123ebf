"""Tell competencies which certificate files stand behind ledger rows (for its reviewers)."""

from __future__ import annotations

from functools import partial

from flask import Flask

from courses.models import CertificateFile, Completion
from lms.signals import EvidenceFile


def certificate_files(app: Flask, *, evidence_ids: list[int], **_: object) -> list[EvidenceFile]:
    """Return the certificates of the completions whose ledger rows are among `evidence_ids`."""
    if not evidence_ids:
        return []
    rows = (
        CertificateFile.select(
            CertificateFile.id,
            CertificateFile.filename,
            CertificateFile.content_type,
            CertificateFile.size,
            CertificateFile.sha256,
            Completion.evidence,
        )
        .join(Completion)
        .where(Completion.evidence.in_(sorted(set(evidence_ids))))
        .order_by(CertificateFile.id)
    )
    return [
        EvidenceFile(
            evidence_id=row.completion.evidence_id,
            key=f"courses-certificate-{row.id}",
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            load=partial(_load, row.id),
        )
        for row in rows
    ]


def _load(file_id: int) -> bytes:
    row = CertificateFile.select(CertificateFile.data).where(CertificateFile.id == file_id).get()
    return bytes(row.data)
