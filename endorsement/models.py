"""Records of the association workflow: applications, references, reviews, exams, renewals."""

from __future__ import annotations

import peewee as pw

from competencies.models import Endorsement, Evidence, JSONField, Pathway, RuleSet
from lms.db import BaseModel
from lms.models import Association, User, utcnow


class Application(BaseModel):
    """A clinician's submitted application; `snapshot` freezes what reviewers see."""

    clinician = pw.ForeignKeyField(User, backref="applications", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="applications", on_delete="RESTRICT")
    pathway = pw.ForeignKeyField(Pathway, backref="applications", unique=True)
    rule_set = pw.ForeignKeyField(RuleSet, backref="+")
    category = pw.CharField(max_length=20)
    status = pw.CharField(max_length=24, default="submitted")
    ready = pw.BooleanField(default=False)  # False: the clinician chose to apply anyway
    snapshot = JSONField()
    submitted_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    endorsement = pw.ForeignKeyField(Endorsement, null=True, backref="+")

    class Meta:
        indexes = ((("association", "status"), False), (("association", "category"), False))


class Transition(BaseModel):
    """One step of an application's timeline (also in the audit log)."""

    application = pw.ForeignKeyField(Application, backref="transitions", on_delete="CASCADE")
    from_status = pw.CharField(max_length=24)
    to_status = pw.CharField(max_length=24)
    actor = pw.ForeignKeyField(User, null=True, backref="+")
    role = pw.CharField(max_length=24)
    note = pw.TextField(default="")
    at = pw.DateTimeField(default=utcnow)


class ReferenceRequest(BaseModel):
    """A rater named by a clinician, with a single-use, expiring link (stored hashed)."""

    pathway = pw.ForeignKeyField(Pathway, backref="reference_requests", on_delete="RESTRICT")
    clinician = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    rater_email = pw.CharField(max_length=254)
    rater_name = pw.CharField(max_length=200)
    rater_role = pw.CharField(max_length=40)
    token_hash = pw.CharField(max_length=64, unique=True)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    status = pw.CharField(max_length=12, default="sent")  # sent | rated | void
    ratings = JSONField(null=True)  # area id -> scale value; reviewers only
    not_enough_info = pw.IntegerField(default=0)
    evidence = pw.ForeignKeyField(Evidence, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("pathway", "rater_email"), False),)


class Review(BaseModel):
    """A reviewer's assignment to an application and, once done, their recommendation."""

    application = pw.ForeignKeyField(Application, backref="reviews", on_delete="CASCADE")
    reviewer = pw.ForeignKeyField(User, backref="reviews", on_delete="RESTRICT")
    assigned_by = pw.ForeignKeyField(User, null=True, backref="+")
    assigned_at = pw.DateTimeField(default=utcnow)
    areas_met = JSONField(default=list)
    recommendation = pw.CharField(max_length=24, null=True)
    comment = pw.TextField(default="")
    completed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("application", "reviewer"), True), (("reviewer", "completed_at"), False))


class ExamSitting(BaseModel):
    """A date and place where an association's exam is held."""

    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
    held_on = pw.DateField()
    location = pw.CharField(max_length=200)
    capacity = pw.IntegerField(default=30)
    created_at = pw.DateTimeField(default=utcnow)


class ExamRegistration(BaseModel):
    """An applicant registered for a sitting, and the result once recorded."""

    sitting = pw.ForeignKeyField(ExamSitting, backref="registrations", on_delete="RESTRICT")
    application = pw.ForeignKeyField(Application, backref="exams", on_delete="CASCADE")
    score = pw.DoubleField(null=True)
    passed = pw.BooleanField(null=True)
    evidence = pw.ForeignKeyField(Evidence, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    recorded_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("sitting", "application"), True),)


class Renewal(BaseModel):
    """One year's renewal of an endorsement: due, then renewed or lapsed (or reinstated)."""

    endorsement = pw.ForeignKeyField(Endorsement, backref="renewals", on_delete="RESTRICT")
    year = pw.IntegerField()
    due_on = pw.DateField()
    status = pw.CharField(max_length=12, default="due")  # due | renewed | lapsed | reinstated
    result = JSONField(null=True)  # the evaluation when decided
    decided_at = pw.DateTimeField(null=True)
    decided_by = pw.ForeignKeyField(User, null=True, backref="+")

    class Meta:
        indexes = ((("endorsement", "year"), True),)


class RegistryListing(BaseModel):
    """An endorsee's choices for the public registry (the city is shown only if opted in)."""

    user = pw.ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    show_city = pw.BooleanField(default=False)
    updated_at = pw.DateTimeField(default=utcnow)


MODELS = (
    Application,
    Transition,
    ReferenceRequest,
    Review,
    ExamSitting,
    ExamRegistration,
    Renewal,
    RegistryListing,
)
