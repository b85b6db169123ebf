"""Issued certificates (frozen PDF bytes with their hash and code) and association signing keys."""

from __future__ import annotations

import peewee as pw

from lms.db import BaseModel
from lms.models import Association, User, utcnow

KINDS = ("progress", "transcript", "completion", "endorsement")
KIND_WORDS = {
    "progress": "Progress certificate",
    "transcript": "Training transcript",
    "completion": "Certificate of completion",
    "endorsement": "Endorsement certificate",
}
STATUSES = ("valid", "superseded", "revoked")


class IssuedCertificate(BaseModel):
    """One issued document: its stored PDF is what every download serves, never re-rendered."""

    kind = pw.CharField(max_length=20)
    holder = pw.ForeignKeyField(User, backref="certificates", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    issuer = pw.ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    code = pw.CharField(max_length=16, unique=True)  # normalised: 16 Crockford base32 characters
    sha256 = pw.CharField(max_length=64, index=True)
    pdf = pw.BlobField()
    title = pw.CharField(max_length=300)
    category = pw.CharField(max_length=20, default="")
    source_ref = pw.CharField(max_length=80, default="")  # e.g. "endorsement:4", "evidence:17"
    issued_on = pw.DateField()
    expires_on = pw.DateField(null=True)
    status = pw.CharField(max_length=12, default="valid")
    superseded_by = pw.ForeignKeyField("self", null=True, backref="+", on_delete="SET NULL")
    revoked_reason = pw.TextField(default="")
    revoked_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    revoked_at = pw.DateTimeField(null=True)
    credential = pw.TextField(null=True)  # endorsement: the signed Open Badges 3.0 JSON
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("holder", "kind", "status"), False),
            (("association", "kind", "issued_on"), False),
        )

    @property
    def kind_word(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)


class SigningKey(BaseModel):
    """An association's Ed25519 key; the private half is stored encrypted with the app secret."""

    association = pw.ForeignKeyField(Association, unique=True, backref="+", on_delete="RESTRICT")
    public_key = pw.CharField(max_length=64)  # raw 32 bytes, hex
    private_key = pw.TextField()  # Fernet token of the raw 32-byte private key
    created_at = pw.DateTimeField(default=utcnow)


MODELS = (IssuedCertificate, SigningKey)
