"""Write CSV that spreadsheets open safely: RFC 4180 quoting, no formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """Return a cell as text; one a spreadsheet would run as a formula gets a leading quote."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_rows(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield CSV text line by line (for streaming responses), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(v) for v in row])
        yield buffer.getvalue()
