"""Kept readiness rows know how long they hold; the ledger index covers the summary queries.

`competencies_standing.valid_until` is the first day on which a kept row's evaluation could
change with no ledger write (a month boundary, a supervision window closing, a membership
ending, ...): the row is used from its day up to the day before. Rows kept before this
migration have none and hold for their own day only, as before.

The ledger's (association, clinician, kind, status) index becomes one that also carries the
columns the readiness summaries read (date, hours, tags, areas), so those aggregates are read
from the index alone instead of one table row per ledger row. It replaces the old index (its
leading columns serve the same lookups), so a ledger insert still writes one B-tree for it.
"""

INDEX = "evidence_association_id_clinician_id_kind_status"
COVERING = "evidence_summary_cover"
TABLE = "competencies_evidence"


def up(migrator, db):
    import peewee as pw

    db.execute_sql("ALTER TABLE competencies_standing ADD COLUMN valid_until DATE NULL")
    keys = "association_id, clinician_id, kind, status, occurred_on"
    if isinstance(db, pw.SqliteDatabase):
        # SQLite has no INCLUDE; every index entry carries the rowid (the id) already.
        db.execute_sql(f'CREATE INDEX "{COVERING}" ON {TABLE} ({keys}, hours, tags, areas)')
    else:
        db.execute_sql(
            f'CREATE INDEX "{COVERING}" ON {TABLE} ({keys}) INCLUDE (hours, tags, areas, id)'
        )
    db.execute_sql(f'DROP INDEX IF EXISTS "{INDEX}"')
