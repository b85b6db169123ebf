"""Issued certificates (frozen PDF bytes with their hash and code) and association signing keys."""

from __future__ import annotations

import peewee as pw

from lms import vocabulary
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
# Names of the statuses ("suspended" is shown for a valid certificate on hold).
STATUS_LABELS = {
    "valid": "Valid",
    "superseded": "Superseded",
    "revoked": "Revoked",
    "suspended": "Suspended",
}
vocabulary.register("certificate_kind", KIND_WORDS)
vocabulary.register("certificate_status", STATUS_LABELS)


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
    # Suspension (endorsements, e.g. pending an ethics review): reversible, unlike revocation.
    # The status stays "valid"; a suspended certificate has suspended_at set.
    suspended_at = pw.DateTimeField(null=True)
    suspended_reason = pw.TextField(default="")
    suspended_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    credential = pw.TextField(null=True)  # endorsement: the signed Open Badges 3.0 JSON
    credential_jwt = pw.TextField(null=True)  # endorsement: the same credential as a VC-JWT
    status_index = pw.IntegerField(null=True)  # endorsement: its bit in the status list
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("holder", "kind", "status"), False),
            (("association", "kind", "issued_on"), False),
            (("association", "status_index"), True),
        )

    @property
    def kind_word(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)


class SigningKey(BaseModel):
    """One of an association's Ed25519 keys, named by its key id (`key-1`, `key-2`, ...).

    The newest unretired key signs; every key stays listed in the DID document, so credentials
    signed before a rotation keep verifying. The private half is encrypted with
    LMS_SIGNING_KEY_SECRET, never with the session secret.
    """

    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    kid = pw.CharField(max_length=32, default="key-1")
    public_key = pw.CharField(max_length=64)  # raw 32 bytes, hex
    private_key = pw.TextField()  # Fernet token of the raw 32-byte private key
    created_at = pw.DateTimeField(default=utcnow)
    retired_at = pw.DateTimeField(null=True)  # no longer signs; still verifies

    class Meta:
        indexes = ((("association", "kid"), True),)


class StatusList(BaseModel):
    """An association's signed BitstringStatusListCredential of one purpose ("revocation" or
    "suspension"), rewritten in the transaction that changes one of its bits."""

    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    purpose = pw.CharField(max_length=20, default="revocation")
    credential = pw.TextField()  # the signed BitstringStatusListCredential JSON
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("association", "purpose"), True),)


MODELS = (IssuedCertificate, SigningKey, StatusList)
