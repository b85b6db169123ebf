"""Create frameworks, areas, rule sets, the evidence ledger and pathways."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User = stubs(Base, "lms_association", "lms_user")

    class Framework(Base):
        association = pw.ForeignKeyField(Association, null=True)
        idnumber = pw.CharField(max_length=100)
        name = pw.CharField(max_length=200)
        version = pw.CharField(max_length=50)
        document = pw.TextField()
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "competencies_framework"
            indexes = ((("association", "idnumber", "version"), True),)

    class Area(Base):
        framework = pw.ForeignKeyField(Framework, on_delete="CASCADE")
        idnumber = pw.CharField(max_length=100)
        name = pw.CharField(max_length=200)
        domain_idnumber = pw.CharField(max_length=100)
        domain_name = pw.CharField(max_length=200)
        categories = pw.TextField(default="")
        position = pw.IntegerField(default=0)

        class Meta:
            table_name = "competencies_area"
            indexes = ((("framework", "idnumber"), True),)

    class RuleSet(Base):
        association = pw.ForeignKeyField(Association, null=True)
        framework = pw.ForeignKeyField(Framework, null=True)
        name = pw.CharField(max_length=200)
        version = pw.CharField(max_length=50)
        effective = pw.DateField()
        document = pw.TextField()
        created_at = pw.DateTimeField()
        created_by = pw.ForeignKeyField(User, null=True, backref="+")

        class Meta:
            table_name = "competencies_ruleset"
            indexes = ((("association", "version"), True),)

    class Evidence(Base):
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        kind = pw.CharField(max_length=20)
        occurred_on = pw.DateField()
        hours = pw.DoubleField(default=0.0)
        status = pw.CharField(max_length=12)
        areas = pw.TextField(default="")
        tags = pw.TextField(default="")
        provider = pw.ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
        details = pw.TextField(null=True)
        label = pw.CharField(max_length=300, default="")
        source = pw.CharField(max_length=40)
        source_ref = pw.CharField(max_length=80, default="")
        replaces = pw.ForeignKeyField("self", null=True, backref="+")
        void_reason = pw.TextField(default="")
        created_at = pw.DateTimeField()
        created_by = pw.ForeignKeyField(User, null=True, backref="+")

        class Meta:
            table_name = "competencies_evidence"
            indexes = (
                (("association", "clinician", "kind", "status"), False),
                (("clinician", "occurred_on"), False),
                (("source", "source_ref"), False),
            )

    class Pathway(Base):
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        category = pw.CharField(max_length=20)
        rule_set = pw.ForeignKeyField(RuleSet)
        started_on = pw.DateField()
        status = pw.CharField(max_length=24, default="in_progress")
        created_at = pw.DateTimeField()
        closed_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "competencies_pathway"
            indexes = ((("association", "status"), False), (("clinician", "status"), False))

    db.create_tables([Framework, Area, RuleSet, Evidence, Pathway])
