"""Frameworks and their areas, rule sets, the evidence ledger and pathways."""

from __future__ import annotations

import json
from typing import Any

import peewee as pw

from lms.db import BaseModel
from lms.models import Association, User, utcnow


class JSONField(pw.TextField):
    """A JSON document stored as text (same on SQLite and PostgreSQL)."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class Framework(BaseModel):
    """A competency framework (our JSON form kept whole; areas indexed below)."""

    association = pw.ForeignKeyField(Association, null=True, backref="frameworks")
    idnumber = pw.CharField(max_length=100)
    name = pw.CharField(max_length=200)
    version = pw.CharField(max_length=50)
    document = JSONField()
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("association", "idnumber", "version"), True),)


class Area(BaseModel):
    """One competency area (a leaf of the framework), indexed for lookups and grids."""

    framework = pw.ForeignKeyField(Framework, backref="areas", on_delete="CASCADE")
    idnumber = pw.CharField(max_length=100)
    name = pw.CharField(max_length=200)
    domain_idnumber = pw.CharField(max_length=100)
    domain_name = pw.CharField(max_length=200)
    categories = pw.TextField(default="")  # comma-separated category codes
    position = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("framework", "idnumber"), True),)

    @property
    def category_set(self) -> frozenset[str]:
        return frozenset(c for c in self.categories.split(",") if c)


class RuleSet(BaseModel):
    """A versioned rule-set document of one association (or shared when association is empty)."""

    association = pw.ForeignKeyField(Association, null=True, backref="rule_sets")
    framework = pw.ForeignKeyField(Framework, null=True, backref="rule_sets")
    name = pw.CharField(max_length=200)
    version = pw.CharField(max_length=50)
    effective = pw.DateField()
    document = JSONField()
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.ForeignKeyField(User, null=True, backref="+")

    class Meta:
        indexes = ((("association", "version"), True),)


class Evidence(BaseModel):
    """One row of the evidence ledger; corrections void and replace, nothing is deleted."""

    # Not indexed alone: the composite indexes below lead with them (migration 0005).
    clinician = pw.ForeignKeyField(User, backref="evidence", on_delete="RESTRICT", index=False)
    association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT", index=False)
    kind = pw.CharField(max_length=20)
    occurred_on = pw.DateField()
    hours = pw.DoubleField(default=0.0)
    status = pw.CharField(max_length=12)
    areas = pw.TextField(default="")  # sorted, comma-separated area idnumbers
    tags = pw.TextField(default="")  # sorted, comma-separated tags
    provider = pw.ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    details = JSONField(default=dict)
    label = pw.CharField(max_length=300, default="")
    source = pw.CharField(max_length=40)  # the plugin or page that wrote it
    source_ref = pw.CharField(max_length=80, default="")  # its record there, e.g. "completion:7"
    replaces = pw.ForeignKeyField("self", null=True, backref="replaced_by")
    void_reason = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.ForeignKeyField(User, null=True, backref="+")

    class Meta:
        indexes = (
            # Migration 0007 makes it cover the summary queries (+ occurred_on, hours, tags,
            # areas), named evidence_summary_cover.
            (("association", "clinician", "kind", "status"), False),
            (("clinician", "occurred_on"), False),
            (("source", "source_ref"), False),
        )

    @property
    def area_list(self) -> list[str]:
        return [a for a in self.areas.split(",") if a]

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class Pathway(BaseModel):
    """A clinician's goal: one category of one association, pinned to a rule-set version."""

    clinician = pw.ForeignKeyField(User, backref="pathways", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="pathways", on_delete="RESTRICT")
    category = pw.CharField(max_length=20)
    rule_set = pw.ForeignKeyField(RuleSet, backref="pathways")
    started_on = pw.DateField()
    status = pw.CharField(max_length=24, default="in_progress")
    created_at = pw.DateTimeField(default=utcnow)
    closed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("association", "status"), False), (("clinician", "status"), False))


