"""Allow display names of up to 320 characters (long legal names must fit on certificates)."""

import peewee as pw


def up(migrator, db):
    # SQLite does not enforce VARCHAR lengths; PostgreSQL does, so only it needs the change.
    if not isinstance(db, pw.SqliteDatabase):
        db.execute_sql("ALTER TABLE lms_user ALTER COLUMN display_name TYPE VARCHAR(320)")
