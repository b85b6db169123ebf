"""RSC providers' credentials and reflective supervision sessions with their attestation."""

from __future__ import annotations

import peewee as pw

from competencies.models import Evidence
from lms.db import BaseModel
from lms.models import Association, User, utcnow

FORMATS = ("individual", "group", "peer")
SESSION_STATUSES = ("pending", "attested", "rejected", "void")
MEANING = "I attest that I provided this reflective supervision"


class ProviderCredential(BaseModel):
    """An endorsement or add-on an association recorded for an RSC provider."""

    provider = pw.ForeignKeyField(User, backref="rsc_credentials", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    code = pw.CharField(max_length=20)  # "IMHS", "IMHM-C", "IFRS", "IFS", "IFS:master", "ERS"
    valid_from = pw.DateField()
    recorded_by = pw.ForeignKeyField(User, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    revoked_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "association", "code"), False),)


class RscSession(BaseModel):
    """One reflective supervision session of one clinician, and its attestation."""

    clinician = pw.ForeignKeyField(User, backref="rsc_sessions", on_delete="RESTRICT")
    provider = pw.ForeignKeyField(User, backref="rsc_given", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    occurred_on = pw.DateField()
    hours = pw.DoubleField()
    format = pw.CharField(max_length=12)
    facilitated = pw.BooleanField(default=False)
    group_size = pw.IntegerField(null=True)
    about_giving_rsc = pw.BooleanField(default=False)
    private_note = pw.TextField(default="")  # the clinician's only
    entered_by = pw.ForeignKeyField(User, backref="+")
    status = pw.CharField(max_length=12, default="pending")
    reject_reason = pw.TextField(default="")
    signed_name = pw.CharField(max_length=200, default="")
    signed_at = pw.DateTimeField(null=True)  # UTC
    meaning = pw.CharField(max_length=200, default="")
    content_hash = pw.CharField(max_length=64, default="")
    evidence = pw.ForeignKeyField(Evidence, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("provider", "status"), False),
            (("clinician", "occurred_on"), False),
            (("association", "status", "created_at"), False),
        )


MODELS = (ProviderCredential, RscSession)
