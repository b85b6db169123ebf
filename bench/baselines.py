"""Fair baselines: the same work done the plain way, so a ratio says what our code adds.

- `fair_pdf`: the progress certificate's text in the same TrueType fonts, twelve bars and the
  QR code as one path, on one compressed page, with nothing but reportlab's canvas: no layout,
  no wrapping, no measuring, its font programs compressed afresh in every document. One thing
  it shares with the renderer, in its favour: reportlab maps every name registered for a face
  to the font object registered first for it, so once the renderer has drawn (the benchmark
  warms it up first) the baseline's subsets are cut through the renderer's kept cut
  (`certificates.render_fonts._keep_subsets`), about 2 % of the baseline's time. Nothing else
  of the renderer's reaches it: kept widths and compressed streams are used only in the
  renderer's own documents.
- `driver_rows` / `driver_insert`: the rows a CSV import writes, ready-made, inserted into the
  same two tables (completions and ledger) by the database driver alone, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import segno
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from competencies.ledger import BULK_COLUMNS
from courses.importer import COMPLETION_COLUMNS

_registered: dict[str, str] = {}


def _font(path) -> str:
    """Register a TrueType file under a name of its own (not the renderer's), once."""
    key = str(path)
    if key not in _registered:
        name = f"BenchBaseline{len(_registered)}"
        pdfmetrics.registerFont(TTFont(name, key))
        _registered[key] = name
    return _registered[key]


def _lines(data) -> list[tuple[str, bool]]:
    """Every string the progress certificate prints, with whether it is bold."""
    lines = [
        (data.association_name, True),
        ("Progress toward the Infant Mental Health Endorsement", True),
        (data.holder_name, True),
        (f"Category: {data.category_code} · {data.category_name}", False),
        (f"As of {data.as_of:%d %B %Y}", False),
        (f"Overall progress: {int(data.overall_progress * 100)}%", True),
        ("Requirements", True),
    ]
    for req in data.requirements:
        figures = f"{req.value:g} of {req.target:g} {req.unit}"
        lines.append((f"{req.label}  {figures}  {req.status}", False))
        if req.text:
            lines.append((req.text, False))
    lines.append(("Competency areas", True))
    for domain in data.area_grid:
        covered = sum(1 for a in domain.areas if a.covered)
        lines.append((f"{domain.domain}: {covered} of {len(domain.areas)} covered", True))
        for area in domain.areas:
            mark = "covered" if area.covered else "not covered"
            lines.append((f"{'√' if area.covered else '×'} {area.name} ({mark})", False))
    lines += [("Forecast", True), (data.forecast_text, False), ("Still missing", True)]
    lines += [(f"• {item}", False) for item in data.missing]
    lines += [
        ("Verification code", True),
        (data.verification_code, True),
        ("Check this document at", False),
        (data.verify_url, False),
        (data.issuer_line, False),
        (f"Issued on {data.issued_on:%d %B %Y}", False),
        (f"Endorsement progress · {data.holder_name} · {data.verification_code}  Page 1", False),
    ]
    return lines


def fair_pdf(data, fonts) -> bytes:
    """Draw the progress certificate's content the plain way (see the module's docstring)."""
    regular, bold = _font(fonts.regular), _font(fonts.bold)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1, pageCompression=1)
    lines = _lines(data)
    y, step = 740.0, min(13.0, 640.0 / max(len(lines), 1))
    for text, strong in lines:
        canvas.setFont(bold if strong else regular, 9)
        canvas.drawString(54, y, text)
        y -= step
    for i in range(12):  # the overall bar and one per requirement, as track and fill
        canvas.setFillGray(0.9)
        canvas.rect(340, 700 - i * 14, 150, 8, stroke=1, fill=1)
        canvas.setFillColorRGB(0.13, 0.40, 0.42)
        canvas.rect(340, 700 - i * 14, 150 * (i + 1) / 12, 8, stroke=0, fill=1)
    qr = segno.make(data.verify_url, error="m", micro=False, mask=0)
    module, left, top = 2.4, 450.0, 160.0
    path = canvas.beginPath()
    for r, row in enumerate(qr.matrix):  # one rectangle per dark run of a row
        c, width = 0, len(row)
        while c < width:
            if row[c]:
                start = c
                while c < width and row[c]:
                    c += 1
                path.rect(
                    left + start * module, top - (r + 1) * module, (c - start) * module, module
                )
            c += 1
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- import -----------------------------------------------------------------------------------

EVIDENCE_COLUMNS = BULK_COLUMNS


def driver_rows(
    association_id: int,
    actor_id: int,
    clinician_ids: list[int],
    training_ids: list[int],
    rows: int,
    base: dt.date,
    ref: str,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Return the completion and ledger rows of an import of `rows` lines, as the driver takes
    them (same clinicians, trainings, dates and hours as `figures._completions_csv`)."""
    per_day = len(clinician_ids) * 10
    created = "2025-01-01 00:00:00"
    completions, evidence = [], []
    for i in range(rows):
        clinician = clinician_ids[i % len(clinician_ids)]
        training = training_ids[(i // len(clinician_ids)) % len(training_ids)]
        day = (base + dt.timedelta(days=i // per_day)).isoformat()
        completions.append(
            (clinician, association_id, training, day, 3.0, "TF-DEV", "csv", "verified", 1,
             None, ref, actor_id, actor_id, created, "", "", "")
        )  # fmt: skip
        evidence.append(
            (clinician, association_id, "training", day, 3.0, "verified", "TF-DEV", "", None,
             '{"provider": ""}', "Bench training", "courses", f"{ref}:{i}", "", created,
             actor_id)
        )  # fmt: skip
    return completions, evidence


def driver_insert(
    completions: list[tuple[Any, ...]], evidence: list[tuple[Any, ...]]
) -> tuple[float, str]:
    """Insert both tables' rows with the driver alone in one transaction; return the seconds
    and how. SQLite: `executemany`. PostgreSQL: psycopg2's `execute_values` (its `executemany`
    makes one round trip a row, which would flatter the import)."""
    from lms.db import db, is_sqlite

    tables = (
        ("courses_completion", COMPLETION_COLUMNS, completions),
        ("competencies_evidence", EVIDENCE_COLUMNS, evidence),
    )
    started = time.perf_counter()
    with db.atomic():
        cursor = db.cursor()
        for table, columns, rows in tables:
            head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            if is_sqlite():
                cursor.executemany(head + f"({', '.join('?' * len(columns))})", rows)
            else:
                from psycopg2.extras import execute_values

                execute_values(cursor, head + "%s", rows, page_size=1000)
    how = "sqlite3 executemany" if is_sqlite() else "psycopg2 execute_values"
    return time.perf_counter() - started, how
