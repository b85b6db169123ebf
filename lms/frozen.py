"""Frozen models for migrations.

A migration describes its tables as they were when it was written, never through the app's
models (which change later). `frozen_base(db)` is the base of those descriptions, bound to the
database the migration runs on; `stubs` stands in for tables that exist already and that new
tables refer to by foreign key (only their `id` matters).
"""

from __future__ import annotations

import peewee as pw


def frozen_base(db: pw.Database) -> type[pw.Model]:
    """Return a model base bound to `db`, with no table naming of its own."""
    meta = type("Meta", (), {"database": db})
    return type("Base", (pw.Model,), {"Meta": meta, "__module__": __name__})


def stubs(base: type[pw.Model], *tables: str) -> tuple[type[pw.Model], ...]:
    """Return one stand-in model per existing table, in order."""
    return tuple(
        type(
            "".join(part.title() for part in table.split("_")),
            (base,),
            {"Meta": type("Meta", (), {"table_name": table}), "__module__": __name__},
        )
        for table in tables
    )
