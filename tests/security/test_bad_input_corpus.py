"""Every hostile input of tests/corpus is refused clearly at its entry point, and writes nothing.

The manifest (tests/corpus/manifest.yaml) lists each input, the command, page or API address it
goes in through and the refusal it must get: a status (or exit code) and an error that names the
place (line and column, document path, JSON field or form field) with a given phrase. After each
one, every table must hold exactly the rows it held before (count and checksum of all rows).
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.security.conftest import (
    CORPUS,
    World,
    database_fingerprint,
    fresh_context,
)

MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
ENTRY_POINTS: dict[str, dict[str, Any]] = MANIFEST["entry_points"]
OVERRIDABLE = {"args", "url", "headers", "fields", "status", "exit_code", "errors"}


@dataclass(frozen=True)
class Case:
    """One corpus entry sent through one entry point; `spec` is the entry point, overridden."""

    via: str
    spec: dict[str, Any]
    entry: dict[str, Any]

    @property
    def id(self) -> str:
        name = self.entry.get("file") or self.entry["generate"]["name"]
        return f"{self.via}:{name}"


def _cases() -> list[Case]:
    cases = []
    for entry in MANIFEST["entries"]:
        for via in entry["via"]:
            overrides = {k: v for k, v in entry.items() if k in OVERRIDABLE}
            cases.append(Case(via, {**ENTRY_POINTS[via], **overrides}, entry))
    return cases


CASES = _cases()
VIAS = list(dict.fromkeys(c.via for c in CASES))


# --- sending an input in -----------------------------------------------------------------------


@dataclass
class Outcome:
    status: int  # HTTP status, or the command's exit code
    text: str  # page or command output
    json: Any = None


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, list):
        return [_fill(t, values) for t in template]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def _content(entry: dict[str, Any], tmp_path: Path) -> tuple[bytes, str, Path]:
    """Return the input's bytes, its file name and a path holding it."""
    if "file" in entry:
        path = CORPUS / entry["file"]
        return path.read_bytes(), path.name, path
    spec = entry["generate"]
    head, tail = spec.get("head", "").encode(), spec.get("tail", "").encode()
    fill = spec["fill"].encode()
    room = spec["size"] - len(head) - len(tail)
    data = head + (fill * (room // len(fill) + 1))[:room] + tail
    path = tmp_path / spec["name"]
    path.write_bytes(data)
    return data, spec["name"], path


def _run_cli(world: World, spec: dict, path: Path) -> Outcome:
    values = {**world.values, "file": str(path)}
    args = _fill(spec.get("args") or spec["cli"], values)
    result = world.app.test_cli_runner().invoke(args=args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.output)


def _run_page(world: World, spec: dict, data: bytes, name: str) -> Outcome:
    method, url = _fill(spec["page"], world.values).split(" ", 1)
    fields: dict[str, Any] = _fill(spec.get("fields", {}), world.values)
    if spec.get("form_values"):
        fields.update(json.loads(data))
    elif spec.get("text"):
        fields[spec["text"]] = data.decode("utf-8")
    elif spec.get("upload"):
        fields[spec["upload"]] = FileStorage(io.BytesIO(data), name)
    for field_name, attachment in spec.get("attach", {}).items():
        path = CORPUS / attachment
        fields[field_name] = FileStorage(io.BytesIO(path.read_bytes()), path.name)
    client = world.client(spec["as"])
    with fresh_context(world.app):
        if method == "GET":
            response = client.get(url, query_string=fields)
        else:
            # Built in memory: the test client would spool a large body to a temporary file
            # that a refused (413) request never closes.
            boundary, body = encode_multipart(fields)
            response = client.open(
                url,
                method=method,
                data=body,
                content_type=f"multipart/form-data; boundary={boundary}",
            )
    return Outcome(response.status_code, response.get_data(as_text=True))


def _run_api(world: World, spec: dict, data: bytes) -> Outcome:
    method, url = _fill(spec.get("url") or spec["api"], world.values).split(" ", 1)
    body = data.replace(b'"{provider_id}"', world.values["provider_id"].encode())
    headers = {
        **world.tokens[spec["as"]],
        **spec.get("headers", {}),
        "Content-Type": "application/json",
    }
    with fresh_context(world.app):
        response = world.app.test_client().open(url, method=method, data=body, headers=headers)
    return Outcome(response.status_code, response.get_data(as_text=True), response.get_json())


def send(world: World, case: Case, tmp_path: Path) -> Outcome:
    data, name, path = _content(case.entry, tmp_path)
    if "cli" in case.spec:
        return _run_cli(world, case.spec, path)
    if "page" in case.spec:
        return _run_page(world, case.spec, data, name)
    return _run_api(world, case.spec, data)


# --- reading the error -------------------------------------------------------------------------


def page_text(page: str) -> str:
    """Return the visible text of a page, one line per block."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", page)
    page = re.sub(r"(?i)</?(p|li|tr|div|h\d|section|br|td|th)\b[^>]*>", "\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _import_rows(page: str) -> list[str]:
    """Return the CSV import preview's problems as 'line N, column: message' lines."""
    cell = r'<td data-label="{}">(.*?)</td>'
    rows = re.findall(
        cell.format("Line") + r"\s*" + cell.format("Column") + r"\s*" + cell.format("Problem"),
        page,
        re.S,
    )
    lines = [html.unescape(f"line {n}, {column}: {message}") for n, column, message in rows]
    alert = re.search(r'<div class="alert alert-danger".*?</div>', page, re.S)
    return lines + (page_text(alert.group(0)).splitlines() if alert else [])


def _problems(page: str) -> list[str]:
    items = re.findall(r"<li><code>(.*?)</code>: (.*?)</li>", page, re.S)
    return [html.unescape(f"{where}: {message}") for where, message in items]


def _says(lines: list[str], where: str | None, message: str) -> bool:
    """Tell whether one line names the place, then holds the message."""
    for line in lines:
        if where is None:
            if message in line:
                return True
            continue
        at = line.find(f"{where}: ")
        if at >= 0 and message in line[at + len(where) :]:
            return True
    return False


def check_refusal(case: Case, outcome: Outcome) -> None:
    spec, entry = case.spec, case.entry
    where, message = entry.get("where"), entry.get("message", "")
    shown = outcome.text[:3000]
    if "cli" in spec:
        assert outcome.status == spec["exit_code"], shown
    else:
        assert outcome.status == spec["status"], shown
    style = spec["errors"]
    if style == "lines":
        assert _says(outcome.text.splitlines(), where, message), shown
    elif style == "import-rows":
        assert _says(_import_rows(outcome.text), where, message), _import_rows(outcome.text)
    elif style == "problems":
        assert _says(_problems(outcome.text), where, message), _problems(outcome.text)
    elif style == "field":
        feedback = re.search(rf'id="{re.escape(where)}-error"[^>]*>(.*?)</div>', outcome.text, re.S)
        assert feedback, f"no error on the field {where}: {page_text(outcome.text)[:2000]}"
        assert message in html.unescape(feedback.group(1)), feedback.group(1)
        name = re.escape(where)
        marked = rf'name="{name}"[^>]*is-invalid|is-invalid[^>]*name="{name}"'
        assert re.search(marked, outcome.text), f"the field {where} is not marked invalid"
    elif style == "page-text":
        text = page_text(outcome.text)
        assert message in text, text[:2000]
        assert where is None or where in text, text[:2000]
    elif style == "json":
        error = (outcome.json or {}).get("error")
        assert error is not None, shown
        assert error["field"] == where, error
        assert message in error["message"], error
    else:  # pragma: no cover - a typo in the manifest
        raise AssertionError(f"unknown error style {style!r}")


def check_sanitised(case: Case, outcome: Outcome) -> None:
    assert outcome.status == 200, outcome.text[:3000]
    assert case.entry["shown"] in page_text(outcome.text), page_text(outcome.text)[:3000]
    assert case.entry["absent"] not in outcome.text


# --- the tests ---------------------------------------------------------------------------------


def _try(world: World, case: Case, tmp_path: Path) -> str | None:
    """Send one input; return what went wrong, or None when it was refused as it must be."""
    before = database_fingerprint()
    try:
        outcome = send(world, case, tmp_path)
        if case.entry.get("sanitised"):
            check_sanitised(case, outcome)
        else:
            check_refusal(case, outcome)
    except Exception as exc:  # a 500 reaches the test client as the view's exception
        return f"{case.id}: {type(exc).__name__}: {str(exc)[:1500]}"
    after = database_fingerprint()
    changed = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    if changed:
        return f"{case.id}: the refused input changed {', '.join(changed)}"
    return None


# One test per entry point (building the association once per test keeps this quick); each
# input is checked on its own and every failure is reported.
@pytest.mark.parametrize("via", VIAS)
def test_hostile_inputs_are_refused_clearly_and_write_nothing(world, via, tmp_path):
    cases = [c for c in CASES if c.via == via]
    if "as" in ENTRY_POINTS[via]:
        world.client(ENTRY_POINTS[via]["as"])  # signing in writes; do it before the first check
    failures = [f for f in (_try(world, case, tmp_path) for case in cases) if f]
    assert not failures, "\n\n".join(failures)


def test_the_manifest_and_the_corpus_folder_agree():
    listed = {e["file"] for e in MANIFEST["entries"] if "file" in e}
    setup = {"xapi/stored_statement.json", "uploads/certificate_ok.pdf"}
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "manifest.yaml"
    }
    assert listed | setup == on_disk
    for entry in MANIFEST["entries"]:
        assert set(entry["via"]) <= ENTRY_POINTS.keys(), entry
        assert entry.get("sanitised") or "message" in entry, entry
        size = (CORPUS / entry["file"]).stat().st_size if "file" in entry else 0
        assert size < 16_000, f"{entry['file']} is large; generate it in the test instead"


def test_a_good_file_through_the_same_door_is_accepted(world, tmp_path):
    """The refusals are about the input: the same entry points take a correct file."""
    good = tmp_path / "good.csv"
    good.write_text("email,training_code,date,hours\nana@example.test,NBO-101,2024-03-05,3\n")
    before = database_fingerprint()
    result = world.app.test_cli_runner().invoke(
        args=["courses", "import-completions", str(good), "--as", world.values["trainer"]]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 1 completion(s)" in result.output
    with fresh_context(world.app):
        response = world.app.test_client().post(
            "/xapi/statements",
            data=(CORPUS / "xapi" / "valid_statement.json").read_bytes(),
            headers={
                **world.tokens["trainer"],
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
            },
        )
    assert response.status_code == 200, response.get_data(as_text=True)
    after = database_fingerprint()
    # The fingerprint sees accepted writes: the completions, the ledger and the audit log.
    for table in ("courses_completion", "competencies_evidence", "lms_auditlog"):
        assert after[table][0] > before[table][0], table


def test_the_fingerprint_sees_an_edit_but_not_a_token_being_used(world):
    from lms.models import ApiToken, User

    before = database_fingerprint()
    ApiToken.update(last_used_at=None).execute()
    assert database_fingerprint() == before
    User.update(display_name="Ana Ortiz-Changed").where(User.email == "ana@example.test").execute()
    after = database_fingerprint()
    assert after["lms_user"][0] == before["lms_user"][0]
    assert after["lms_user"] != before["lms_user"]
    assert [t for t in before if before[t] != after[t]] == ["lms_user"]
