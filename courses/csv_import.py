"""Parse a CSV file of training completions into validated rows, streaming.

Pure: no Flask, no database. The caller passes lookups and decides what to write.

Two formats are recognised from the header row:

(a) Our template. A header holding at least ``email,training_code,date,hours`` (any order,
    any case, surrounding spaces ignored, spaces or hyphens inside a name read as ``_``),
    optionally ``areas`` (competency area ids separated by ``;``) and ``external_id``.
    Other columns are ignored. ``date`` must be ``YYYY-MM-DD``; ``hours`` a positive decimal
    with a dot. Empty ``areas`` means the training's own areas.

        email,training_code,date,hours,areas,external_id
        ana@example.org,NBO-101,2024-04-05,3,TF-ATT;DSS-OBS,roster-7781

(b) Moodle's course-completion report ("Download in text format (UTF-8 .csv)"). Its header
    holds the learner's name column(s), the identity fields (we need "Email address"), a
    column per criterion and a final "Course complete" column. That column holds the
    completion time as Moodle prints it ("Friday, 5 April 2024, 10:15 AM", with or without
    weekday and time) or a status ("Not completed", empty). Rows not completed come back with
    ``skipped`` set and no errors. The training is the one the importer chose
    (``default_training_code``); hours and areas are the training's. Moodle's short date
    setting prints day and month as numbers whose order depends on the site's language, so a
    numeric date like 05/04/24 is refused as ambiguous.

The file is read by the shared reader `lms.tabular`: UTF-8 with or without BOM, separated by
`,`, `;` or tabs (detected from the header line; in a `;` file a list of areas is quoted).
File-level problems raise :class:`CsvFileError`: header problems at call time, encoding, size
and quoting problems while iterating (the import is all-or-nothing, so the caller discards
the rows it already received). A row's problems are `lms.tabular.RowError`s (line, column,
message).

Why one module of ~600 lines: the two formats share every field check (email, dates, formula
cells) and the duplicate finder, and the hot loop stays free of cross-module indirection.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import BinaryIO

from lms.tabular import RowError, Table, TabularError, read_table
from lms.validation import Problem, ProblemsError

__all__ = [
    "ClinicianRef",
    "CsvFileError",
    "FileProblem",
    "RowError",
    "RowOutcome",
    "TrainingRef",
    "parse_completions",
]

REQUIRED_COLUMNS = ("email", "training_code", "date", "hours")
OPTIONAL_COLUMNS = ("areas", "external_id")
MOODLE_EMAIL = "email_address"
MOODLE_COMPLETE = "course_complete"
MAX_EXTERNAL_ID = 200
MAX_CELL = 10_000  # characters in one cell; no value of ours comes near

_FORMULA_STARTS = frozenset("=+-@\t\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 and DEL, not tab or newlines
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NUMERIC_DATE = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_MOODLE_DATE = re.compile(
    r"(?:[A-Za-z]+,?\s+)?(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})"
    r"(?:,?\s+(\d{1,2}):(\d{2})(?::\d{2})?(?:\s*([AaPp]\.?[Mm]\.?))?)?"
)
_MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3], full[:4])
}
_NOT_COMPLETED = frozenset({"", "-", "not completed", "not complete", "incomplete", "no"})
_COMPLETED_WORDS = frozenset({"completed", "complete", "yes"})
_MOODLE_USED = frozenset({MOODLE_EMAIL, MOODLE_COMPLETE})


@dataclass(frozen=True, slots=True)
class ClinicianRef:
    """A clinician found by email; ``association_ok`` False (someone elsewhere) reads as unknown.

    ``refused`` says why the importer may not record this person's trainings (their own).
    """

    id: int
    email: str
    association_ok: bool
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class TrainingRef:
    """A training in the catalogue, with its full clock hours and competency areas."""

    id: int
    code: str
    hours: float
    areas: frozenset[str]


FileProblem = Problem  # one file-level problem: `where` names the place (file, header, line 7)


class CsvFileError(ProblemsError):
    """The file as a whole cannot be imported; ``errors`` lists every problem found."""


Pair = tuple[str, str]  # (column, message) of a problem, before the row's line is added


def _lined(line: int, errors: list[Pair]) -> list[RowError]:
    return [RowError(line, column, message) for column, message in errors] if errors else []


@dataclass(slots=True)  # not frozen: a frozen one's __init__ took a third of the parse
class RowOutcome:
    """One data row: the parsed values and every problem found in it (read, never changed).

    ``line`` is the physical line where the record starts (the header is line 1).
    ``clinician`` is set only for a clinician of the importer's association.
    ``skipped`` says why a row without errors carries no completion (Moodle: not completed).
    """

    line: int
    email: str
    training_code: str
    date: date | None
    hours: float | None
    areas: frozenset[str]
    external_id: str | None
    clinician: ClinicianRef | None
    training: TrainingRef | None
    errors: list[RowError]
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.skipped is None


def parse_completions(
    stream: BinaryIO,
    *,
    lookup_clinician: Callable[[str], ClinicianRef | None],
    lookup_training: Callable[[str], TrainingRef | None],
    today: date,
    max_bytes: int | None = None,
    default_training_code: str | None = None,
) -> Iterator[RowOutcome]:
    """Check the header now and return an iterator yielding one outcome per data row.

    ``lookup_clinician`` receives the lowercased email; ``lookup_training`` a training code
    (results are cached per call, so it runs once per distinct code). Blank lines are
    skipped. Raises :class:`CsvFileError` for file-level problems.
    """
    try:
        table = read_table(stream, max_bytes=max_bytes, max_cell=MAX_CELL)
    except TabularError as err:
        raise _file_error(err) from None
    header, width = _read_header(table)
    training_lookup = lru_cache(maxsize=1024)(lookup_training)
    if MOODLE_COMPLETE in header and MOODLE_EMAIL in header:
        training = _moodle_training(default_training_code, training_lookup)
        rows = _moodle_rows(table, header, training, lookup_clinician, today)
    else:
        _check_template_header(header)
        rows = _template_rows(table, header, width, lookup_clinician, training_lookup, today)
    return rows


# --- the file: one reader for every import (lms.tabular) --------------------------------------


def _file_error(err: TabularError) -> CsvFileError:
    return CsvFileError([FileProblem(err.where, err.message)])


# --- header ------------------------------------------------------------------------------------


def _read_header(table: Table) -> tuple[dict[str, int], int]:
    """Return the column index of each normalised name, and the header's field count."""
    header = table.index()
    is_moodle = MOODLE_COMPLETE in header and MOODLE_EMAIL in header
    problems = [
        FileProblem(
            f"header (line {table.line}), column {column + 1}",
            f"'{table.names[column]}' appears twice (also column {first + 1})",
        )
        # Moodle names columns after activities, which may repeat; only our columns must be
        # unique.
        for column, first in table.repeated()
        if not is_moodle or table.keys[column] in _MOODLE_USED
    ]
    if problems:
        raise CsvFileError(problems)
    return header, table.width


