"""Turn pydantic validation errors into the "path: message" problems the app reports.

Documents (frameworks, rule-set values, xAPI statements) are validated by pydantic models whose
field validators raise `fail(message)` with the app's own wording; `problems` turns a
`ValidationError` into (path, message) pairs: the path dotted and indexed the way the app has
always written it (``domains[2].areas[0].id``, ``actor.account.name``), the message the
validator's own, or for pydantic's built-in checks (a missing key, an unknown key, a mapping
expected) the wording the caller gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

__all__ = [
    "PROBLEM",
    "Problem",
    "ProblemsError",
    "fail",
    "failures",
    "location",
    "problems",
]

PROBLEM = "problem"  # the error type of `fail`

Wording = Callable[[ErrorDetails], str | None]


@dataclass(frozen=True, slots=True)
class Problem:
    """One error found in an input, and where it is (a path, ``line 7``, ``file``, a header)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ProblemsError(ValueError):
    """An input could not be read; ``errors`` lists every problem found (`Problem`s, or the
    `lms.tabular.RowError`s of a file's rows, which also have ``where`` and ``message``)."""

    shown: ClassVar[int | None] = None  # how many problems the text lists (None: all)

    def __init__(self, errors: Iterable[Problem]) -> None:
        self.errors = list(errors)
        super().__init__(self.summary())

    def summary(self) -> str:
        """Return the text of the exception: the problems, separated by "; "."""
        listed = self.errors if self.shown is None else self.errors[: self.shown]
        text = "; ".join(str(e) for e in listed)
        hidden = len(self.errors) - len(listed)
        return f"{text} (and {hidden} more)" if hidden else text


def fail(message: str) -> PydanticCustomError:
    """Return the error a validator raises to report `message` as it is."""
    return PydanticCustomError(PROBLEM, "{message}", {"message": message})


def failures(found: Iterable[tuple[tuple[int | str, ...], str]]) -> ValidationError:
    """Return the error a validator raises to report several problems, each at its place.

    Places are relative to the value being validated (``()`` is the value itself), so a
    check of a whole mapping can name the key that is wrong, as a field validator would.
    """
    return ValidationError.from_exception_data(
        "document",
        [InitErrorDetails(type=fail(message), loc=loc, input=None) for loc, message in found],
    )


def location(loc: Iterable[int | str], prefix: str = "") -> str:
    """Return a pydantic location as a path: ``("domains", 2, "id")`` → ``domains[2].id``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out = f"{out}[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def problems(
    exc: ValidationError, wording: Wording | None = None, *, prefix: str = ""
) -> list[tuple[str, str]]:
    """Return (path, message) for each error, in pydantic's order.

    A `fail` error keeps its message; any other is worded by `wording` (given the error's
    details) or, when it returns None, by pydantic.
    """
    out: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        ctx = error.get("ctx") or {}
        if error["type"] == PROBLEM:
            message = str(ctx["message"])
        else:
            message = (wording(error) if wording else None) or error["msg"]
        out.append((location(error["loc"], prefix), message))
    return out
