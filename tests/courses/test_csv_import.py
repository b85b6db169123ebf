"""Tests for the streaming completions CSV parser."""

from __future__ import annotations

import io
import itertools
from datetime import date
from pathlib import Path

import pytest

from courses.csv_import import (
    ClinicianRef,
    CsvFileError,
    RowOutcome,
    TrainingRef,
    parse_completions,
)

DATA = Path(__file__).parent / "data"
TODAY = date(2025, 1, 15)
HEADER = "email,training_code,date,hours,areas,external_id\r\n"

CLINICIANS = {
    "ana.ortiz@example.org": ClinicianRef(1, "ana.ortiz@example.org", True),
    "bo.lee@example.org": ClinicianRef(2, "bo.lee@example.org", True),
    "dee.park@example.org": ClinicianRef(4, "dee.park@example.org", True),
    "far@elsewhere.org": ClinicianRef(9, "far@elsewhere.org", False),
}
NBO = TrainingRef(10, "NBO-101", 3.0, frozenset({"TF-ATT", "DSS-OBS"}))
RSC = TrainingRef(11, "RSC-200", 15.0, frozenset({"REF-SELF"}))
TRAININGS = {t.code: t for t in (NBO, RSC)}


def parse(data: bytes | str, **kwargs: object) -> list[RowOutcome]:
    raw = data.encode() if isinstance(data, str) else data
    options: dict = {
        "lookup_clinician": CLINICIANS.get,
        "lookup_training": TRAININGS.get,
        "today": TODAY,
    }
    options.update(kwargs)
    return list(parse_completions(io.BytesIO(raw), **options))


def one(row: str, header: str = HEADER) -> RowOutcome:
    (outcome,) = parse(header + row)
    return outcome


def file_error(data: bytes | str, **kwargs: object) -> list[tuple[str, str]]:
    with pytest.raises(CsvFileError) as caught:
        parse(data, **kwargs)
    return [(e.where, e.message) for e in caught.value.errors]


# --- our template ------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x7f", "\x0b"])
def test_an_external_id_with_a_control_character_is_refused(char: str) -> None:
    out = one(f"ana.ortiz@example.org,NBO-101,2024-04-05,2,,r-{char}[2J-7\r\n")
    assert not out.ok and out.external_id is None
    assert out.errors == [("external_id", "contains a control character")]


def test_good_row_is_parsed_and_normalised() -> None:
    out = one("Ana.Ortiz@Example.org , NBO-101 ,2024-04-05, 2.5 ,TF-ATT; DSS-OBS ,roster-1\r\n")
    assert out.ok and out.errors == []
    assert out.line == 2
    assert out.email == "ana.ortiz@example.org"
    assert out.training_code == "NBO-101"
    assert out.date == date(2024, 4, 5)
    assert out.hours == 2.5
    assert out.areas == frozenset({"TF-ATT", "DSS-OBS"})
    assert out.external_id == "roster-1"
    assert out.clinician == CLINICIANS["ana.ortiz@example.org"]
    assert out.training is NBO


def test_header_is_case_and_space_insensitive_and_order_free() -> None:
    header = "\ufeff Hours , DATE,Training Code, Email \n"
    out = one("1,2024-04-05,NBO-101,bo.lee@example.org\n", header=header)
    assert out.ok
    assert (out.email, out.hours, out.external_id) == ("bo.lee@example.org", 1.0, None)
    assert out.areas == NBO.areas  # no areas column: the training's own areas


def test_empty_areas_default_to_the_training_areas_and_stray_areas_are_refused() -> None:
    assert one("bo.lee@example.org,NBO-101,2024-04-05,3,,\n").areas == NBO.areas
    out = one("bo.lee@example.org,NBO-101,2024-04-05,3,TF-ATT;XX-9,\n")
    assert out.errors == [("areas", "XX-9 not among this training's areas")]


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "0 is not a positive number of hours"),
        ("-1", "-1 is not a positive number of hours"),
        ("NaN", "NaN is not a number"),
        ("1e309", "1e309 is not a finite number"),
        ("inf", "inf is not a finite number"),
        ("5.5", "5.5 is more than the training's 3 hours"),
        ("abc", "abc is not a number"),
        ("1,5", "1,5 is not a number; use a dot for decimals"),
        ("1_0", "1_0 is not a number"),
        ("", "missing; give the clock hours, e.g. 3 or 1.5"),
        ("=1+2", "starts with '=' — formulas are not accepted"),
        ("\t3", "starts with a tab — formulas are not accepted"),
    ],
)
def test_bad_hours(hours: str, message: str) -> None:
    out = one(f'bo.lee@example.org,NBO-101,2024-04-05,"{hours}",,\n')
    assert out.errors == [("hours", message)]
    assert out.hours is None and not out.ok


