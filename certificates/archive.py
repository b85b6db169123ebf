"""Stream many stored certificates as one ZIP without holding them in memory."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator

from certificates.codes import display
from certificates.models import IssuedCertificate
from lms.models import User

BATCH = 50  # PDFs fetched per query: memory stays at one batch whatever the total


class _Chunks:
    """A write-only, unseekable file whose writes are collected until taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def selection(association_ids: list[int] | None, kind: str, start: dt.date, end: dt.date):
    """Return the ids of the certificates of a kind issued in [start, end], oldest first."""
    query = IssuedCertificate.select(IssuedCertificate.id).where(
        (IssuedCertificate.kind == kind)
        & (IssuedCertificate.issued_on >= start)
        & (IssuedCertificate.issued_on <= end)
    )
    if association_ids is not None:
        query = query.where(IssuedCertificate.association.in_(association_ids or [0]))
    return [row.id for row in query.order_by(IssuedCertificate.id)]


def _name(cert: IssuedCertificate, holder: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", holder).strip("-")[:60] or "holder"
    return f"{cert.issued_on.isoformat()}_{cert.kind}_{slug}_{display(cert.code)}.pdf"


def stream_zip(ids: Iterable[int]) -> Iterator[bytes]:
    """Yield a ZIP of the stored PDFs (as issued, byte for byte), one chunk per file."""
    ids = list(ids)
    out = _Chunks()
    with zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(0, len(ids), BATCH):
            rows = (
                IssuedCertificate.select(IssuedCertificate, User)
                .join(User, on=IssuedCertificate.holder)
                .where(IssuedCertificate.id.in_(ids[i : i + BATCH]))
                .order_by(IssuedCertificate.id)
            )
            for cert in rows:
                info = zipfile.ZipInfo(_name(cert, cert.holder.display_name))
                info.date_time = cert.created_at.timetuple()[:6]
                zf.writestr(info, bytes(cert.pdf))
                yield out.take()
    yield out.take()
