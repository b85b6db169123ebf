"""Drop the completions' single-column indexes on clinician and association.

Each leads a composite index already, the natural key (clinician, training, completed_on,
live) and (association, source, external_id), which serves the same lookups and the
foreign-key checks; keeping both cost every completion insert an extra B-tree write.
"""


def up(migrator, db):
    for name in ("completion_clinician_id", "completion_association_id"):
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
