"""Refuse control characters in what people send: form fields, file names, query and path values.

No field of the app means a control character; PostgreSQL cannot store NUL in text at all, and
the others hide or garble text for whoever reads it later. Tab, line feed and carriage return
are ordinary text and pass. A request carrying one is answered 400 naming the field, before a
view or service sees it. API bodies are checked by `lms.api.json_body` with `find_control`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, Request, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from lms.security import limiter

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The largest id an integer column holds (PostgreSQL's serial); larger ones overflow the driver.
MAX_ID = 2**31 - 1


class FieldRefused(BadRequest):
    """A 400 whose message names the field; pages and the API show that message."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class ControlCharacter(FieldRefused):
    """A value holds a control character; `field` names where."""

    def __init__(self, field: str, char: str) -> None:
        super().__init__(
            field,
            f"“{field}” contains a control character (U+{ord(char):04X}); "
            "remove it and send again.",
        )


_WHOLE = re.compile(r"[0-9]{1,10}")


def int_arg(
    name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID
) -> int | None:
    """Return the query parameter `name` as an int within [minimum, maximum], else `default`
    when it is absent or empty.

    Anything else (a sign, a fraction, an exponent, letters, too many digits) is a 400 naming
    the parameter: a silent default would show the wrong page, and an unbounded value would
    overflow the database driver.
    """
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    raw = raw.strip()
    value = int(raw) if _WHOLE.fullmatch(raw) else None
    if value is None or not minimum <= value <= maximum:
        raise FieldRefused(
            name, f"“{name}” must be a whole number from {minimum} to {maximum}; got {raw[:20]!r}."
        )
    return value


def control_in(text: str) -> str | None:
    """Return the first control character in the text, or None."""
    match = _CONTROL.search(text)
    return match.group(0) if match else None


def check_pairs(pairs: Iterable[tuple[str, Any]]) -> None:
    """Raise ControlCharacter for the first name or text value holding a control character."""
    for name, value in pairs:
        if char := control_in(name):
            raise ControlCharacter("a field name", char)
        if isinstance(value, str) and (char := control_in(value)):
            raise ControlCharacter(name, char)


def find_control(value: Any, path: str = "", *, brackets: bool = False) -> tuple[str, str] | None:
    """Return (path, character) of the first control character in a JSON value, or None.

    Paths join keys with dots; list items are `.0` (pydantic's style) or `[0]` (`brackets`).
    """
    if isinstance(value, str):
        char = control_in(value)
        return (path or "(document)", char) if char else None
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, int) and brackets:
            where = f"{path}[{key}]"
        else:
            where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and (char := control_in(key)):
            return (path or "(document)", char)
        found = find_control(item, where, brackets=brackets)
        if found:
            return found
    return None


def control_line(text: str) -> tuple[int, str] | None:
    """Return (line number, character) of the first control character in a text, or None."""
    match = _CONTROL.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1, match.group(0)


def describe(char: str) -> str:
    """Say which control character this is, for an error message."""
    return f"contains a control character (U+{ord(char):04X}); remove it"


class CheckedRequest(Request):
    """A request whose form refuses control characters as soon as it is parsed."""

    def _load_form_data(self) -> None:
        parsed = "form" in self.__dict__
        super()._load_form_data()
        if parsed:
            return
        check_pairs(self.form.items(multi=True))
        check_pairs((name, f.filename or "") for name, f in self.files.items(multi=True))


DEFAULT_UPLOAD_LIMIT = "30 per minute"


def _upload_limit() -> str:
    return current_app.config.get("UPLOAD_LIMIT") or DEFAULT_UPLOAD_LIMIT


def _person_key() -> str:
    """Key a limit by the signed-in person (wherever they come from), else by address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


# One budget per person across every page that takes a document (framework, rule set,
# portfolio, completion CSV and its commit, LMS accounts CSV, certificate files, the hash
# check): each parses what it is sent, so many of them in a row cost the server, whichever.
upload_limit = limiter.shared_limit(
    _upload_limit, scope="upload", key_func=_person_key, methods=["POST"]
)


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: an integer no database column can hold matches no route (404)."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Check forms when they are parsed, and query and path values before every view.

    Call before any route is added: the `int` converter is bound when a rule is.
    """
    app.request_class = CheckedRequest
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _check_url() -> None:
        check_pairs(request.args.items(multi=True))
        check_pairs((request.view_args or {}).items())