def test_signed_positive_hours_are_a_number_not_a_formula() -> None:
    assert one("bo.lee@example.org,NBO-101,2024-04-05,+2,,\n").hours == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "2024-02-30 is not a real date; use YYYY-MM-DD"),
        ("03/04/2024", "03/04/2024 is ambiguous; use YYYY-MM-DD"),
        ("25/04/2024", "25/04/2024 is not in YYYY-MM-DD form (did you mean 2024-04-25?)"),
        ("2027-01-01", "2027-01-01 is in the future"),
        ("2025-01-16", "2025-01-16 is in the future"),
        ("April 5", "April 5 is not a date in YYYY-MM-DD form"),
        ("", "missing; use YYYY-MM-DD"),
    ],
)
def test_bad_dates(text: str, message: str) -> None:
    out = one(f"bo.lee@example.org,NBO-101,{text},1,,\n")
    assert out.errors == [("date", message)]
    assert out.date is None


def test_today_is_not_in_the_future() -> None:
    assert one("bo.lee@example.org,NBO-101,2025-01-15,1,,\n").date == TODAY


def test_email_and_training_problems() -> None:
    rows = parse(
        HEADER
        + "nobody@example.org,NBO-101,2024-04-05,1,,\n"
        + "FAR@elsewhere.org,NBO-101,2024-04-05,1,,\n"
        + "bo.lee@example.org,NOPE,2024-04-05,1,,\n"
        + "not-an-address,,2024-04-05,1,,\n"
    )
    assert [r.errors for r in rows] == [
        [("email", "no clinician with this email in your association")],
        [("email", "no clinician with this email in your association")],  # as if unknown
        [("training_code", "unknown training")],
        [
            ("email", "not-an-address is not an email address"),
            ("training_code", "missing"),
        ],
    ]
    # A clinician of another association must never reach the writer.
    assert rows[1].clinician is None


def test_every_problem_in_a_row_is_reported() -> None:
    out = one("far@elsewhere.org,NOPE,2024-02-30,NaN,,@cmd\n")
    assert out.errors == [
        ("email", "no clinician with this email in your association"),
        ("training_code", "unknown training"),
        ("date", "2024-02-30 is not a real date; use YYYY-MM-DD"),
        ("hours", "NaN is not a number"),
        ("external_id", "starts with '@' — formulas are not accepted"),
    ]


@pytest.mark.parametrize(
    ("field", "column", "shown"),
    [
        ("=HYPERLINK(1)", "email", "'='"),
        ("+SUM(1)", "training_code", "'+'"),
        ("@x", "areas", "'@'"),
        ("-cmd", "external_id", "'-'"),
        ("\rx", "external_id", "a carriage return"),
    ],
)
def test_formulas_are_refused_in_any_column(field: str, column: str, shown: str) -> None:
    values = {
        "email": "bo.lee@example.org",
        "training_code": "NBO-101",
        "date": "2024-04-05",
        "hours": "1",
        "areas": "",
        "external_id": "",
    }
    values[column] = field
    row = ",".join(f'"{v}"' for v in values.values()) + "\n"
    out = one(row)
    assert out.errors == [(column, f"starts with {shown} — formulas are not accepted")]
    assert field not in (out.email, out.training_code, out.external_id)


def test_duplicate_natural_key_names_the_first_line() -> None:
    rows = parse(
        HEADER
        + "bo.lee@example.org,NBO-101,2024-04-05,1,,a\n"
        + "bo.lee@example.org,RSC-200,2024-04-05,1,,b\n"
        + "BO.LEE@example.org, NBO-101 ,2024-04-05,2,,c\n"
    )
    assert [r.errors for r in rows] == [[], [], [("row", "same as line 2")]]


