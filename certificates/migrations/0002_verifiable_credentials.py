"""Key ids and several keys per association; per certificate a status-list index and the
VC-JWT form of its credential; signed status lists.

Existing keys become `key-1` of their association. The one-key-per-association unique index
gives way to a unique (association, kid).
"""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    [Association] = stubs(Base, "lms_association")

    class StatusList(Base):
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        purpose = pw.CharField(max_length=20, default="revocation")
        credential = pw.TextField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "certificates_statuslist"
            indexes = ((("association", "purpose"), True),)

    # 0001 named the index after the model class, as peewee does.
    db.execute_sql('DROP INDEX IF EXISTS "signingkey_association_id"')
    db.execute_sql(
        "ALTER TABLE certificates_signingkey ADD COLUMN kid VARCHAR(32) NOT NULL DEFAULT 'key-1'"
    )
    db.execute_sql("ALTER TABLE certificates_signingkey ADD COLUMN retired_at TIMESTAMP NULL")
    db.execute_sql(
        'CREATE INDEX "signingkey_association_id" ON certificates_signingkey (association_id)'
    )
    db.execute_sql(
        'CREATE UNIQUE INDEX "signingkey_association_id_kid" '
        "ON certificates_signingkey (association_id, kid)"
    )
    db.execute_sql(
        "ALTER TABLE certificates_issuedcertificate ADD COLUMN status_index INTEGER NULL"
    )
    db.execute_sql("ALTER TABLE certificates_issuedcertificate ADD COLUMN credential_jwt TEXT NULL")
    db.execute_sql(
        'CREATE UNIQUE INDEX "issuedcertificate_association_id_status_index" '
        "ON certificates_issuedcertificate (association_id, status_index)"
    )
    db.create_tables([StatusList])
