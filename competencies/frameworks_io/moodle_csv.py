"""Moodle's competency framework CSV: read into a `FrameworkDoc` and written back.

Pure code: no Flask, no database, no network.

Moodle's CSV (admin tool "tool_lpimportcsv")
--------------------------------------------
Fourteen columns (`MOODLE_HEADER`); the row with "Is framework" = 1 is the framework, every other
row a competency whose "Parent id number" names its parent (empty at the top level). Rows may
come in any order. Header names are matched ignoring case, spaces and hyphens, so every Moodle
version's spelling ("ID number", "Short name") is read; the four "(optional)" columns may be left
out. The file is read by `lms.tabular`: UTF-8 with or without BOM, separated by `,`, `;` or
tabs (detected from the header). Errors name the line (the first physical line of the record)
and the column.

Moodle has no column for category applicability or for a version, so the export keeps both in the
description as a trailing paragraph that Moodle shows as ordinary text and our importer reads
back: `<p>Applies to: IFS, IMHS</p>` on a competency, `<p>Version: 2025</p>` on the framework.
When the description itself already ends with such a paragraph and there is nothing to add, an
empty marker (`<p>Applies to: </p>`) is written so the round trip stays exact. Moodle-only
columns (competency scale, rules, exported id) are kept verbatim in `MoodleFields`. Non-HTML
descriptions (format 2 plain text, 4 Markdown) are imported as escaped text in paragraphs, and
every description is exported as HTML (format 1).

Moodle refuses a framework without a scale: set `scale` before exporting to Moodle.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any, BinaryIO

from competencies.frameworks_io.document import framework_to_dict, load_framework
from competencies.frameworks_io.model import (
    _CODE_RE,
    MAX_TEXT_LENGTH,
    FieldError,
    FrameworkDoc,
    FrameworkError,
    MoodleFields,
    sanitize_html,
)
from competencies.frameworks_io.moodle_tree import RELATED, Problems, Row, build_tree
from lms.csvutil import SafeWriter, unneutralise
from lms.documents import load_json
from lms.tabular import RowError, Table, TabularError, read_table

MOODLE_HEADER: tuple[str, ...] = (
    "Parent id number",
    "Id number",
    "Shortname",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    RELATED,
    "Exported id (optional)",
    "Is framework",
    "Taxonomy",
)
_MOODLE_KEYS = (
    "parent",
    "idnumber",
    "shortname",
    "description",
    "descriptionformat",
    "scalevalues",
    "scaleconfiguration",
    "ruletype",
    "ruleoutcome",
    "ruleconfig",
    "related",
    "exportid",
    "isframework",
    "taxonomy",
)
_LABEL = dict(zip(_MOODLE_KEYS, MOODLE_HEADER, strict=True))
_OPTIONAL_COLUMNS = frozenset({"ruletype", "ruleoutcome", "ruleconfig", "exportid"})

# Description format codes of Moodle (FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN).
_FORMAT_HTML_LIKE = frozenset({0, 1})
_FORMAT_TEXT_LIKE = frozenset({2, 4})

_CODE = r"[A-Za-z0-9][A-Za-z0-9_.\-/]*"
_APPLIES_RE = re.compile(
    rf"<p>\s*Applies to:\s*((?:{_CODE}(?:\s*,\s*{_CODE})*)?)\s*(?:<br>)?\s*</p>\s*\Z"
)
_VERSION_RE = re.compile(r"<p>\s*Version:\s*([^<]*?)\s*(?:<br>)?\s*</p>\s*\Z")


def _header_key(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


# Spellings differ between Moodle versions ("ID number", "Short name", "Cross referenced ...").
_HEADER_KEYS = {_header_key(label): key for key, label in _LABEL.items()}


# Competencies in one Moodle file, and characters in one cell (a description is HTML).
MAX_ROWS = 50_000
MAX_CELL = 100_000


def _file_problem(err: TabularError) -> FieldError:
    """Word a problem of the whole file as this importer always has."""
    if err.code == "not_utf8":
        return FieldError(
            f"line {err.line}, byte {err.info['byte']}",
            f"not valid UTF-8 (byte 0x{err.info['value']:02X}); the file looks like "
            "Latin-1/Windows-1252: save it as 'CSV UTF-8' and import again",
        )
    if err.code == "malformed":
        return FieldError(err.where, f"malformed CSV: {err.info['detail']}")
    if err.code == "empty":
        return FieldError("line 1", "the file is empty; expected the header row")
    return FieldError(err.where if err.line is not None else "(file)", err.message)


def _read(stream: BinaryIO) -> tuple[Table, list[tuple[int, list[str]]]]:
    """Return the table and its rows, every cell with the formula quoting of our export undone."""
    try:
        table = read_table(stream, max_rows=MAX_ROWS, max_cell=MAX_CELL)
        # Undo the formula quoting of our own export (lms.csvutil), exactly.
        rows = [(line, [unneutralise(cell) for cell in row]) for line, row in table.rows()]
    except TabularError as err:
        raise FrameworkError([_file_problem(err)]) from None
    return table, rows


def _map_header(table: Table, errors: Problems) -> dict[str, int]:
    columns: dict[str, int] = {}
    line = table.line
    for index, label in enumerate(unneutralise(name) for name in table.names):
        key = _HEADER_KEYS.get(_header_key(label))
        where = f"column {index + 1}"
        if key is None:
            errors.append(RowError(line, where, f"unknown column {label.strip()!r}"))
        elif key in columns:
            errors.append(RowError(line, where, f"column {_LABEL[key]!r} appears twice"))
        else:
            columns[key] = index
    missing = [_LABEL[k] for k in _MOODLE_KEYS if k not in columns and k not in _OPTIONAL_COLUMNS]
    if missing:
        errors.append(
            RowError(line, "", "missing column(s): " + ", ".join(repr(m) for m in missing))
        )
    return columns


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def _split_marker(description: str, pattern: re.Pattern[str]) -> tuple[str, str | None]:
    match = pattern.search(description)
    if match is None:
        return description, None
    return description[: match.start()].strip(), match.group(1)


def _split_related(cell: str) -> tuple[str, ...]:
    # Moodle escapes a comma inside an idnumber as %2C in this comma-separated list.
    out: list[str] = []
    for raw in cell.split(","):
        ref = raw.strip().replace("%2C", ",")
        if ref and ref not in out:
            out.append(ref)
    return tuple(out)


def load_moodle_csv(stream: BinaryIO) -> FrameworkDoc:
    """Read a framework from a CSV in the format of Moodle's tool_lpimportcsv."""
    table, records = _read(stream)
    errors: Problems = []
    columns = _map_header(table, errors)
    if errors:
        raise FrameworkError(errors)
    width = table.width

    framework: tuple[int, dict[str, str]] | None = None
    rows: list[Row] = []
    for line, record in records:
        if len(record) != width:
            errors.append(RowError(line, "", f"has {len(record)} fields; the header has {width}"))
            continue
        cells = {key: record[index].strip() for key, index in columns.items()}
        flag = cells["isframework"].lower()
        if flag in ("1", "true", "yes"):
            if framework is not None:
                errors.append(
                    RowError(
                        line,
                        "Is framework",
                        f"a second framework row (the first is on line {framework[0]})",
                    )
                )
            else:
                framework = (line, cells)
            continue
        if flag not in ("", "0", "false", "no"):
            errors.append(RowError(line, "Is framework", f"expected 1 or 0, not {flag!r}"))
            continue
        row = _competency_row(line, cells, errors)
        if row is not None:
            rows.append(row)

    if framework is None:
        errors.append(FieldError("(file)", "no framework row (a row with 'Is framework' = 1)"))
    doc_fields = _framework_fields(*framework, errors) if framework else None
    domains = build_tree(rows, errors)
    if errors or doc_fields is None:
        raise FrameworkError(sorted(errors, key=_error_order))
    # The stored document is re-read by load_framework: pass the result through that same reader,
    # so that this importer can never accept what re-reading would refuse.
    return load_framework(framework_to_dict(FrameworkDoc(domains=domains, **doc_fields)))


