"""Create providers' credentials and RSC sessions."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User, Evidence = stubs(
        Base, "lms_association", "lms_user", "competencies_evidence"
    )

    class ProviderCredential(Base):
        provider = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        code = pw.CharField(max_length=20)
        valid_from = pw.DateField()
        recorded_by = pw.ForeignKeyField(User, null=True, backref="+")
        created_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "supervision_providercredential"
            indexes = ((("provider", "association", "code"), False),)

    class RscSession(Base):
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        provider = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        occurred_on = pw.DateField()
        hours = pw.DoubleField()
        format = pw.CharField(max_length=12)
        facilitated = pw.BooleanField(default=False)
        group_size = pw.IntegerField(null=True)
        about_giving_rsc = pw.BooleanField(default=False)
        private_note = pw.TextField(default="")
        entered_by = pw.ForeignKeyField(User, backref="+")
        status = pw.CharField(max_length=12, default="pending")
        reject_reason = pw.TextField(default="")
        signed_name = pw.CharField(max_length=200, default="")
        signed_at = pw.DateTimeField(null=True)
        meaning = pw.CharField(max_length=200, default="")
        content_hash = pw.CharField(max_length=64, default="")
        evidence = pw.ForeignKeyField(Evidence, null=True, backref="+", on_delete="SET NULL")
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "supervision_rscsession"
            indexes = (
                (("provider", "status"), False),
                (("clinician", "occurred_on"), False),
                (("association", "status", "created_at"), False),
            )

    db.create_tables([ProviderCredential, RscSession])
