"""Collect every problem of a document while normalising it (shared by rule sets and node types).

Messages name the path of the value (``categories.IMHS.requires.all_of[0].training_hours.min``)
and what was wrong with it; tests compare them, so they change only on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from competencies.types import EDUCATION_LEVELS, Problem

ERS = "ERS"  # Endorsed Reflective Supervisor add-on: a credential, not a category


class Checker:
    """Collect problems while normalising a document."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.errors.append(Problem(where, message))

    def mapping(self, value: Any, where: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(where, f"must be a mapping, got {kind_of(value)}")
            return None
        return value

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
        if not isinstance(value, str) or not value.strip():
            self.add(path, f"must be a non-empty string, got {kind_of(value)}")
            return None
        return value

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
        ok_type = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_type):
            want = "a whole number" if integer else "a number"
            self.add(path, f"must be {want}, got {kind_of(value)}")
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.add(path, "must be a finite number")
            return None
        if value < low:
            self.add(path, f"must not be less than {low:g}, got {value:g}")
            return None
        if high is not None and value > high:
            self.add(path, f"must not be more than {high:g}, got {value:g}")
            return None
        return value

    def boolean(self, doc: Mapping[str, Any], key: str, where: str, default: bool):
        if key not in doc:
            return default
        value = doc[key]
        if not isinstance(value, bool):
            self.add(join(where, key), f"must be true or false, got {kind_of(value)}")
            return default
        return value

    def str_list(
        self,
        value: Any,
        where: str,
        *,
        allowed: Iterable[str] | None = None,
        nonempty: bool = False,
    ) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.add(where, f"must be a list, got {kind_of(value)}")
            return None
        allowed_set = None if allowed is None else tuple(allowed)
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.add(f"{where}[{i}]", f"must be a non-empty string, got {kind_of(item)}")
            elif allowed_set is not None and item not in allowed_set:
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