def _error_order(error: FieldError | RowError) -> tuple[int, str]:
    match = re.match(r"line (\d+)", error.where)
    return (int(match.group(1)) if match else 0, error.where)


def _description(line: int, cells: dict[str, str], errors: Problems) -> str:
    raw_format = cells.get("descriptionformat", "")
    try:
        fmt = int(raw_format) if raw_format else 1
    except ValueError:
        fmt = -1
    if fmt in _FORMAT_TEXT_LIKE:
        return sanitize_html(_text_to_html(cells["description"]))
    if fmt not in _FORMAT_HTML_LIKE:
        errors.append(
            RowError(
                line,
                "Description format",
                f"expected 0, 1, 2 or 4 (Moodle's text formats), not {raw_format!r}",
            )
        )
    return sanitize_html(cells["description"])


def _check_text(line: int, key: str, value: str, errors: Problems) -> None:
    column = _LABEL[key]
    if not value:
        errors.append(RowError(line, column, "is empty"))
    elif len(value) > MAX_TEXT_LENGTH:
        errors.append(
            RowError(line, column, f"is {len(value)} characters long; at most {MAX_TEXT_LENGTH}")
        )


def _check_json(line: int, key: str, value: str, errors: Problems) -> None:
    try:
        load_json(value)
    except ValueError as exc:
        errors.append(RowError(line, _LABEL[key], f"is not valid JSON: {exc}"))