def test_line_numbers_count_quoted_newlines_and_blank_lines() -> None:
    rows = parse(
        HEADER
        + 'bo.lee@example.org,NBO-101,2024-04-05,1,,"two\nline id"\n'
        + "\n"
        + ",,,,,\n"
        + "dee.park@example.org,NBO-101,2024-04-05,1,,\r\n"
        + 'far@elsewhere.org,"NBO-\r\n101",2024-04-05,1,,\n'
        + "x@example.org,NBO-101,2024-04-05,1,,\n"
    )
    assert [r.line for r in rows] == [2, 6, 7, 9]
    assert rows[0].external_id == "two\nline id"


def test_field_count_mismatch_is_a_row_error() -> None:
    rows = parse(
        HEADER
        + "bo.lee@example.org,NBO-101,2024-04-05\n"
        + "bo.lee@example.org,NBO-101,2024-04-05,1,,x,surprise\n"
        + "dee.park@example.org,NBO-101,2024-04-05,1\n"  # optional columns may be left off
        + "ana.ortiz@example.org,NBO-101,2024-04-05,1,,,,\n"  # trailing empty fields are fine
    )
    assert rows[0].errors == [("row", "has 3 fields; the header has 6")]
    assert rows[1].errors == [("row", "has 7 fields; the header has 6")]
    assert rows[2].ok and rows[3].ok


def test_training_lookup_runs_once_per_code() -> None:
    calls: list[str] = []

    def lookup(code: str) -> TrainingRef | None:
        calls.append(code)
        return TRAININGS.get(code)

    body = "".join(f"bo.lee@example.org,NBO-101,2024-04-{d:02d},1,,\n" for d in range(1, 21))
    rows = parse(HEADER + body, lookup_training=lookup)
    assert len(rows) == 20 and all(r.ok for r in rows)
    assert calls == ["NBO-101"]


# --- file-level problems -----------------------------------------------------------------------


def test_empty_file() -> None:
    assert file_error(b"") == [("file", "the file is empty")]
    assert file_error(b"\xef\xbb\xbf\r\n\r\n") == [("file", "the file is empty")]


def test_header_only_file_yields_nothing() -> None:
    assert parse(HEADER) == []


@pytest.mark.parametrize(
    "data",
    [
        HEADER.encode("utf-16"),  # with BOM
        HEADER.encode("utf-16-be"),  # no BOM: NULs give it away
        HEADER.encode("utf-16-le"),
        b"\xfe\xff",
    ],
)
def test_utf16_is_refused(data: bytes) -> None:
    assert file_error(data) == [("file", "the file is UTF-16; save it as UTF-8")]


def test_invalid_utf8_names_its_line() -> None:
    data = (HEADER + "bo.lee@example.org,NBO-101,2024-04-05,1,,\n").encode() + b"caf\xe9,x\n"
    assert file_error(data) == [("line 3", "is not valid UTF-8; save the file as CSV UTF-8")]


def test_invalid_utf8_far_into_the_file_names_its_line() -> None:
    body = "".join(f"bo.lee@example.org,NBO-101,2024-04-05,1,,id-{i}\n" for i in range(5000))
    data = (HEADER + body).encode() + b"\xff\n"
    assert file_error(data) == [("line 5002", "is not valid UTF-8; save the file as CSV UTF-8")]


def test_multibyte_characters_split_across_reads_are_fine() -> None:
    # 8,191 ASCII bytes put the two-byte 'é' across the first 8 KiB read boundary.
    padding = "x" * (8191 - len(HEADER) - len("bo.lee@example.org,NBO-101,2024-04-05,1,,"))
    out = one(f"bo.lee@example.org,NBO-101,2024-04-05,1,,{padding}é\n")
    assert out.external_id is not None and out.external_id.endswith("xé")


def test_excel_workbook_is_refused() -> None:
    assert file_error(b"PK\x03\x04rest of a zip") == [
        ("file", "this is an Excel workbook, not CSV; save it as CSV UTF-8")
    ]


def test_missing_columns_are_named() -> None:
    assert file_error("Email,Date,areas\nx,y,z\n") == [
        ("header", "missing required column(s): training_code, hours")
    ]


def test_unknown_format() -> None:
    errors = file_error("name,score\nAna,3\n")
    assert errors[0][0] == "header" and errors[0][1].startswith("unknown format")


