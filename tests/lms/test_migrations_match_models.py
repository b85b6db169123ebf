"""The migrations build the tables the models describe: every model of every plugin has its
table, with the same columns and the same nullability, on SQLite and PostgreSQL. (The models
are not used to create tables anywhere; a migration that forgets a column fails here, not in
production.) Also: the frozen-model helpers that migrations share."""

from __future__ import annotations

import peewee as pw

from lms.db import db
from lms.frozen import frozen_base, stubs

# JSON text columns created nullable by their first migrations; the models never write NULL
# (their default is an empty document), so the table is only more permissive than the model.
NULLABLE_IN_TABLE_ONLY = {
    "competencies_evidence.details",
    "courses_training.areas",
    "courses_xapistatement.body",
    "courses_idempotencykey.response",
}


def _models(app):
    core = __import__("lms.models", fromlist=["MODELS"]).MODELS
    return list(core) + [m for p in app.extensions["lms.plugins"] for m in p.models]


def test_every_model_matches_its_migrated_table(app):
    tables = set(db.get_tables())
    problems = []
    for model in _models(app):
        table = model._meta.table_name
        if table not in tables:
            problems.append(f"{table}: no table")
            continue
        have = {c.name: c.null for c in db.get_columns(table)}
        want = {f.column_name: f.null for f in model._meta.sorted_fields}
        for column in sorted(set(want) - set(have)):
            problems.append(f"{table}.{column}: in the model, not in the table")
        for column in sorted(set(have) - set(want)):
            problems.append(f"{table}.{column}: in the table, not in the model")
        for column in sorted(set(want) & set(have)):
            if f"{table}.{column}" in NULLABLE_IN_TABLE_ONLY and have[column]:
                continue
            if want[column] != have[column] and not isinstance(
                model._meta.columns[column], pw.AutoField
            ):
                problems.append(f"{table}.{column}: null={have[column]}, model null={want[column]}")
    assert problems == [], "\n".join(problems)


def test_frozen_base_and_stubs():
    database = pw.SqliteDatabase(":memory:")
    Base = frozen_base(database)
    association, user = stubs(Base, "lms_association", "lms_user")
    assert association._meta.table_name == "lms_association"
    assert user._meta.table_name == "lms_user"
    assert association._meta.database is database and issubclass(user, Base)

    class Thing(Base):
        owner = pw.ForeignKeyField(user, backref="+")

    assert Thing._meta.fields["owner"].rel_model._meta.table_name == "lms_user"
