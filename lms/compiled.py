"""Run fixed-shape queries a page runs on every request from SQL text built once per shape.

peewee builds a query's SQL text anew on every call, walking its tree: for the few short
selects every signed-in page runs (who is asking, their roles), building cost more than
running. `select` builds the text once per process, database class and parameter style (so
SQLite and PostgreSQL in one process never share a text), with placeholders where a call's
values go, and reads the rows through the same query's cursor wrapper, so the rows are the
model objects (joined ones included) the query itself would return.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import peewee as pw

from lms.db import db


class Slot:
    """A value of the call in a compiled query: `values[index]` at execution."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def slot(index: int) -> pw.Value:
    """Stand for the call's `values[index]`, passed to the driver as the caller gives it."""
    return pw.Value(Slot(index), converter=False)


_COMPILED: dict[tuple, tuple[pw.Query, str, list]] = {}
_lock = threading.Lock()


def compiled(name: str, build: Callable[..., pw.Query], slots: int) -> tuple[pw.Query, str, list]:
    """Return (query, SQL text, parameters with Slots) of `build(slot(0), …)`, built once.

    `name` stands for one shape: `build` must give the same query for it every time.
    """
    database = db.obj
    key = (name, type(database), database.param)
    found = _COMPILED.get(key)
    if found is None:
        query = build(*(slot(i) for i in range(slots)))
        sql, params = query.sql()
        with _lock:
            found = _COMPILED.setdefault(key, (query, sql, params))
    return found


def select(
    name: str, build: Callable[..., pw.Query], values: Sequence[Any]
) -> pw.BaseModelCursorWrapper:
    """Run the compiled `build` with these values (already as the database takes them);
    return its rows as the query itself would."""
    query, sql, params = compiled(name, build, len(values))
    cursor = db.execute_sql(sql, [values[p.index] if type(p) is Slot else p for p in params])
    return query._get_cursor_wrapper(cursor)
