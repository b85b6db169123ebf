"""Trainings, sessions, completions, certificate files, xAPI statements, idempotency keys and
the LMS accounts xAPI statements name learners by."""

from __future__ import annotations

import peewee as pw

from competencies.models import Evidence, JSONField
from lms.db import BaseModel
from lms.models import Association, User, utcnow

FORMATS = {
    "college_course": "College course",
    "in_service": "In-service training",
    "conference": "Conference",
    "online": "Online training",
}
SOURCES = ("roster", "csv", "api", "xapi", "lti", "self-report")
STATUSES = ("pending", "verified", "rejected", "void")
LIVE = ("pending", "verified")  # statuses that hold the natural key


class Training(BaseModel):
    """A training in an association's catalogue."""

    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    code = pw.CharField(max_length=40)
    title = pw.CharField(max_length=200)
    provider = pw.CharField(max_length=200, default="")  # the organisation that gives it
    format = pw.CharField(max_length=20)
    hours = pw.DoubleField()
    areas = JSONField(default=dict)  # area id -> hours covered (None when not known)
    tags = pw.TextField(default="")  # sorted, comma-separated
    description = pw.TextField(default="")
    activity_iri = pw.CharField(max_length=500, null=True)  # the LMS activity id (xAPI)
    hours_from_duration = pw.BooleanField(default=False)  # xAPI result.duration gives hours
    owner = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("association", "code"), True),
            (("association", "activity_iri"), True),
        )

    @property
    def area_set(self) -> frozenset[str]:
        return frozenset(self.areas or {})

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def format_label(self) -> str:
        return FORMATS.get(self.format, self.format)


class Prerequisite(BaseModel):
    """An edge of the prerequisite graph: `training` needs `required` first."""

    training = pw.ForeignKeyField(Training, backref="prerequisites", on_delete="CASCADE")
    required = pw.ForeignKeyField(Training, backref="required_by", on_delete="CASCADE")

    class Meta:
        indexes = ((("training", "required"), True),)


class Session(BaseModel):
    """One running of a training: dates, place or online, trainers, capacity."""

    training = pw.ForeignKeyField(Training, backref="sessions", on_delete="RESTRICT")
    starts_on = pw.DateField()
    ends_on = pw.DateField()
    location = pw.CharField(max_length=200, default="")
    online = pw.BooleanField(default=False)
    capacity = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("training", "starts_on"), False),)


class SessionTrainer(BaseModel):
    """A trainer who teaches a session (and may record its roster)."""

    session = pw.ForeignKeyField(Session, backref="trainers", on_delete="CASCADE")
    trainer = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")

    class Meta:
        indexes = ((("session", "trainer"), True),)


class Completion(BaseModel):
    """A clinician completed a training; a verified one has its ledger row in `evidence`."""

    # Not indexed alone: the composite indexes below lead with them (migration 0003).
    clinician = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT", index=False)
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT", index=False)
    training = pw.ForeignKeyField(Training, null=True, backref="completions")
    session = pw.ForeignKeyField(Session, null=True, backref="completions")
    title = pw.CharField(max_length=200, default="")  # self-reported external trainings
    provider = pw.CharField(max_length=200, default="")
    completed_on = pw.DateField()
    hours = pw.DoubleField()
    areas = pw.TextField(default="")  # sorted, comma-separated
    source = pw.CharField(max_length=12)
    status = pw.CharField(max_length=10)
    # 1 while the row is live (pending or verified), NULL otherwise: the unique index below
    # then holds the natural key among live rows only (NULLs never collide, on both backends).
    live = pw.IntegerField(null=True, default=1)
    external_id = pw.CharField(max_length=200, null=True)
    import_ref = pw.CharField(max_length=40, null=True)
    evidence = pw.ForeignKeyField(Evidence, null=True, backref="+")
    replaces = pw.ForeignKeyField("self", null=True, backref="replaced_by")
    reason = pw.TextField(default="")  # why rejected or voided; the clinician sees it
    decided_by = pw.ForeignKeyField(User, null=True, backref="+")
    created_by = pw.ForeignKeyField(User, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("clinician", "training", "completed_on", "live"), True),
            (("association", "source", "external_id"), False),
            (("association", "status"), False),
            (("import_ref",), False),
        )

    @property
    def area_list(self) -> list[str]:
        return [a for a in self.areas.split(",") if a]

    @property
    def label(self) -> str:
        return self.training.title if self.training_id else self.title


class CertificateFile(BaseModel):
    """The certificate a clinician uploaded with a self-reported training."""

    completion = pw.ForeignKeyField(Completion, backref="files", on_delete="CASCADE")
    filename = pw.CharField(max_length=200)
    content_type = pw.CharField(max_length=40)
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    data = pw.BlobField()
    created_at = pw.DateTimeField(default=utcnow)


class XapiStatement(BaseModel):
    """A statement received from an LMS, as sent: a resend is accepted once, a GET reads it.

    Its id is unique within the association whose token sent it (migration 0004), so one
    association's statement ids never collide with, nor reveal, another's.
    """

    statement_id = pw.CharField(max_length=36)
    # Not indexed alone: the unique (association, statement_id) index leads with it.
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT", index=False)
    hash = pw.CharField(max_length=64)
    body = JSONField()  # the statement as the LMS sent it
    verb = pw.CharField(max_length=12)
    completion = pw.ForeignKeyField(Completion, null=True, backref="+")
    voided = pw.BooleanField(default=False)
    stored_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("association", "statement_id"), True),)


class IdempotencyKey(BaseModel):
    """An `Idempotency-Key` a client sent, with the answer it got (replayed on a resend)."""

    key = pw.CharField(max_length=200)
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    request_hash = pw.CharField(max_length=64)
    status = pw.IntegerField()
    response = JSONField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "key"), True),)


LINK_SOURCES = {
    "coordinator": "linked by a coordinator",
    "csv": "linked from the association's CSV file",
    "lms": "linked by the learning platform",
    "claimed": "typed by the clinician before links needed proof; not used until a coordinator "
    "links it",
}


class LmsAccount(BaseModel):
    """A clinician's account on a learning platform: xAPI `actor.account` {homePage, name}.

    A link serves the association that made it: statements sent with that association's
    tokens find the clinician by it, no other association's do.
    """

    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    # Not indexed alone: the unique (association, home_page, name) index leads with it.
    association = pw.ForeignKeyField(Association, backref="+", on_delete="CASCADE", index=False)
    home_page = pw.CharField(max_length=500)  # normalised: lower-case scheme and host, no "/" end
    name = pw.CharField(max_length=255)  # the user's name or id there, exactly as the LMS sends
    source = pw.CharField(max_length=12, default="coordinator")  # a key of LINK_SOURCES
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("association", "home_page", "name"), True),
            (("user",), False),
        )

    @property
    def proven(self) -> bool:
        """Tell whether xAPI statements may find the clinician by this link."""
        return self.source != "claimed"

    @property
    def source_label(self) -> str:
        return LINK_SOURCES.get(self.source, self.source)


MODELS = (
    Training,
    Prerequisite,
    Session,
    SessionTrainer,
    Completion,
    CertificateFile,
    XapiStatement,
    IdempotencyKey,
    LmsAccount,
)
