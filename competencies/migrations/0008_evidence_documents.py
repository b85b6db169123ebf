"""Documents behind ledger rows: a clinician's diploma, work letter or membership card.

The bytes are kept in the database (as courses keeps self-reported certificates), so they are
never under the web root, are backed up with the records they support and read the same on
SQLite and PostgreSQL. A document is never deleted with its row: rows are voided, not deleted.
"""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    User, Evidence = stubs(Base, "lms_user", "competencies_evidence")

    class EvidenceDocument(Base):
        evidence = pw.ForeignKeyField(Evidence, backref="+", on_delete="RESTRICT")
        filename = pw.CharField(max_length=200)
        content_type = pw.CharField(max_length=40)
        size = pw.IntegerField()
        sha256 = pw.CharField(max_length=64)
        data = pw.BlobField()
        uploaded_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "competencies_evidencedocument"

    db.create_tables([EvidenceDocument])
