"""Write CSV that spreadsheets open safely: RFC 4180 quoting, no formula injection.

Every CSV the app writes goes through `SafeWriter` (or `csv_rows`/`csv_text`, built on it).
A spreadsheet runs a cell as a formula when it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return. The file may also be opened with another separator than the comma (`;` in
much of Europe, or tab), which splits a cell like `a;=HYPERLINK(...)` into two; so the same
holds at every position right after a `,`, `;`, tab, CR or LF inside a cell.

At each such position a single quote `'` is inserted (OWASP's advice; spreadsheets show the
text and run nothing). To keep this exactly reversible, a position that already starts with
quotes followed by a formula character gets one more quote; `unneutralise` removes one quote
at each such position, so `unneutralise(neutralise(x)) == x` for every text, and importers of
the app's own files (the Moodle framework CSV) undo it.

Numbers the app computed (int, float, Decimal; not bool) are written as they are, so a
negative number stays a number: it is the app's own value, not text someone typed. A number
that arrives as text (e.g. "-3") is text like any other and gets its quote.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_POSITION = r"(^|[,;\t\r\n])"
_DANGER = re.compile(_POSITION + r"'*[=+\-@\t\r]")
_NEUTRALISE = re.compile(_POSITION + r"(?='*[=+\-@\t\r])")
_UNDO = re.compile(_POSITION + r"'(?='*[=+\-@\t\r])")


def neutralise(value: Any) -> str:
    """Return a cell as text, with a quote wherever a spreadsheet would start a formula."""
    text = "" if value is None else str(value)
    if not _DANGER.search(text):
        return text
    return _NEUTRALISE.sub(r"\1'", text)


def unneutralise(text: str) -> str:
    """Undo `neutralise` exactly (for importing a file the app wrote)."""
    if "'" not in text:
        return text
    return _UNDO.sub(r"\1", text)


def _cell(value: Any) -> Any:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return neutralise(value)


class SafeWriter:
    """csv.writer with every cell neutralised (numbers computed by the app pass as numbers)."""

    def __init__(self, out: TextIO, **options: Any) -> None:
        options.setdefault("quoting", csv.QUOTE_MINIMAL)
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_rows(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield CSV text line by line (for streaming responses), every cell neutralised."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """Return a whole CSV document as text, every cell neutralised."""
    return "".join(csv_rows(header, rows))
