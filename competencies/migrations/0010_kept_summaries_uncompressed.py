"""Kept summaries are stored as they are on PostgreSQL, not compressed again by the server.

A kept summary (about 5.5 kB pickled at 300 ledger rows) is over the server's 2 kB threshold, so
PostgreSQL compressed it (pglz, to about 2.4 kB) and inflated it on every read: 9 of the 28 ms
that reading 1,000 of them took, in the cold readiness report at size S. SQLite keeps them
uncompressed, by the same choice (`competencies.kept_summaries.dumps`): read time over room.
Rows already kept stay compressed until they are kept again.
"""

import peewee as pw


def up(migrator, db):
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql(
            "ALTER TABLE competencies_keptsummary ALTER COLUMN data SET STORAGE EXTERNAL"
        )
