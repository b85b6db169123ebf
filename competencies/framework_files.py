"""Framework and rule-set files: the upload limit, the formats, reading a file with every problem
named (control characters included), an uploaded file's bytes and a download.

The pages (`views_frameworks`, `views_rules`) and the command line (`cli_frameworks`) read files
the same way through here.
"""

from __future__ import annotations

import html
import re
from io import BytesIO
from pathlib import PurePath
from typing import Any

import nh3
from flask import Response

from competencies import rules
from competencies.frameworks_io import (
    FieldError,
    FrameworkDoc,
    FrameworkError,
    framework_to_dict,
    load_framework,
    load_moodle_csv,
)
from competencies.types import Problem
from lms.inputs import control_line, describe, find_control

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# The preview carries the upload back as base64 (4/3 of its size) in one multipart field.
FORM_FIELD_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 4096
FORMATS = ("json", "yaml", "moodle-csv")
FORMAT_LABELS = {
    "auto": "Detect from the file",
    "json": "JSON (our format)",
    "yaml": "YAML (our format)",
    "moodle-csv": "Moodle CSV (tool_lpimportcsv)",
}


def detect_format(filename: str, data: bytes) -> str:
    """Return "json", "yaml" or "moodle-csv" from the file's extension, else its content."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "moodle-csv"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json"
    first_line = head.split(b"\n", 1)[0].lower()
    if b"," in first_line and b"parent" in first_line and b"number" in first_line:
        return "moodle-csv"
    return "yaml"


def _control_characters(text: str, parsed: Any) -> tuple[str, str] | None:
    """Return (where, message) for a control character in a document, or None.

    No name, id or description means one, and PostgreSQL cannot store NUL: a literal one is
    named by its line, one written as an escape (JSON "\\u0000") by its path.
    """
    found = control_line(text)
    if found is not None:
        return f"line {found[0]}", describe(found[1])
    escaped = find_control(parsed, brackets=True)
    if escaped is not None:
        return escaped[0], describe(escaped[1])
    return None


def read_framework(data: bytes, fmt: str) -> FrameworkDoc:
    """Parse a framework file of the given format; raise FrameworkError naming every problem."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FrameworkError(
            [FieldError("(file)", f"is {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,}")]
        )
    if fmt == "moodle-csv":
        doc = load_moodle_csv(BytesIO(data))
    elif fmt in ("json", "yaml"):
        doc = load_framework(data, fmt=fmt)
    else:
        raise ValueError(f"unknown framework format {fmt!r}")
    text = data.decode("utf-8", errors="replace")
    problem = _control_characters(text, framework_to_dict(doc))
    if problem is not None:
        raise FrameworkError([FieldError(*problem)])
    return doc


def read_rule_set(data: bytes, filename: str) -> rules.RuleSet:
    """Parse a JSON or YAML rule-set file; raise RuleSetError naming every problem."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise rules.RuleSetError(
            [Problem("(file)", f"is {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,}")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise rules.RuleSetError([Problem(f"byte {exc.start + 1}", "not valid UTF-8")]) from None
    fmt = detect_format(filename, data)
    if fmt == "moodle-csv":
        raise rules.RuleSetError([Problem("(file)", "a rule set is a JSON or YAML document")])
    parsed = rules.parse_rule_set_text(text, fmt)
    problem = _control_characters(text, parsed.to_dict())
    if problem is not None:
        raise rules.RuleSetError([Problem(*problem)])
    return parsed


def plain_text(fragment: str) -> str:
    """Return an HTML fragment as plain text (tags dropped); the page escapes it again."""
    return html.unescape(nh3.clean(fragment or "", tags=set())).strip()


def download(data: bytes | str, name: str, mimetype: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "download"
    body = data.encode("utf-8") if isinstance(data, str) else data
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


def read_upload(field: Any) -> tuple[bytes, str] | None:
    """Return (bytes, file name) of an uploaded file, or None with an error on the field."""
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        field.errors.append("Choose a file to upload.")
        return None
    data = storage.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        field.errors.append(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        return None
    if not data.strip():
        field.errors.append("The file is empty.")
        return None
    return data, storage.filename
