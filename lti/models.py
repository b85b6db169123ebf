"""Platforms registered per association, the tool's keys, launches and the grade queue."""

from __future__ import annotations

import peewee as pw

from courses.models import Training
from lms.db import BaseModel
from lms.models import Association, User, utcnow


class Platform(BaseModel):
    """A learning platform (Moodle, Canvas, ...) registered by an association.

    A launch is found by (issuer, client id) under the association its URL names, so the same
    LMS registered by another association never launches into this one.
    """

    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    name = pw.CharField(max_length=200)
    issuer = pw.CharField(max_length=500)
    client_id = pw.CharField(max_length=255)
    auth_login_url = pw.CharField(max_length=500)
    auth_token_url = pw.CharField(max_length=500)
    key_set_url = pw.CharField(max_length=500)
    auth_audience = pw.CharField(max_length=500, default="")  # token "aud" if not the token URL
    frame_origins = pw.TextField(default="")  # space-separated origins allowed to frame us
    trusted_email = pw.BooleanField(default=False)  # link a first launch by the asserted email
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("association", "issuer", "client_id"), True),)


class Deployment(BaseModel):
    """A deployment id the platform sends in its launches (one per placement of the tool)."""

    platform = pw.ForeignKeyField(Platform, backref="deployments", on_delete="CASCADE")
    deployment_id = pw.CharField(max_length=255)

    class Meta:
        indexes = ((("platform", "deployment_id"), True),)


class ToolKey(BaseModel):
    """One RSA key the tool signs with for an association; the private half is encrypted."""

    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    kid = pw.CharField(max_length=100)
    public_pem = pw.TextField()
    private_key = pw.TextField()  # Fernet token of the PEM, see lti.keys
    created_at = pw.DateTimeField(default=utcnow)
    retired_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("association", "kid"), True),)


class LaunchValue(BaseModel):
    """PyLTI1p3's launch data storage: OIDC state, nonces and launch data, with an expiry.

    Kept in the database rather than the session cookie, which a browser does not send
    inside another site's iframe.
    """

    key = pw.CharField(max_length=255, unique=True)
    value = pw.TextField()
    expires_at = pw.DateTimeField(index=True)


class UsedNonce(BaseModel):
    """A nonce a launch used up: the unique key refuses a replayed id_token."""

    platform = pw.ForeignKeyField(Platform, backref="+", on_delete="CASCADE")
    nonce = pw.CharField(max_length=255)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        indexes = ((("platform", "nonce"), True),)


class Context(BaseModel):
    """A course of the platform the tool is placed in, with its service endpoints."""

    platform = pw.ForeignKeyField(Platform, backref="contexts", on_delete="CASCADE")
    context_id = pw.CharField(max_length=255)
    title = pw.CharField(max_length=255, default="")
    lineitems_url = pw.CharField(max_length=500, default="")
    ags_scopes = pw.TextField(default="")  # space-separated
    memberships_url = pw.CharField(max_length=500, default="")
    training = pw.ForeignKeyField(Training, null=True, backref="+", on_delete="SET NULL")
    # The instructor who placed "Training completion": what the LMS reports is recorded by them.
    bound_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("platform", "context_id"), True),)


class Member(BaseModel):
    """A person of a course: from a launch or the roster (NRPS); `user` once linked."""

    context = pw.ForeignKeyField(Context, backref="members", on_delete="CASCADE")
    sub = pw.CharField(max_length=255)
    name = pw.CharField(max_length=255, default="")
    learner = pw.BooleanField(default=False)
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("context", "sub"), True),)


class Launch(BaseModel):
    """A validated launch, named by its launch id (the cookie-free handle of later requests).

    `user` is empty until the person is known (linked, or signed in once to confirm).
    """

    launch_id = pw.CharField(max_length=80, unique=True)
    platform = pw.ForeignKeyField(Platform, backref="+", on_delete="CASCADE")
    context = pw.ForeignKeyField(Context, null=True, backref="+", on_delete="CASCADE")
    sub = pw.CharField(max_length=255)
    role = pw.CharField(max_length=12)  # "learner" | "instructor"
    kind = pw.CharField(max_length=12)  # "resource" | "deep_link"
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE")
    expires_at = pw.DateTimeField(index=True)
    created_at = pw.DateTimeField(default=utcnow)


class GradeJob(BaseModel):
    """A learner whose progress must be posted again; drained by `lti push-grades`."""

    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE", unique=True)
    attempts = pw.IntegerField(default=0)
    due_at = pw.DateTimeField(default=utcnow, index=True)
    last_error = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)


class PostedScore(BaseModel):
    """The last score posted for a learner in a course, so an unchanged one is not re-sent."""

    context = pw.ForeignKeyField(Context, backref="+", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    lineitem_url = pw.CharField(max_length=500)
    score = pw.IntegerField()
    comment = pw.TextField(default="")
    posted_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("context", "user"), True),)


MODELS = (
    Platform,
    Deployment,
    ToolKey,
    LaunchValue,
    UsedNonce,
    Context,
    Member,
    Launch,
    GradeJob,
    PostedScore,
)