class Endorsement(BaseModel):
    """An Endorsement an association awarded (or recorded for an existing endorsee)."""

    clinician = pw.ForeignKeyField(User, backref="endorsements", on_delete="RESTRICT")
    association = pw.ForeignKeyField(Association, backref="endorsements", on_delete="RESTRICT")
    category = pw.CharField(max_length=20)  # a category code, or an add-on such as "ERS"
    number = pw.CharField(max_length=40)
    awarded_on = pw.DateField()
    renewal_due = pw.DateField()
    status = pw.CharField(max_length=12, default="active")  # active | lapsed | revoked
    pathway = pw.ForeignKeyField(Pathway, null=True, backref="endorsements")
    created_at = pw.DateTimeField(default=utcnow)
    recorded_by = pw.ForeignKeyField(User, null=True, backref="+")

    class Meta:
        indexes = ((("association", "number"), True), (("clinician", "status"), False))


class Standing(BaseModel):
    """The readiness of one open pathway as last evaluated: the report's row, kept.

    A kept row is used only while it is current: `computed` equals `generation` (every ledger
    write for the clinician bumps `generation` in the same transaction), the report's day is
    within [`as_of`, `valid_until`) and `basis` still describes the pathway (rule set,
    category, start, framework edit).
    """

    pathway = pw.ForeignKeyField(Pathway, primary_key=True, backref="+", on_delete="CASCADE")
    clinician = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    association = pw.ForeignKeyField(Association, backref="+", on_delete="CASCADE")
    generation = pw.IntegerField(default=0)
    computed = pw.IntegerField(null=True)
    as_of = pw.DateField(null=True)
    valid_until = pw.DateField(null=True)  # first day it no longer holds (migration 0007)
    basis = pw.CharField(max_length=200, default="")
    progress = pw.DoubleField(default=0.0)
    ready = pw.BooleanField(default=False)
    projected = pw.DateField(null=True)
    status = pw.CharField(max_length=20, default="")
    flags = JSONField(default=list)
    category_name = pw.CharField(max_length=200, default="")
    last_evidence_on = pw.DateField(null=True)

    class Meta:
        indexes = ((("clinician", "association"), False),)


class KeptSummary(BaseModel):
    """A clinician's evidence summary in one association as last built: what the evaluator
    reads, so that re-evaluating a pathway whose ledger did not change (a new day, a new rule
    set) needs no summary queries (`competencies.kept_summaries`, migration 0009).

    Used only while current: `computed` equals `generation` (every ledger write for the
    clinician bumps it, with the kept readiness rows), the day is on or after `as_of` and before
    `until` (the clinician's next evidence dated after `as_of`), and `shape` is the code's.
    """

    association = pw.ForeignKeyField(Association, backref="+", on_delete="CASCADE")
    clinician = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    generation = pw.IntegerField(default=0)
    computed = pw.IntegerField(null=True)
    as_of = pw.DateField(null=True)
    until = pw.DateField(null=True)
    shape = pw.CharField(max_length=64, default="")
    data = pw.BlobField(null=True)

    class Meta:
        primary_key = pw.CompositeKey("association", "clinician")


class EvidenceDocument(BaseModel):
    """A document a clinician uploaded behind one of their ledger rows (a diploma, a letter, a
    membership card): the bytes in the database, never under the web root (migration 0008)."""

    evidence = pw.ForeignKeyField(Evidence, backref="documents", on_delete="RESTRICT")
    filename = pw.CharField(max_length=200)  # as uploaded; for display only
    content_type = pw.CharField(max_length=40)  # decided by the content (lms.uploads)
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    data = pw.BlobField()
    uploaded_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)


MODELS = (
    Framework,
    Area,
    RuleSet,
    Evidence,
    Pathway,
    Endorsement,
    Standing,
    KeptSummary,
    EvidenceDocument,
)
