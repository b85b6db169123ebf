"""Create trainings, prerequisites, sessions, completions, certificate files, xAPI statements."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User, Evidence = stubs(
        Base, "lms_association", "lms_user", "competencies_evidence"
    )

    class Training(Base):
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        code = pw.CharField(max_length=40)
        title = pw.CharField(max_length=200)
        provider = pw.CharField(max_length=200, default="")
        format = pw.CharField(max_length=20)
        hours = pw.DoubleField()
        areas = pw.TextField(null=True)
        tags = pw.TextField(default="")
        description = pw.TextField(default="")
        activity_iri = pw.CharField(max_length=500, null=True)
        hours_from_duration = pw.BooleanField(default=False)
        owner = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_training"
            indexes = (
                (("association", "code"), True),
                (("association", "activity_iri"), True),
            )

    class Prerequisite(Base):
        training = pw.ForeignKeyField(Training, on_delete="CASCADE", backref="+")
        required = pw.ForeignKeyField(Training, on_delete="CASCADE", backref="+")

        class Meta:
            table_name = "courses_prerequisite"
            indexes = ((("training", "required"), True),)

    class Session(Base):
        training = pw.ForeignKeyField(Training, on_delete="RESTRICT", backref="+")
        starts_on = pw.DateField()
        ends_on = pw.DateField()
        location = pw.CharField(max_length=200, default="")
        online = pw.BooleanField(default=False)
        capacity = pw.IntegerField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_session"
            indexes = ((("training", "starts_on"), False),)

    class SessionTrainer(Base):
        session = pw.ForeignKeyField(Session, on_delete="CASCADE", backref="+")
        trainer = pw.ForeignKeyField(User, on_delete="CASCADE", backref="+")

        class Meta:
            table_name = "courses_sessiontrainer"
            indexes = ((("session", "trainer"), True),)

    class Completion(Base):
        clinician = pw.ForeignKeyField(User, on_delete="RESTRICT", backref="+")
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        training = pw.ForeignKeyField(Training, null=True, backref="+")
        session = pw.ForeignKeyField(Session, null=True, backref="+")
        title = pw.CharField(max_length=200, default="")
        provider = pw.CharField(max_length=200, default="")
        completed_on = pw.DateField()
        hours = pw.DoubleField()
        areas = pw.TextField(default="")
        source = pw.CharField(max_length=12)
        status = pw.CharField(max_length=10)
        live = pw.IntegerField(null=True, default=1)
        external_id = pw.CharField(max_length=200, null=True)
        import_ref = pw.CharField(max_length=40, null=True)
        evidence = pw.ForeignKeyField(Evidence, null=True, backref="+")
        replaces = pw.ForeignKeyField("self", null=True, backref="+")
        reason = pw.TextField(default="")
        decided_by = pw.ForeignKeyField(User, null=True, backref="+")
        created_by = pw.ForeignKeyField(User, null=True, backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_completion"
            indexes = (
                (("clinician", "training", "completed_on", "live"), True),
                (("association", "source", "external_id"), False),
                (("association", "status"), False),
                (("import_ref",), False),
            )

    class CertificateFile(Base):
        completion = pw.ForeignKeyField(Completion, on_delete="CASCADE", backref="+")
        filename = pw.CharField(max_length=200)
        content_type = pw.CharField(max_length=40)
        size = pw.IntegerField()
        sha256 = pw.CharField(max_length=64)
        data = pw.BlobField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_certificatefile"

    class XapiStatement(Base):
        statement_id = pw.CharField(max_length=36, unique=True)
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT", backref="+")
        hash = pw.CharField(max_length=64)
        body = pw.TextField(null=True)
        verb = pw.CharField(max_length=12)
        completion = pw.ForeignKeyField(Completion, null=True, backref="+")
        voided = pw.BooleanField(default=False)
        stored_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_xapistatement"

    class IdempotencyKey(Base):
        key = pw.CharField(max_length=200)
        user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="+")
        request_hash = pw.CharField(max_length=64)
        status = pw.IntegerField()
        response = pw.TextField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_idempotencykey"
            indexes = ((("user", "key"), True),)

    db.create_tables(
        [
            Training,
            Prerequisite,
            Session,
            SessionTrainer,
            Completion,
            CertificateFile,
            XapiStatement,
            IdempotencyKey,
        ]
    )
