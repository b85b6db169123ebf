"""Collect every problem of a document while normalising it (shared by rule sets and node types).

Messages name the path of the value (``categories.IMHS.requires.all_of[0].training_hours.min``)
and what was wrong with it; tests compare them, so they change only on purpose.

Every value is validated by pydantic (strict types: a number is not a boolean or a text, a whole
number is not 2.0; finite; within bounds), and `_wording` turns pydantic's error into the
checker's words; the value itself is kept as the document gave it (1 stays 1, not 1.0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from competencies.types import EDUCATION_LEVELS, Problem
from lms.validation import problems

ERS = "ERS"  # Endorsed Reflective Supervisor add-on: a credential, not a category


_MAPPING: TypeAdapter[Mapping[Any, Any]] = TypeAdapter(Mapping[Any, Any])
_TEXT: TypeAdapter[str] = TypeAdapter(Annotated[str, StringConstraints(pattern=r"\S")])
_ITEM: TypeAdapter[str] = TypeAdapter(Annotated[str, StringConstraints(min_length=1)])
_LIST: TypeAdapter[list[Any]] = TypeAdapter(list[Any])
_BOOLEAN: TypeAdapter[bool] = TypeAdapter(bool)


@lru_cache(maxsize=64)
def _number(integer: bool, low: float, high: float | None) -> TypeAdapter[Any]:
    kind = int if integer else float
    return TypeAdapter(Annotated[kind, Field(ge=low, le=high, allow_inf_nan=False)])


def _wording(error: ErrorDetails) -> str:
    """Say what pydantic found wrong with one value, in the checker's words."""
    value, ctx = error["input"], error.get("ctx") or {}
    return {
        "dict_type": lambda: f"must be a mapping, got {kind_of(value)}",
        "mapping_type": lambda: f"must be a mapping, got {kind_of(value)}",
        "string_type": lambda: f"must be a non-empty string, got {kind_of(value)}",
        "string_pattern_mismatch": lambda: f"must be a non-empty string, got {kind_of(value)}",
        "string_too_short": lambda: f"must be a non-empty string, got {kind_of(value)}",
        "list_type": lambda: f"must be a list, got {kind_of(value)}",
        "bool_type": lambda: f"must be true or false, got {kind_of(value)}",
        "float_type": lambda: f"must be a number, got {kind_of(value)}",
        "int_type": lambda: f"must be a whole number, got {kind_of(value)}",
        "finite_number": lambda: "must be a finite number",
        "greater_than_equal": lambda: f"must not be less than {ctx.get('ge', 0):g}, got {value:g}",
        "less_than_equal": lambda: f"must not be more than {ctx.get('le', 0):g}, got {value:g}",
    }.get(error["type"], lambda: error["msg"])()


class Checker:
    """Collect problems while normalising a document."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.errors.append(Problem(where, message))

    def valid(self, adapter: TypeAdapter[Any], value: Any, where: str, **options: Any) -> bool:
        """Validate `value` with pydantic; report its problems at `where`; say if it passed."""
        try:
            adapter.validate_python(value, **options)
        except ValidationError as exc:
            for path, message in problems(exc, _wording, prefix=where):
                self.add(path, message)
            return False
        return True

    def mapping(self, value: Any, where: str) -> Mapping[str, Any] | None:
        return value if self.valid(_MAPPING, value, where) else None

    def keys(self, doc: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in doc:
            if key not in allowed:
                self.add(join(where, str(key)), f"unknown key (allowed: {', '.join(allowed)})")

    def string(self, doc: Mapping[str, Any], key: str, where: str, required: bool = True):
        path = join(where, key)
        if key not in doc:
            if required:
                self.add(path, "is required")
            return None
        value = doc[key]
        return value if self.valid(_TEXT, value, path, strict=True) else None

    def number(
        self,
        doc: Mapping[str, Any],
        key: str,
        where: str,
        *,
        required: bool = True,
        integer: bool = False,
        low: float = 0,
        high: float | None = None,
    ):
        path = join(where, key)
        if key not in doc:
            if required:
                self.add(path, "is required")
            return None
        value = doc[key]
        ok = self.valid(_number(integer, low, high), value, path, strict=True)
        return value if ok else None

    def boolean(self, doc: Mapping[str, Any], key: str, where: str, default: bool):
        if key not in doc:
            return default
        value = doc[key]
        return value if self.valid(_BOOLEAN, value, join(where, key), strict=True) else default

    def str_list(
        self,
        value: Any,
        where: str,
        *,
        allowed: Iterable[str] | None = None,
        nonempty: bool = False,
    ) -> tuple[str, ...] | None:
        if not self.valid(_LIST, value, where, strict=True):
            return None
        allowed_set = None if allowed is None else tuple(allowed)
        out: list[str] = []
        for i, item in enumerate(value):
            if not self.valid(_ITEM, item, f"{where}[{i}]", strict=True):
                continue
            if allowed_set is not None and item not in allowed_set:
                self.add(
                    f"{where}[{i}]", f"unknown value {item!r} (allowed: {', '.join(allowed_set)})"
                )
            elif item in out:
                self.add(f"{where}[{i}]", f"{item!r} is listed twice")
            else:
                out.append(item)
        if nonempty and not value:
            self.add(where, "must not be empty")
        return tuple(out)


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def check_credential(ck: Checker, cred: str, where: str, categories: Iterable[str]) -> None:
    """Check a credential: a category code or ERS, optionally ":<education level>"."""
    base, _, suffix = cred.partition(":")
    if base != ERS and base not in categories:
        ck.add(where, f"unknown category {base!r} in {cred!r}")
    if suffix and suffix not in EDUCATION_LEVELS:
        ck.add(where, f"unknown education level {suffix!r} in {cred!r}")
