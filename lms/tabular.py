"""Read an uploaded CSV file: the one tabular reader every import goes through.

Pure: no Flask, no database. `read_table` takes the binary stream and returns a `Table` whose
header is read now and whose rows stream lazily, so memory stays flat in the file's size.

- Encoding: UTF-8, with or without a byte-order mark. A UTF-16 file, an Excel workbook, a NUL
  byte and a byte that is not UTF-8 (Latin-1, Windows-1252) are refused with a `TabularError`
  naming the line (and, for bad bytes, the byte within the line).
- Delimiter: `,`, `;` or tab, whichever occurs most often (outside quotes) in the header line;
  a one-column header is comma-separated. RFC 4180 quoting, strictly: an unclosed quote is an
  error naming its line.
- Guards: `max_bytes` (the declared size of a seekable stream is checked before reading, the
  bytes read are counted after), `max_rows` data rows and `max_cell` characters in one cell.
- Header: names are compared by `header_key` (case, surrounding spaces, a byte-order mark and
  runs of spaces, hyphens or underscores ignored: "Training Code" is ``training_code``).
- Lines: each row comes with the physical line its record starts on (the header's is usually
  1); rows whose cells are all blank are skipped.

File-level problems raise `TabularError` with a `code` (so an import can word it in its own
terms), the line and column where known, and a plain message. A problem in one cell of one
row is a `RowError(line, column, message)`: the imports build these, the reader only lines
them up.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

__all__ = ["DELIMITERS", "RowError", "Table", "TabularError", "header_key", "read_table"]

DELIMITERS = (",", ";", "\t")
DEFAULT_MAX_CELL = 32_768

_HEADER_RUNS = re.compile(r"[\s\-_]+")


class TabularError(ValueError):
    """The file as a whole cannot be read; ``code`` says why, ``where`` where.

    Codes: ``too_large`` (info ``limit``), ``utf16``, ``workbook``, ``nul``, ``malformed``
    (info ``detail``: what the csv module said), ``not_utf8``
    (info ``byte``: 1-based position in the line, ``value``: the byte),
    ``empty``, ``too_many_rows`` (info ``limit``), ``cell_too_long`` (info ``limit``).
    """

    def __init__(
        self, code: str, message: str, *, line: int | None = None, column: str = "", **info: Any
    ) -> None:
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.info = info
        super().__init__(str(self))

    @property
    def where(self) -> str:
        """Return ``file``, ``line 7`` or ``line 7, email``."""
        if self.line is None:
            return "file"
        return f"line {self.line}, {self.column}" if self.column else f"line {self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class RowError(NamedTuple):
    """One problem in one row: the line its record starts on, the column, the message.

    An import that keeps the line beside its rows compares it with a plain
    ``(column, message)`` pair; any other tuple compares as a tuple.
    """

    line: int
    column: str
    message: str

    @property
    def where(self) -> str:
        """Return ``line 7, email`` (``line 7`` when the problem is the row as a whole)."""
        return f"line {self.line}, {self.column}" if self.column else f"line {self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple) and len(other) == 2 and not isinstance(other, RowError):
            return (self.column, self.message) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def header_key(name: str) -> str:
    """Return the form header names are compared in: ``" Training-Code "`` → ``training_code``."""
    return _HEADER_RUNS.sub("_", name.replace("\ufeff", "").strip().lower()).strip("_")


class Table:
    """A CSV file whose header is read: the names, their keys, and the rows still to come."""

    def __init__(
        self,
        reader: Any,
        line: int,
        names: list[str],
        delimiter: str,
        max_rows: int | None,
        max_cell: int | None,
        source: _GuardedSource | None = None,
    ) -> None:
        self._reader = reader
        self._source = source
        self.line = line
        self.names = tuple(n.replace("\ufeff", "").strip() for n in names)
        self.keys = tuple(header_key(n) for n in names)
        self.delimiter = delimiter
        self._max_rows = max_rows
        self._max_cell = max_cell

    @property
    def width(self) -> int:
        """Return the number of fields of the header."""
        return len(self.names)

    def index(self) -> dict[str, int]:
        """Return the position of each key (its first occurrence; blank names left out)."""
        out: dict[str, int] = {}
        for i, key in enumerate(self.keys):
            if key:
                out.setdefault(key, i)
        return out

    def repeated(self) -> list[tuple[int, int]]:
        """Return (position, position of its first occurrence) of every repeated key."""
        first: dict[str, int] = {}
        out = []
        for i, key in enumerate(self.keys):
            if not key:
                continue
            if key in first:
                out.append((i, first[key]))
            else:
                first[key] = i
        return out

    def column_name(self, index: int) -> str:
        """Return the header's name of a column, or ``column N`` when it has none."""
        if index < len(self.names) and self.names[index]:
            return self.names[index]
        return f"column {index + 1}"

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (start line, cells) of each data row that is not blank, applying the guards."""
        reader, max_rows, max_cell = self._reader, self._max_rows, self._max_cell
        count = 0
        last = reader.line_num
        try:
            for row in reader:
                line, last = last + 1, reader.line_num
                if not (row and row[0].strip()) and not any(map(str.strip, row)):
                    continue
                count += 1
                if max_rows is not None and count > max_rows:
                    raise TabularError(
                        "too_many_rows",
                        f"more than {max_rows:,} rows; split the file",
                        line=line,
                        limit=max_rows,
                    )
                # A cell can be too long only in a record of several lines or on a long line
                # (the byte source watches line lengths), so most rows skip the measure.
                long = last != line or self._long_lines()
                if max_cell is not None and long and max(map(len, row)) > max_cell:
                    raise self._too_long(line, row, max_cell)
                yield line, row
        except csv.Error as err:
            raise _malformed(err, last + 1) from None

    def _long_lines(self) -> bool:
        return self._source is None or self._source.long_line_seen

    def _too_long(self, line: int, row: list[str], max_cell: int) -> TabularError:
        index = next(i for i, cell in enumerate(row) if len(cell) > max_cell)
        return TabularError(
            "cell_too_long",
            f"is longer than {max_cell:,} characters",
            line=line,
            column=self.column_name(index),
            limit=max_cell,
        )


def read_table(
    source: BinaryIO | bytes,
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    max_cell: int | None = DEFAULT_MAX_CELL,
) -> Table:
    """Read the header of a CSV file now and return the `Table`; raise `TabularError`.

    The first non-blank line is the header; its delimiter (`,`, `;` or tab) is the file's.
    """
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    _check_declared_size(stream, max_bytes)
    guard = _GuardedSource(stream, max_bytes, max_cell)
    text = io.TextIOWrapper(io.BufferedReader(guard), encoding="utf-8-sig", newline="")
    head: list[str] = []
    for physical in text:
        head.append(physical)
        if physical.strip():
            break
    delimiter = detect_delimiter(head[-1]) if head else ","
    reader = csv.reader(itertools.chain(head, text), delimiter=delimiter, strict=True)
    first = next(_records(reader), None)
    while first is not None and not any(cell.strip() for cell in first[1]):
        first = next(_records(reader), None)
    if first is None:
        raise TabularError("empty", "the file is empty")
    line, names = first
    if max_cell is not None and max(map(len, names)) > max_cell:
        raise TabularError(
            "cell_too_long",
            f"is longer than {max_cell:,} characters",
            line=line,
            column="header",
            limit=max_cell,
        )
    return Table(reader, line, names, delimiter, max_rows, max_cell, guard)


def detect_delimiter(line: str) -> str:
    """Return the delimiter of a header line: the most frequent of `,` `;` tab outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=counts.__getitem__)  # ties: the first of DELIMITERS
    return best if counts[best] else ","