def test_duplicate_header_names_are_all_reported() -> None:
    assert file_error("email,training_code,date,hours,Email,HOURS\n") == [
        ("header (line 1), column 5", "'Email' appears twice (also column 1)"),
        ("header (line 1), column 6", "'HOURS' appears twice (also column 4)"),
    ]


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_import(sep: str) -> None:
    # Until the shared reader (lms.tabular) a ';' header was refused with a hint to re-save.
    header = sep.join(["email", "training_code", "date", "hours", "areas", "external_id"])
    row = sep.join(["ana.ortiz@example.org", "NBO-101", "2024-04-05", "2,5", "", "r-1"])
    good = sep.join(["bo.lee@example.org", "NBO-101", "2024-04-05", "1.5", '"TF-ATT;DSS-OBS"', ""])
    bad, ok = parse(f"\ufeff{header}\r\n{row}\r\n{good}\r\n")
    assert bad.errors == [("hours", "2,5 is not a number; use a dot for decimals")]
    assert ok.ok and ok.hours == 1.5 and ok.areas == frozenset({"TF-ATT", "DSS-OBS"})
    assert (bad.line, ok.line) == (2, 3)


def test_a_row_error_names_its_line_and_column() -> None:
    (out,) = parse(HEADER + "\r\n" + "ana.ortiz@example.org,NBO-101,2024-04-05,x,,\r\n")
    (error,) = out.errors
    assert (error.line, error.column) == (3, "hours")
    assert str(error) == "line 3, hours: x is not a number"


def test_a_cell_longer_than_the_guard_is_a_file_error() -> None:
    data = HEADER + "ana.ortiz@example.org,NBO-101,2024-04-05,1,," + "x" * 10_001 + "\r\n"
    assert file_error(data) == [("line 2, external_id", "is longer than 10,000 characters")]


def test_size_limit_on_a_seekable_stream_fails_before_any_row() -> None:
    data = HEADER + "bo.lee@example.org,NBO-101,2024-04-05,1,,\n"
    assert file_error(data, max_bytes=20) == [("file", "the file is larger than the 20-byte limit")]
    assert len(parse(data, max_bytes=len(data))) == 1


