"""Give LMS account links an association and a source; make xAPI statement ids per association.

A link now serves the association that made it: unique on (association, home page, name),
with who made it (`coordinator`, `csv`, `lms`). A link a clinician typed before links needed
proof is kept as `claimed`, one row per association where its owner is a clinician; it names
nobody in an xAPI statement until a coordinator links the same account. The table is rebuilt
(SQLite cannot add a NOT NULL foreign key to a table in place).

Statement ids were unique across every association, so one association's id could collide
with, or reveal, another's: they are now unique per association.
"""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    User, Association = stubs(Base, "lms_user", "lms_association")

    class LmsAccount(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="CASCADE", backref="+", index=False)
        home_page = pw.CharField(max_length=500)
        name = pw.CharField(max_length=255)
        source = pw.CharField(max_length=12, default="coordinator")
        created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_lmsaccount_new"
            indexes = ((("association", "home_page", "name"), True), (("user",), False))

    for index in ("lmsaccount_home_page_name", "lmsaccount_user_id", "lmsaccount_created_by_id"):
        db.execute_sql(f'DROP INDEX IF EXISTS "{index}"')
    db.create_tables([LmsAccount])
    db.execute_sql(
        'INSERT INTO "courses_lmsaccount_new" '
        "(user_id, association_id, home_page, name, source, created_by_id, created_at) "
        "SELECT a.user_id, m.association_id, a.home_page, a.name, "
        "CASE WHEN a.created_by_id = a.user_id THEN 'claimed' ELSE 'coordinator' END, "
        "a.created_by_id, a.created_at "
        'FROM "courses_lmsaccount" a JOIN "lms_membership" m '
        "ON m.user_id = a.user_id AND m.role = 'clinician' AND m.association_id IS NOT NULL "
        "ORDER BY a.id, m.association_id"
    )
    db.execute_sql('DROP TABLE "courses_lmsaccount"')
    db.execute_sql('ALTER TABLE "courses_lmsaccount_new" RENAME TO "courses_lmsaccount"')
    if not isinstance(db, pw.SqliteDatabase):  # keep PostgreSQL's names those of a fresh table
        db.execute_sql(
            'ALTER SEQUENCE "courses_lmsaccount_new_id_seq" RENAME TO "courses_lmsaccount_id_seq"'
        )
        db.execute_sql(
            'ALTER INDEX "courses_lmsaccount_new_pkey" RENAME TO "courses_lmsaccount_pkey"'
        )

    for index in ("xapistatement_statement_id", "xapistatement_association_id"):
        db.execute_sql(f'DROP INDEX IF EXISTS "{index}"')
    db.execute_sql(
        'CREATE UNIQUE INDEX "xapistatement_association_id_statement_id" '
        'ON "courses_xapistatement" ("association_id", "statement_id")'
    )
