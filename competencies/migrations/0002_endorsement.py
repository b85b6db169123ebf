"""Create endorsements (awarded or recorded for existing endorsees)."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User, Pathway = stubs(Base, "lms_association", "lms_user", "competencies_pathway")

    class Endorsement(Base):
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        category = pw.CharField(max_length=20)
        number = pw.CharField(max_length=40)
        awarded_on = pw.DateField()
        renewal_due = pw.DateField()
        status = pw.CharField(max_length=12, default="active")
        pathway = pw.ForeignKeyField(Pathway, null=True, backref="+")
        created_at = pw.DateTimeField()
        recorded_by = pw.ForeignKeyField(User, null=True, backref="+")

        class Meta:
            table_name = "competencies_endorsement"
            indexes = ((("association", "number"), True), (("clinician", "status"), False))

    db.create_tables([Endorsement])