class _Unseekable(io.RawIOBase):
    """A pipe-like stream: no seek, and reads may come back short."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data[self.pos : self.pos + min(len(buffer), 1000)]
        buffer[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_size_limit_while_streaming() -> None:
    body = "".join(f"bo.lee@example.org,NBO-101,2024-04-05,1,,id-{i}\n" for i in range(2000))
    stream = _Unseekable((HEADER + body).encode())
    rows = parse_completions(
        stream,  # type: ignore[arg-type]
        lookup_clinician=CLINICIANS.get,
        lookup_training=TRAININGS.get,
        today=TODAY,
        max_bytes=50_000,
    )
    with pytest.raises(CsvFileError) as caught:
        for _ in rows:
            pass
    assert [(e.where, e.message) for e in caught.value.errors] == [
        ("file", "the file is larger than the 50,000-byte limit")
    ]
    assert stream.pos <= 50_000 + 8192  # stopped within one read of the limit


def test_short_first_read_still_detects_utf16() -> None:
    class OneByte(_Unseekable):
        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            return super().readinto(memoryview(buffer)[:1])

    with pytest.raises(CsvFileError, match="UTF-16"):
        list(
            parse_completions(
                OneByte(HEADER.encode("utf-16")),  # type: ignore[arg-type]
                lookup_clinician=CLINICIANS.get,
                lookup_training=TRAININGS.get,
                today=TODAY,
            )
        )


def test_unclosed_quote_is_a_file_error_naming_the_line() -> None:
    data = HEADER + "bo.lee@example.org,NBO-101,2024-04-05,1,,ok\n" + 'x,"never closed\n'
    errors = file_error(data)
    assert errors[0][0] == "line 3" and "cannot be read as CSV" in errors[0][1]


def test_nul_byte_inside_the_file_names_its_line() -> None:
    data = (HEADER + "bo.lee@example.org,NBO-101,2024-04-05,1,,\n").encode() + b"a\x00b\n"
    assert file_error(data) == [("line 3", "contains a NUL byte; save the file as CSV UTF-8")]


def test_parsing_streams_rather_than_reading_everything() -> None:
    row = b"bo.lee@example.org,NBO-101,2024-04-05,1,,x\n"
    stream = _Unseekable(HEADER.encode() + row * 100_000)
    rows = parse_completions(
        stream,  # type: ignore[arg-type]
        lookup_clinician=CLINICIANS.get,
        lookup_training=TRAININGS.get,
        today=TODAY,
    )
    first = list(itertools.islice(rows, 3))
    assert [r.line for r in first] == [2, 3, 4]
    assert stream.pos < 64 * 1024  # a few buffers, not the 4 MB file


# --- Moodle course-completion report -----------------------------------------------------------


def moodle(data: bytes | str, **kwargs: object) -> list[RowOutcome]:
    kwargs.setdefault("default_training_code", "NBO-101")
    return parse(data, **kwargs)


def test_moodle_report_fixture() -> None:
    rows = moodle((DATA / "moodle_course_completion.csv").read_bytes())
    assert [r.line for r in rows] == [2, 3, 4, 5]
    ana, bo, cy, dee = rows
    assert ana.ok and ana.email == "ana.ortiz@example.org" and ana.date == date(2024, 4, 5)
    assert (ana.training_code, ana.hours, ana.areas) == ("NBO-101", 3.0, NBO.areas)
    assert ana.clinician == CLINICIANS["ana.ortiz@example.org"] and ana.training is NBO
    assert (bo.skipped, bo.errors, bo.ok) == ("not completed", [], False)
    assert cy.skipped == "not completed"
    assert dee.ok and dee.date == date(2024, 4, 9)


MOODLE_HEADER = "First name,Surname,Email address,Quiz,Course complete\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Friday, 5 April 2024, 10:15 AM", date(2024, 4, 5)),
        ("5 April 2024", date(2024, 4, 5)),
        ("Tuesday, 31 December 2024, 11:59 PM", date(2024, 12, 31)),
        ("1 Sept 2024, 14:05", date(2024, 9, 1)),
        ("2024-04-05 10:15", date(2024, 4, 5)),
    ],
)
def test_moodle_dates(text: str, expected: date) -> None:
    (out,) = moodle(MOODLE_HEADER + f'A,B,bo.lee@example.org,Completed,"{text}"\n')
    assert out.ok and out.date == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("05/04/24, 10:15", "05/04/24, 10:15 is ambiguous; export with long dates"),
        ("Friday, 31 April 2024", "Friday, 31 April 2024 is not a real date"),
        ("5 Avril 2024", "5 Avril 2024: unknown month 'Avril'"),
        ("Friday, 5 April 2030", "Friday, 5 April 2030 is in the future"),
        ("Completed", "says 'Completed' without a date; export the report with dates"),
        ("=cmd()", "starts with '=' — formulas are not accepted"),
        ("soon", "soon is not a completion date or status"),
    ],
)
def test_moodle_bad_completion_values(text: str, message: str) -> None:
    (out,) = moodle(MOODLE_HEADER + f'A,B,bo.lee@example.org,Completed,"{text}"\n')
    ((_, column, got),) = out.errors
    assert column == "Course complete" and got.startswith(message)


def test_moodle_rows_check_email_and_duplicates() -> None:
    rows = moodle(
        MOODLE_HEADER
        + "A,B,nobody@example.org,Completed,5 April 2024\n"
        + "A,B,,Completed,5 April 2024\n"
        + "A,B,bo.lee@example.org,Completed,5 April 2024\n"
        + 'A,B,Bo.Lee@example.org,Completed,"Friday, 5 April 2024, 4:00 PM"\n'
    )
    assert [r.errors for r in rows] == [
        [("Email address", "no clinician with this email in your association")],
        [("Email address", "missing")],
        [],
        [("row", "same as line 4")],
    ]


def test_moodle_needs_the_chosen_training() -> None:
    data = MOODLE_HEADER + "A,B,bo.lee@example.org,Completed,5 April 2024\n"
    assert file_error(data) == [
        (
            "default_training_code",
            "this is a Moodle completion report; choose the training it is for",
        )
    ]
    assert file_error(data, default_training_code="ZZZ") == [
        ("default_training_code", "ZZZ is not a training")
    ]


def test_moodle_repeated_activity_names_are_fine_but_not_repeated_email() -> None:
    header = "First name,Surname,Email address,Quiz,Quiz,Course complete\n"
    (out,) = moodle(header + "A,B,bo.lee@example.org,x,y,5 April 2024\n")
    assert out.ok
    errors = file_error("Email address,Email address,Course complete\n")
    assert errors == [
        ("header (line 1), column 2", "'Email address' appears twice (also column 1)")
    ]


def test_moodle_report_without_email_column_explains_the_fix() -> None:
    errors = file_error("First name,Surname,Quiz,Course complete\nA,B,x,5 April 2024\n")
    assert errors[0][0] == "header" and "no 'Email address' column" in errors[0][1]