def _check_template_header(header: dict[str, int]) -> None:
    if MOODLE_COMPLETE in header:
        raise CsvFileError(
            [
                FileProblem(
                    "header",
                    "this Moodle report has no 'Email address' column; add email to the "
                    "report's identity fields and export it again",
                )
            ]
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if len(missing) == len(REQUIRED_COLUMNS):
        raise CsvFileError(
            [
                FileProblem(
                    "header",
                    "unknown format: expected our template (email,training_code,date,hours) "
                    "or a Moodle course-completion report",
                )
            ]
        )
    if missing:
        raise CsvFileError(
            [FileProblem("header", f"missing required column(s): {', '.join(missing)}")]
        )


# --- field checks ------------------------------------------------------------------------------


def _formula(column: str, value: str) -> Pair:
    shown = {"\t": "a tab", "\r": "a carriage return"}.get(value[0], f"'{value[0]}'")
    return (column, f"starts with {shown} — formulas are not accepted")


def _parse_iso_date(raw: str, today: date, column: str, errors: list[Pair]) -> date | None:
    text = raw.strip()
    if not text:
        errors.append((column, "missing; use YYYY-MM-DD"))
        return None
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        errors.append((column, _bad_date_message(text)))
        return None
    try:
        value = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        errors.append((column, f"{text} is not a real date; use YYYY-MM-DD"))
        return None
    return _not_future(value, text, today, column, errors)


def _bad_date_message(text: str) -> str:
    match = _NUMERIC_DATE.fullmatch(text)
    if match is None or len(match[1]) == 4:
        return f"{text} is not a date in YYYY-MM-DD form"
    first, second, year = int(match[1]), int(match[2]), match[3]
    if first <= 12 and second <= 12 and first != second:
        return f"{text} is ambiguous; use YYYY-MM-DD"
    if len(year) == 4 and first != second:
        day, month = (first, second) if first > 12 else (second, first)
        try:
            guess = date(int(year), month, day).isoformat()
        except ValueError:
            return f"{text} is not a real date; use YYYY-MM-DD"
        return f"{text} is not in YYYY-MM-DD form (did you mean {guess}?)"
    return f"{text} is not a date in YYYY-MM-DD form"


def _not_future(
    value: date, text: str, today: date, column: str, errors: list[Pair]
) -> date | None:
    if value > today:
        errors.append((column, f"{text} is in the future"))
        return None
    return value


def _parse_hours(raw: str, training: TrainingRef | None, errors: list[Pair]) -> float | None:
    text = raw.strip()
    number = _NUMBER.fullmatch(text) is not None
    # A signed number ("-1", "+2") is judged as hours; anything else starting like a formula
    # (and any leading tab or CR) is refused as one.
    if raw and raw[0] in _FORMULA_STARTS and (raw[0] in "\t\r" or not number):
        errors.append(_formula("hours", raw))
        return None
    if not text:
        errors.append(("hours", "missing; give the clock hours, e.g. 3 or 1.5"))
        return None
    if not number:
        lowered = text.lower()
        if lowered == "nan":
            message = f"{text} is not a number"
        elif lowered in ("inf", "infinity"):
            message = f"{text} is not a finite number"
        elif re.fullmatch(r"\d+,\d+", text):
            message = f"{text} is not a number; use a dot for decimals"
        else:
            message = f"{text} is not a number"
        errors.append(("hours", message))
        return None
    hours = float(text)
    if not math.isfinite(hours):
        errors.append(("hours", f"{text} is not a finite number"))
        return None
    if hours <= 0:
        errors.append(("hours", f"{text} is not a positive number of hours"))
        return None
    if training is not None and hours > training.hours:
        errors.append(("hours", f"{text} is more than the training's {training.hours:g} hours"))
        return None
    return hours


def _check_clinician(
    email: str,
    lookup: Callable[[str], ClinicianRef | None],
    column: str,
    errors: list[Pair],
) -> ClinicianRef | None:
    if not email:
        errors.append((column, "missing"))
        return None
    if "@" not in email or " " in email:
        errors.append((column, f"{email} is not an email address"))
        return None
    found = lookup(email)
    # A person of another association reads exactly as an unknown address: an import must
    # not tell whether an account exists elsewhere.
    if found is None or not found.association_ok:
        errors.append((column, "no clinician with this email in your association"))
        return None
    if found.refused:
        errors.append((column, found.refused))
        return None
    return found


class _Duplicates:
    """Remember each natural key in a few bytes, so memory stays small per row: one exact
    integer when clinician and training are known (the usual case), else a 16-byte digest of
    the text."""

    def __init__(self) -> None:
        self._seen: dict[int | bytes, int] = {}

    def check(
        self,
        line: int,
        email: str,
        code: str,
        when: date,
        errors: list[Pair],
        clinician: ClinicianRef | None = None,
        training: TrainingRef | None = None,
    ) -> None:
        key: int | bytes
        if clinician is not None and training is not None:
            # Exact: day ordinals stay below 2**22 and training ids below 2**40.
            key = (((clinician.id << 40) + training.id) << 22) + when.toordinal()
        else:
            key = hashlib.blake2b(
                f"{email}\x1f{code}\x1f{when.isoformat()}".encode(), digest_size=16
            ).digest()
        first = self._seen.setdefault(key, line)
        if first != line:
            errors.append(("row", f"same as line {first}"))


# --- format (a): our template ------------------------------------------------------------------


_REMEMBERED = 10_000  # distinct values a parse remembers per kind (memory stays flat)


def _template_rows(
    table: Table,
    header: dict[str, int],
    width: int,
    lookup_clinician: Callable[[str], ClinicianRef | None],
    lookup_training: Callable[[str], TrainingRef | None],
    today: date,
) -> Iterator[RowOutcome]:
    """Yield one outcome per row of our template.

    Files repeat their values: the same clinicians, and the same training, date, hours and
    areas on many rows (one session's roster). So a value found good is remembered with what
    it parsed to, and a row repeating it skips its checks: an email with its clinician, the
    (training code, date, hours, areas) cells with their values. Only values without a
    problem are remembered (a problem is always worked out afresh, so its message is the
    same), and their checks depend on nothing but the cells and `today`.
    """
    i_email, i_code, i_date, i_hours = (header[c] for c in REQUIRED_COLUMNS)
    i_areas = header.get("areas")
    i_external = header.get("external_id")
    needed = max(i_email, i_code, i_date, i_hours) + 1
    duplicates = _Duplicates()
    good_emails: dict[str, tuple[str, ClinicianRef]] = {}
    good_values: dict[tuple[str, str, str, str], tuple[str, TrainingRef, date, float, frozenset]]
    good_values = {}
    good_dates: dict[str, date] = {}

    try:
        for line, row in table.rows():
            errors: list[Pair] = []
            # Missing trailing optional fields and extra empty ones (a stray comma) are harmless;
            # anything else means the columns are shifted and no value can be trusted.
            if len(row) < needed or (len(row) > width and any(row[width:])):
                errors.append(("row", f"has {len(row)} fields; the header has {width}"))
                yield RowOutcome(
                    line, "", "", None, None, frozenset(), None, None, None, _lined(line, errors)
                )
                continue
            if len(row) < width:
                row += [""] * (width - len(row))

            # A field refused as a formula is not parsed further, so it gets one message only.
            raw = row[i_email]
            known = good_emails.get(raw)
            if known is not None:
                email, clinician = known
            elif raw and raw[0] in _FORMULA_STARTS:
                errors.append(_formula("email", raw))
                email, clinician = "", None
            else:
                email = raw.strip().lower()
                clinician = _check_clinician(email, lookup_clinician, "email", errors)
                if clinician is not None and len(good_emails) < _REMEMBERED:
                    good_emails[raw] = (email, clinician)

            raw_areas = row[i_areas] if i_areas is not None else ""
            cells = (row[i_code], row[i_date], row[i_hours], raw_areas)
            values = good_values.get(cells)
            if values is not None:
                code, training, when, hours, areas = values
            else:
                problems = len(errors)
                code, training, when, hours, areas = _template_values(
                    cells, i_areas is not None, lookup_training, today, good_dates, errors
                )
                if (
                    len(errors) == problems
                    and training is not None
                    and when is not None
                    and hours is not None
                    and len(good_values) < _REMEMBERED
                ):
                    good_values[cells] = (code, training, when, hours, areas)

            external_id = None
            if i_external is not None:
                raw = row[i_external]
                if raw and raw[0] in _FORMULA_STARTS:
                    errors.append(_formula("external_id", raw))
                else:
                    external_id = raw.strip() or None
                if external_id is not None and len(external_id) > MAX_EXTERNAL_ID:
                    errors.append(("external_id", f"longer than {MAX_EXTERNAL_ID} characters"))
                elif external_id is not None and _CONTROL.search(external_id):
                    errors.append(("external_id", "contains a control character"))
                    external_id = None

            if email and code and when is not None:
                duplicates.check(line, email, code, when, errors, clinician, training)

            yield RowOutcome(
                line,
                email,
                code,
                when,
                hours,
                areas,
                external_id,
                clinician,
                training,
                _lined(line, errors) if errors else [],
            )
    except TabularError as err:
        raise _file_error(err) from None


def _template_values(
    cells: tuple[str, str, str, str],
    has_areas: bool,
    lookup_training: Callable[[str], TrainingRef | None],
    today: date,
    good_dates: dict[str, date],
    errors: list[Pair],
) -> tuple[str, TrainingRef | None, date | None, float | None, frozenset[str]]:
    """Check a row's training code, date, hours and areas cells; return their values."""
    code, raw_date, raw_hours, raw_areas = cells
    training = None
    if code and code[0] in _FORMULA_STARTS:
        errors.append(_formula("training_code", code))
        code = ""
    else:
        code = code.strip()
        if not code:
            errors.append(("training_code", "missing"))
        else:
            training = lookup_training(code)
            if training is None:
                errors.append(("training_code", "unknown training"))

    when = good_dates.get(raw_date)  # files repeat their dates: each text is parsed once
    if when is None and raw_date and raw_date[0] in _FORMULA_STARTS:
        errors.append(_formula("date", raw_date))
    elif when is None:
        when = _parse_iso_date(raw_date, today, "date", errors)
        if when is not None and len(good_dates) < _REMEMBERED:
            good_dates[raw_date] = when

    # _parse_hours tells a signed number ("-1") from a formula itself.
    hours = _parse_hours(raw_hours, training, errors)

    areas: frozenset[str] = frozenset()
    if has_areas:
        if raw_areas and raw_areas[0] in _FORMULA_STARTS:
            errors.append(_formula("areas", raw_areas))
        else:
            areas = frozenset(a.strip() for a in raw_areas.split(";") if a.strip())
        if areas and training is not None:
            stray = sorted(areas - training.areas)
            if stray:
                errors.append(("areas", f"{', '.join(stray)} not among this training's areas"))
    if not areas and training is not None:
        areas = training.areas
    return code, training, when, hours, areas


# --- format (b): Moodle course-completion report -----------------------------------------------


def _moodle_training(code: str | None, lookup: Callable[[str], TrainingRef | None]) -> TrainingRef:
    if not code or not code.strip():
        raise CsvFileError(
            [
                FileProblem(
                    "default_training_code",
                    "this is a Moodle completion report; choose the training it is for",
                )
            ]
        )
    training = lookup(code.strip())
    if training is None:
        raise CsvFileError([FileProblem("default_training_code", f"{code} is not a training")])
    return training


def _parse_moodle_date(raw: str, today: date, errors: list[Pair]) -> date | None:
    """Read Moodle's printed completion time; the time of day is dropped."""
    column = "Course complete"
    text = " ".join(raw.split())
    match = _MOODLE_DATE.fullmatch(text)
    if match is not None:
        month = _MONTHS.get(match[2].lower())
        if month is None:
            errors.append((column, f"{text}: unknown month '{match[2]}'"))
            return None
        try:
            value = date(int(match[3]), month, int(match[1]))
        except ValueError:
            errors.append((column, f"{text} is not a real date"))
            return None
        return _not_future(value, text, today, column, errors)
    iso = _ISO_DATE.match(text)
    if iso is not None:
        return _parse_iso_date(iso[0], today, column, errors)
    if _NUMERIC_DATE.match(text):
        errors.append(
            (
                column,
                f"{text} is ambiguous; export with long dates (e.g. 5 April 2024) "
                "or use YYYY-MM-DD",
            )
        )
        return None
    errors.append((column, f"{text} is not a completion date or status"))
    return None


def _moodle_rows(
    table: Table,
    header: dict[str, int],
    training: TrainingRef,
    lookup_clinician: Callable[[str], ClinicianRef | None],
    today: date,
) -> Iterator[RowOutcome]:
    i_email, i_done = header[MOODLE_EMAIL], header[MOODLE_COMPLETE]
    width = max(i_email, i_done) + 1
    duplicates = _Duplicates()
    code, hours, areas = training.code, training.hours, training.areas

    try:
        for line, row in table.rows():
            errors: list[Pair] = []
            if len(row) < width:
                errors.append(("row", f"has {len(row)} fields; the header needs at least {width}"))
                yield RowOutcome(
                    line, "", code, None, None, areas, None, None, training, _lined(line, errors)
                )
                continue
            raw_email, raw_done = row[i_email], row[i_done]
            email = ""
            clinician = None
            if raw_email and raw_email[0] in _FORMULA_STARTS:
                errors.append(_formula("Email address", raw_email))
            else:
                email = raw_email.strip().lower()
            status = " ".join(raw_done.split()).lower()
            if status in _NOT_COMPLETED:
                found = _lined(line, errors)
                skipped = "not completed"
                yield RowOutcome(
                    line, email, code, None, None, areas, None, None, training, found, skipped
                )
                continue
            if email:
                clinician = _check_clinician(email, lookup_clinician, "Email address", errors)
            elif not errors:
                errors.append(("Email address", "missing"))
            when = None
            if raw_done[0] in _FORMULA_STARTS:
                errors.append(_formula("Course complete", raw_done))
            elif status in _COMPLETED_WORDS:
                errors.append(
                    (
                        "Course complete",
                        f"says '{raw_done.strip()}' without a date; export the report with dates",
                    )
                )
            else:
                when = _parse_moodle_date(raw_done, today, errors)
            if email and when is not None:
                duplicates.check(line, email, code, when, errors, clinician, training)
            found = _lined(line, errors)
            yield RowOutcome(
                line, email, code, when, hours, areas, None, clinician, training, found
            )
    except TabularError as err:
        raise _file_error(err) from None
