"""Create issued certificates and association signing keys."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User = stubs(Base, "lms_association", "lms_user")

    class IssuedCertificate(Base):
        kind = pw.CharField(max_length=20)
        holder = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        issuer = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="+")
        code = pw.CharField(max_length=16, unique=True)
        sha256 = pw.CharField(max_length=64, index=True)
        pdf = pw.BlobField()
        title = pw.CharField(max_length=300)
        category = pw.CharField(max_length=20, default="")
        source_ref = pw.CharField(max_length=80, default="")
        issued_on = pw.DateField()
        expires_on = pw.DateField(null=True)
        status = pw.CharField(max_length=12, default="valid")
        superseded_by = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")
        revoked_reason = pw.TextField(default="")
        revoked_by = pw.ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="+")
        revoked_at = pw.DateTimeField(null=True)
        credential = pw.TextField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "certificates_issuedcertificate"
            indexes = (
                (("holder", "kind", "status"), False),
                (("association", "kind", "issued_on"), False),
            )

    class SigningKey(Base):
        association = pw.ForeignKeyField(
            Association, unique=True, on_delete="RESTRICT", backref="+"
        )
        public_key = pw.CharField(max_length=64)
        private_key = pw.TextField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "certificates_signingkey"

    db.create_tables([IssuedCertificate, SigningKey])