def _framework_fields(line: int, cells: dict[str, str], errors: Problems) -> dict[str, Any]:
    _check_text(line, "idnumber", cells["idnumber"], errors)
    _check_text(line, "shortname", cells["shortname"], errors)
    if cells["parent"]:
        errors.append(RowError(line, "Parent id number", "must be empty on the framework row"))
    description, version = _split_marker(_description(line, cells, errors), _VERSION_RE)
    scale = cells["scalevalues"] or None
    config = cells["scaleconfiguration"] or None
    if config is not None:
        _check_json(line, "scaleconfiguration", config, errors)
    taxonomies = tuple(t.strip() for t in cells["taxonomy"].split(",") if t.strip())
    for word in taxonomies:
        if not _CODE_RE.match(word):
            errors.append(RowError(line, "Taxonomy", f"{word!r} is not a taxonomy word"))
    return {
        "name": cells["shortname"],
        "version": html.unescape(version) if version else "",
        "idnumber": cells["idnumber"],
        "description": description,
        "scale": scale,
        "scale_configuration": config if scale else None,
        "taxonomies": taxonomies,
    }


def _competency_row(line: int, cells: dict[str, str], errors: Problems) -> Row | None:
    count = len(errors)
    _check_text(line, "idnumber", cells["idnumber"], errors)
    _check_text(line, "shortname", cells["shortname"], errors)
    description, applies = _split_marker(_description(line, cells, errors), _APPLIES_RE)
    categories = tuple(dict.fromkeys(c.strip() for c in (applies or "").split(",") if c.strip()))
    outcome_text = cells.get("ruleoutcome", "")
    try:
        outcome = int(outcome_text) if outcome_text else 0
    except ValueError:
        errors.append(
            RowError(
                line,
                "Rule outcome (optional)",
                f"expected a whole number, not {outcome_text!r}",
            )
        )
        outcome = 0
    rule_config = cells.get("ruleconfig", "")
    if rule_config in ("", "null"):
        rule_config = ""
    else:
        _check_json(line, "ruleconfig", rule_config, errors)
    if cells["scaleconfiguration"]:
        _check_json(line, "scaleconfiguration", cells["scaleconfiguration"], errors)
    if len(errors) > count:
        return None
    moodle = MoodleFields(
        scale_values=cells["scalevalues"],
        scale_configuration=cells["scaleconfiguration"],
        rule_type=cells.get("ruletype", ""),
        rule_outcome=outcome,
        rule_config=rule_config or None,
        exported_id=cells.get("exportid", ""),
    )
    return Row(
        line=line,
        parent=cells["parent"],
        idnumber=cells["idnumber"],
        name=cells["shortname"],
        description=description,
        categories=categories,
        related=_split_related(cells["related"]),
        moodle=moodle,
    )


def _with_marker(description: str, label: str, value: str, pattern: re.Pattern[str]) -> str:
    # An empty marker is still written when the text itself ends like one, so it is not mistaken
    # for ours on the way back.
    if value or pattern.search(description):
        return f"{description}<p>{label}: {value}</p>"
    return description


def dump_moodle_csv(doc: FrameworkDoc, *, bom: bool = False) -> bytes:
    """Write `doc` as a Moodle tool_lpimportcsv CSV (UTF-8, RFC 4180 quoting, CRLF)."""
    out = io.StringIO(newline="")
    writer = SafeWriter(out)  # formula-safe; load_moodle_csv undoes it exactly
    writer.writerow(MOODLE_HEADER)
    version = html.escape(doc.version, quote=False)
    writer.writerow(
        [
            "",
            doc.idnumber,
            doc.name,
            _with_marker(doc.description, "Version", version, _VERSION_RE),
            "1",
            doc.scale or "",
            (doc.scale_configuration or "") if doc.scale else "",
            "",
            "",
            "",
            "",
            "",
            "1",
            ",".join(doc.taxonomies),
        ]
    )
    for node, parent, _ in doc.walk():
        extra = node.moodle or MoodleFields()
        writer.writerow(
            [
                parent,
                node.idnumber,
                node.name,
                _with_marker(
                    node.description, "Applies to", ", ".join(node.categories), _APPLIES_RE
                ),
                "1",
                extra.scale_values,
                extra.scale_configuration,
                extra.rule_type,
                str(extra.rule_outcome),
                extra.rule_config if extra.rule_config is not None else "null",
                ",".join(r.replace(",", "%2C") for r in node.related),
                extra.exported_id,
                "",
                "",
            ]
        )
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")
