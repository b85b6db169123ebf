"""Create the association workflow: applications, timeline, references, reviews, exams,
renewals and registry listings."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User, Pathway, RuleSet, Evidence, Endorsement = stubs(
        Base,
        "lms_association",
        "lms_user",
        "competencies_pathway",
        "competencies_ruleset",
        "competencies_evidence",
        "competencies_endorsement",
    )

    class Application(Base):
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        pathway = pw.ForeignKeyField(Pathway, unique=True, backref="+")
        rule_set = pw.ForeignKeyField(RuleSet, backref="+")
        category = pw.CharField(max_length=20)
        status = pw.CharField(max_length=24, default="submitted")
        ready = pw.BooleanField(default=False)
        snapshot = pw.TextField()
        submitted_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        endorsement = pw.ForeignKeyField(Endorsement, null=True, backref="+")

        class Meta:
            table_name = "competencies_application"
            indexes = ((("association", "status"), False), (("association", "category"), False))

    class Transition(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE", backref="+")
        from_status = pw.CharField(max_length=24)
        to_status = pw.CharField(max_length=24)
        actor = pw.ForeignKeyField(User, null=True, backref="+")
        role = pw.CharField(max_length=24)
        note = pw.TextField(default="")
        at = pw.DateTimeField()

        class Meta:
            table_name = "competencies_transition"

    class ReferenceRequest(Base):
        pathway = pw.ForeignKeyField(Pathway, on_delete="RESTRICT", backref="+")
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        rater_email = pw.CharField(max_length=254)
        rater_name = pw.CharField(max_length=200)
        rater_role = pw.CharField(max_length=40)
        token_hash = pw.CharField(max_length=64, unique=True)
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)
        status = pw.CharField(max_length=12, default="sent")
        ratings = pw.TextField(null=True)
        not_enough_info = pw.IntegerField(default=0)
        evidence = pw.ForeignKeyField(Evidence, null=True, backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "competencies_referencerequest"
            indexes = ((("pathway", "rater_email"), False),)

    class Review(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE", backref="+")
        reviewer = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        assigned_by = pw.ForeignKeyField(User, null=True, backref="+")
        assigned_at = pw.DateTimeField()
        areas_met = pw.TextField()
        recommendation = pw.CharField(max_length=24, null=True)
        comment = pw.TextField(default="")
        completed_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "competencies_review"
            indexes = ((("application", "reviewer"), True), (("reviewer", "completed_at"), False))

    class ExamSitting(Base):
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        held_on = pw.DateField()
        location = pw.CharField(max_length=200)
        capacity = pw.IntegerField(default=30)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "competencies_examsitting"

    class ExamRegistration(Base):
        sitting = pw.ForeignKeyField(ExamSitting, on_delete="RESTRICT", backref="+")
        application = pw.ForeignKeyField(Application, on_delete="CASCADE", backref="+")
        score = pw.DoubleField(null=True)
        passed = pw.BooleanField(null=True)
        evidence = pw.ForeignKeyField(Evidence, null=True, backref="+")
        created_at = pw.DateTimeField()
        recorded_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "competencies_examregistration"
            indexes = ((("sitting", "application"), True),)

    class Renewal(Base):
        endorsement = pw.ForeignKeyField(Endorsement, on_delete="RESTRICT", backref="+")
        year = pw.IntegerField()
        due_on = pw.DateField()
        status = pw.CharField(max_length=12, default="due")
        result = pw.TextField(null=True)
        decided_at = pw.DateTimeField(null=True)
        decided_by = pw.ForeignKeyField(User, null=True, backref="+")

        class Meta:
            table_name = "competencies_renewal"
            indexes = ((("endorsement", "year"), True),)

    class RegistryListing(Base):
        user = pw.ForeignKeyField(User, unique=True, on_delete="CASCADE", backref="+")
        show_city = pw.BooleanField(default=False)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "competencies_registrylisting"

    db.create_tables(
        [
            Application,
            Transition,
            ReferenceRequest,
            Review,
            ExamSitting,
            ExamRegistration,
            Renewal,
            RegistryListing,
        ]
    )
