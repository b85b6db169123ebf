"""The one tabular reader (lms.tabular) and the one CSV writer (lms.csvutil)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from lms.tabular import RowError, TabularError, detect_delimiter, header_key, read_table

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = (
    "lms",
    "competencies",
    "courses",
    "supervision",
    "endorsement",
    "certificates",
    "lti",
)


def test_every_csv_is_read_by_lms_tabular_and_written_by_lms_csvutil() -> None:
    readers, writers = [], []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            name = str(path.relative_to(ROOT))
            reads = re.search(r"\bcsv\.(reader|DictReader|Sniffer)\b", text)
            if reads and name != "lms/tabular.py":
                readers.append(name)
            if re.search(r"\bcsv\.(writer|DictWriter)\b", text) and name != "lms/csvutil.py":
                writers.append(name)
    assert readers == [] and writers == []


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("email,name\r\n", ","),
        ("email;name\r\n", ";"),
        ("email\tname\n", "\t"),
        ("email\r\n", ","),
        ('"a;b",c\r\n', ","),  # quoted delimiters do not count
        ("a;b,c;d\n", ";"),
        ("a,b;c\n", ","),  # a tie goes to the comma
    ],
)
def test_the_delimiter_is_detected_from_the_header(line: str, delimiter: str) -> None:
    assert detect_delimiter(line) == delimiter


def test_header_names_are_normalised_one_way() -> None:
    assert header_key("\ufeff Training - Code ") == "training_code"
    assert header_key("HOME_PAGE") == header_key("Home page") == "home_page"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_rows_come_with_their_lines_whatever_the_delimiter(bom: bytes, sep: str) -> None:
    text = f'\r\n A {sep}B\r\n1{sep}"two\r\nlines"\r\n{sep}\r\n3{sep}4\r\n'
    table = read_table(bom + text.encode())
    assert (table.line, table.names, table.keys) == (2, ("A", "B"), ("a", "b"))
    assert table.delimiter == sep
    assert list(table.rows()) == [(3, ["1", "two\r\nlines"]), (6, ["3", "4"])]


@pytest.mark.parametrize(
    ("data", "options", "code", "where"),
    [
        (b"", {}, "empty", "file"),
        (b"\r\n \r\n", {}, "empty", "file"),
        ("a,b\r\n".encode("utf-16"), {}, "utf16", "file"),
        (b"PK\x03\x04rest", {}, "workbook", "file"),
        (b"a,b\r\n1,2\r\n3,\x00\r\n", {}, "nul", "line 3"),
        (b"a,b\r\n1,caf\xe9\r\n", {}, "not_utf8", "line 2"),
        (b'a,b\r\n1,"2\r\n', {}, "malformed", "line 2"),
        (b"a,b\r\n1,2\r\n", {"max_bytes": 5}, "too_large", "file"),
        (b"a,b\r\n1,2\r\n3,4\r\n", {"max_rows": 1}, "too_many_rows", "line 3"),
        (b"a,b\r\n1,22\r\n", {"max_cell": 1}, "cell_too_long", "line 2, b"),
    ],
)
def test_file_problems_name_their_place(data: bytes, options: dict, code: str, where: str) -> None:
    with pytest.raises(TabularError) as caught:
        table = read_table(io.BytesIO(data), **options)
        list(table.rows())
    assert (caught.value.code, caught.value.where) == (code, where)


def test_a_bad_byte_names_its_line_and_byte() -> None:
    with pytest.raises(TabularError) as caught:
        list(read_table(b"a,b\r\n1,2\r\nxy,caf\xe9\r\n").rows())
    assert caught.value.line == 3 and caught.value.info == {"byte": 7, "value": 0xE9}


def test_an_unseekable_stream_is_limited_while_read() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = io.BytesIO(b"a,b\r\n" + b"1,2\r\n" * 1000)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer):  # type: ignore[no-untyped-def]
            return self.data.readinto(buffer)

    with pytest.raises(TabularError) as caught:
        list(read_table(Pipe(), max_bytes=100).rows())  # type: ignore[arg-type]
    assert caught.value.code == "too_large"


def test_a_row_error_names_line_and_column() -> None:
    error = RowError(7, "email", "missing")
    assert (str(error), error.where) == ("line 7, email: missing", "line 7, email")
    assert str(RowError(7, "", "has 3 fields")) == "line 7: has 3 fields"
    assert error == ("email", "missing") and error == (7, "email", "missing")
    assert error != ("email", "other") and error != (8, "email", "missing")


def test_a_long_cell_made_of_short_lines_is_caught() -> None:
    data = b'a,b\r\n1,"ab\r\ncd\r\nef"\r\n'
    with pytest.raises(TabularError) as caught:
        list(read_table(data, max_cell=8).rows())
    assert (caught.value.code, caught.value.where) == ("cell_too_long", "line 2, b")
    assert list(read_table(data, max_cell=10).rows()) == [(2, ["1", "ab\r\ncd\r\nef"])]
