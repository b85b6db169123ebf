"""Imports flow one way: lms <- competencies <- courses, supervision, endorsement <- certificates,
lti.

A package imports only packages of an earlier level, never one of its own level or a later one
(an earlier package hears of a later one through a signal of lms/signals.py). Every import
counts, also those inside functions.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LEVELS = {
    "lms": 0,
    "competencies": 1,
    "courses": 2,
    "supervision": 2,
    "endorsement": 2,
    "certificates": 3,
    "lti": 3,
}


def _imports(package: str) -> list[tuple[str, str]]:
    """Return (file, imported top-level package) for every absolute import in a package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found.extend((str(path.relative_to(ROOT)), name.split(".")[0]) for name in names)
    return found


@pytest.mark.parametrize("package", sorted(LEVELS, key=LEVELS.get))
def test_a_package_imports_only_earlier_levels(package):
    imports = _imports(package)
    assert imports, f"{package} has no Python files under {ROOT}"
    wrong = [
        (path, imported)
        for path, imported in imports
        if imported in LEVELS and imported != package and LEVELS[imported] >= LEVELS[package]
    ]
    assert wrong == []


def test_every_plugin_package_has_a_level():
    from lms.config import DEFAULT_PLUGINS

    assert set(DEFAULT_PLUGINS) | {"lms"} == set(LEVELS)
    order = [LEVELS[name] for name in DEFAULT_PLUGINS]
    assert order == sorted(order)  # the plugin order loads every level before the next
