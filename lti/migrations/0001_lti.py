"""Create platforms, deployments, tool keys, launch storage, used nonces, courses, members,
launches and the grade queue."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    Association, User, Training = stubs(Base, "lms_association", "lms_user", "courses_training")

    class Platform(Base):
        association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
        name = pw.CharField(max_length=200)
        issuer = pw.CharField(max_length=500)
        client_id = pw.CharField(max_length=255)
        auth_login_url = pw.CharField(max_length=500)
        auth_token_url = pw.CharField(max_length=500)
        key_set_url = pw.CharField(max_length=500)
        auth_audience = pw.CharField(max_length=500, default="")
        frame_origins = pw.TextField(default="")
        trusted_email = pw.BooleanField(default=False)
        created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "lti_platform"
            indexes = ((("association", "issuer", "client_id"), True),)

    class Deployment(Base):
        platform = pw.ForeignKeyField(Platform, backref="+", on_delete="CASCADE")
        deployment_id = pw.CharField(max_length=255)

        class Meta:
            table_name = "lti_deployment"
            indexes = ((("platform", "deployment_id"), True),)

    class ToolKey(Base):
        association = pw.ForeignKeyField(Association, backref="+", on_delete="RESTRICT")
        kid = pw.CharField(max_length=100)
        public_pem = pw.TextField()
        private_key = pw.TextField()
        created_at = pw.DateTimeField()
        retired_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "lti_toolkey"
            indexes = ((("association", "kid"), True),)

    class LaunchValue(Base):
        key = pw.CharField(max_length=255, unique=True)
        value = pw.TextField()
        expires_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "lti_launchvalue"

    class UsedNonce(Base):
        platform = pw.ForeignKeyField(Platform, backref="+", on_delete="CASCADE")
        nonce = pw.CharField(max_length=255)
        expires_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "lti_usednonce"
            indexes = ((("platform", "nonce"), True),)

    class Context(Base):
        platform = pw.ForeignKeyField(Platform, backref="+", on_delete="CASCADE")
        context_id = pw.CharField(max_length=255)
        title = pw.CharField(max_length=255, default="")
        lineitems_url = pw.CharField(max_length=500, default="")
        ags_scopes = pw.TextField(default="")
        memberships_url = pw.CharField(max_length=500, default="")
        training = pw.ForeignKeyField(Training, null=True, backref="+", on_delete="SET NULL")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "lti_context"
            indexes = ((("platform", "context_id"), True),)

    class Member(Base):
        context = pw.ForeignKeyField(Context, backref="+", on_delete="CASCADE")
        sub = pw.CharField(max_length=255)
        name = pw.CharField(max_length=255, default="")
        learner = pw.BooleanField(default=False)
        user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "lti_member"
            indexes = ((("context", "sub"), True),)

    class Launch(Base):
        launch_id = pw.CharField(max_length=80, unique=True)
        platform = pw.ForeignKeyField(Platform, backref="+", on_delete="CASCADE")
        context = pw.ForeignKeyField(Context, null=True, backref="+", on_delete="CASCADE")
        sub = pw.CharField(max_length=255)
        role = pw.CharField(max_length=12)
        kind = pw.CharField(max_length=12)
        user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE")
        expires_at = pw.DateTimeField(index=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "lti_launch"

    class GradeJob(Base):
        user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE", unique=True)
        attempts = pw.IntegerField(default=0)
        due_at = pw.DateTimeField(index=True)
        last_error = pw.TextField(default="")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "lti_gradejob"

    class PostedScore(Base):
        context = pw.ForeignKeyField(Context, backref="+", on_delete="CASCADE")
        user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
        lineitem_url = pw.CharField(max_length=500)
        score = pw.IntegerField()
        comment = pw.TextField(default="")
        posted_at = pw.DateTimeField()

        class Meta:
            table_name = "lti_postedscore"
            indexes = ((("context", "user"), True),)

    db.create_tables(
        [
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
        ]
    )
