"""Keep each open pathway's evaluated readiness row (the association report reads it)."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User, Pathway = stubs(Base, "lms_association", "lms_user", "competencies_pathway")

    class Standing(Base):
        pathway = pw.ForeignKeyField(Pathway, primary_key=True, backref="+", on_delete="CASCADE")
        clinician = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
        association = pw.ForeignKeyField(Association, backref="+", on_delete="CASCADE")
        generation = pw.IntegerField(default=0)
        computed = pw.IntegerField(null=True)
        as_of = pw.DateField(null=True)
        basis = pw.CharField(max_length=200, default="")
        progress = pw.DoubleField(default=0.0)
        ready = pw.BooleanField(default=False)
        projected = pw.DateField(null=True)
        status = pw.CharField(max_length=20, default="")
        flags = pw.TextField(default="[]")
        category_name = pw.CharField(max_length=200, default="")
        last_evidence_on = pw.DateField(null=True)

        class Meta:
            table_name = "competencies_standing"
            indexes = ((("clinician", "association"), False),)

    db.create_tables([Standing])
