"""Take over the workflow's tables from competencies: rename `competencies_<model>` to
`endorsement_<model>`, rows kept.

competencies' migration 0003 created these tables while the workflow was part of competencies;
it still runs first on every database (a plugin's migrations run in load order, and endorsement
requires competencies), so on a fresh database as on one in use the tables exist under their old
names here. Foreign keys follow the rename (SQLite since 3.26, PostgreSQL always); on PostgreSQL
the primary-key sequences are renamed too. Index and constraint names keep the ones 0003 gave
them, on every database alike.
"""

import peewee as pw
from playhouse.migrations import MigrationError

MODELS = (
    "application",
    "transition",
    "referencerequest",
    "review",
    "examsitting",
    "examregistration",
    "renewal",
    "registrylisting",
)


def _tables(db) -> set[str]:
    """Return the tables of the schema the connection works in (PostgreSQL: its search_path)."""
    if isinstance(db, pw.PostgresqlDatabase):
        (schema,) = db.execute_sql("SELECT current_schema()").fetchone()
        return set(db.get_tables(schema=schema))
    return set(db.get_tables())


def up(migrator, db):
    tables = _tables(db)
    for model in MODELS:
        old, new = f"competencies_{model}", f"endorsement_{model}"
        if new in tables:
            raise MigrationError(f"Table {new} already exists; {old} cannot be renamed to it.")
        if old not in tables:
            raise MigrationError(
                f"Table {old} is missing: apply competencies' migrations (0003_workflow) first."
            )
        migrator.migrate(migrator.rename_table(old, new))
