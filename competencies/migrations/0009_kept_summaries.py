"""Kept evidence summaries: re-evaluating a pathway whose ledger did not change reads one.

`competencies_keptsummary` holds, per clinician and association, the summary the evaluator
reads, pickled, with the ledger generation it was built at (bumped by every ledger write, as
the kept readiness rows' is), its day and the clinician's next evidence date after it. A new day
or a new rule set then re-evaluates from it, without the summary queries.
"""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    User, Association = stubs(Base, "lms_user", "lms_association")

    class KeptSummary(Base):
        association = pw.ForeignKeyField(Association, backref="+", on_delete="CASCADE")
        clinician = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
        generation = pw.IntegerField(default=0)
        computed = pw.IntegerField(null=True)
        as_of = pw.DateField(null=True)
        until = pw.DateField(null=True)
        shape = pw.CharField(max_length=64, default="")
        data = pw.BlobField(null=True)

        class Meta:
            table_name = "competencies_keptsummary"
            primary_key = pw.CompositeKey("association", "clinician")

    db.create_tables([KeptSummary])
