"""Accounts and tenants: users, associations, agencies, memberships, tokens, the audit log."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from lms.db import BaseModel


def utcnow() -> dt.datetime:
    """Return the current UTC time, naive (every stored time is UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Association(BaseModel):
    """A state IMH association: one tenant with its own rules."""

    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=200)
    renewal_due = pw.CharField(max_length=5, default="12-31")  # MM-DD
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    def __str__(self) -> str:
        return self.name


class Agency(BaseModel):
    """An employer of clinicians, inside one association."""

    association = pw.ForeignKeyField(Association, backref="agencies", on_delete="RESTRICT")
    name = pw.CharField(max_length=200)
    city = pw.CharField(max_length=100, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("association", "name"), True),)


class User(BaseModel):
    """A person who signs in; roles come from memberships."""

    email = pw.CharField(max_length=254, unique=True)  # stored lower-case
    display_name = pw.CharField(max_length=320)
    password_hash = pw.CharField(max_length=255, null=True)
    active = pw.BooleanField(default=True)
    session_version = pw.IntegerField(default=1)
    city = pw.CharField(max_length=100, default="")
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The version travels in the session and remember cookie, so bumping it ends both.
        return f"{self.id}:{self.session_version}"

    @classmethod
    def by_email(cls, email: str) -> pw.ModelSelect:
        return cls.select().where(cls.email == normalise_email(email))

    def __str__(self) -> str:
        return self.display_name


def normalise_email(email: str) -> str:
    """Return the stored form of an email address (trimmed, lower-case)."""
    return (email or "").strip().lower()


class Membership(BaseModel):
    """A role a user holds in an association (admin: association may be empty)."""

    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    association = pw.ForeignKeyField(
        Association, backref="memberships", null=True, on_delete="RESTRICT"
    )
    agency = pw.ForeignKeyField(Agency, backref="memberships", null=True, on_delete="SET NULL")
    role = pw.CharField(max_length=32)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "association", "role"), True), (("association", "role"), False))


class Invitation(BaseModel):
    """A single-use, expiring link that lets an invited user set a password."""

    user = pw.ForeignKeyField(User, backref="invitations", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)


class ApiToken(BaseModel):
    """A personal API token, stored hashed, scoped to one role in one association."""

    user = pw.ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    association = pw.ForeignKeyField(Association, null=True, backref="+", on_delete="RESTRICT")
    role = pw.CharField(max_length=32)
    name = pw.CharField(max_length=100)
    prefix = pw.CharField(max_length=16)
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_used_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)


class AuditLog(BaseModel):
    """One append-only row per change: who did what to which record, chained by keyed MACs."""

    at = pw.DateTimeField(default=utcnow)
    actor_id = pw.IntegerField(null=True)
    action = pw.CharField(max_length=64)
    object_type = pw.CharField(max_length=64)
    object_id = pw.CharField(max_length=64)
    association_id = pw.IntegerField(null=True)
    before = pw.TextField(null=True)
    after = pw.TextField(null=True)
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64, unique=True)  # HMAC-SHA256 under LMS_AUDIT_KEY
    key_id = pw.CharField(max_length=16, default="")  # which audit key sealed the row

    class Meta:
        indexes = ((("object_type", "object_id"), False), (("association_id", "at"), False))


class ReminderSent(BaseModel):
    """A reminder already sent, so cron commands never send the same one twice."""

    key = pw.CharField(max_length=200, unique=True)
    sent_at = pw.DateTimeField(default=utcnow)


MODELS = (Association, Agency, User, Membership, Invitation, ApiToken, AuditLog, ReminderSent)