def _malformed(err: csv.Error, line: int) -> TabularError:
    return TabularError("malformed", f"cannot be read as CSV: {err}", line=line, detail=str(err))


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Yield (start line, fields) of every record, blank ones included."""
    last = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise _malformed(err, last + 1) from None
        start = last + 1
        last = reader.line_num
        yield start, row


# --- the byte source: size limit, encoding checks, line counting -------------------------------


def _too_large(limit: int) -> TabularError:
    message = f"the file is larger than the {limit:,}-byte limit"
    return TabularError("too_large", message, limit=limit)


def _check_declared_size(stream: BinaryIO, max_bytes: int | None) -> None:
    if max_bytes is None:
        return
    try:
        if not stream.seekable():
            return
        here = stream.tell()
        size = stream.seek(0, io.SEEK_END) - here
        stream.seek(here)
    except (OSError, AttributeError, ValueError):
        return  # not every upload stream can seek; the streaming guard still applies
    if size > max_bytes:
        raise _too_large(max_bytes)


class _GuardedSource(io.RawIOBase):
    """Feed the text layer while enforcing the size limit and catching non-UTF-8 bytes.

    Validating here (not in TextIOWrapper) lets an encoding error name its exact line.
    """

    def __init__(self, source: BinaryIO, max_bytes: int | None, long_line: int | None) -> None:
        self._source = source
        self._max = max_bytes
        self._total = 0
        self._newlines = 0
        self._line_start = 0  # offset in the file of the current line's first byte
        self._first = True
        self._long = long_line  # a line longer than this (bytes) is remembered
        self._run = 0  # bytes of the current line so far
        self.long_line_seen = long_line is None
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        if not isinstance(data, bytes | bytearray):
            raise TypeError("the CSV reader needs a binary stream (open the file with 'rb')")
        if self._first:
            data = self._check_head(data, len(buffer))
        if not data:
            self._decode(b"", final=True)
            return 0
        if self._max is not None and self._total + len(data) > self._max:
            raise _too_large(self._max)
        if b"\x00" in data:
            line = self._newlines + data[: data.index(b"\x00")].count(b"\n") + 1
            raise TabularError("nul", "contains a NUL byte; save the file as CSV UTF-8", line=line)
        self._decode(data, final=False)
        count = data.count(b"\n")
        if count:
            self._line_start = self._total + data.rindex(b"\n") + 1
        self._newlines += count
        self._total += len(data)
        if not self.long_line_seen:
            self._watch_lines(data)
        buffer[: len(data)] = data
        return len(data)

    def _watch_lines(self, data: bytes) -> None:
        assert self._long is not None
        parts = data.split(b"\n")
        first = self._run + len(parts[0])
        if first > self._long or (len(parts) > 1 and max(map(len, parts[1:])) > self._long):
            self.long_line_seen = True
        self._run = len(parts[-1]) if len(parts) > 1 else first

    def _check_head(self, data: bytes, size: int) -> bytes:
        self._first = False
        # A short first read (pipes, sockets) could hide the BOM; top it up to 4 bytes.
        while 0 < len(data) < min(4, size):
            more = self._source.read(min(4, size) - len(data))
            if not more:
                break
            data += more
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (b"\x00" in data[:4]):
            raise TabularError("utf16", "the file is UTF-16; save it as UTF-8")
        if data.startswith(b"PK\x03\x04"):
            raise TabularError(
                "workbook", "this is an Excel workbook, not CSV; save it as CSV UTF-8"
            )
        return data

    def _decode(self, data: bytes, *, final: bool) -> None:
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError as err:
            # The decoder may hold up to 3 bytes of an unfinished character from the last
            # read; ``err.object`` is those bytes followed by ``data``.
            held = len(err.object) - len(data)
            at = max(0, err.start - held)
            before = data[:at]
            line = self._newlines + before.count(b"\n") + 1
            if b"\n" in before:
                line_start = self._total + before.rindex(b"\n") + 1
            else:
                line_start = self._line_start
            offset = self._total - held + err.start  # in the file, of the bad byte
            raise TabularError(
                "not_utf8",
                "is not valid UTF-8; save the file as CSV UTF-8",
                line=line,
                byte=offset - line_start + 1,
                value=err.object[err.start],
            ) from None
