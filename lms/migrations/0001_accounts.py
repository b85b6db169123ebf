"""Create accounts, tenants, tokens, the audit log (append-only) and sent reminders."""

import datetime

import peewee as pw

from lms.frozen import frozen_base


def up(migrator, db):
    Base = frozen_base(db)

    class Association(Base):
        code = pw.CharField(max_length=32, unique=True)
        name = pw.CharField(max_length=200)
        renewal_due = pw.CharField(max_length=5, default="12-31")
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "lms_association"

    class Agency(Base):
        association = pw.ForeignKeyField(Association, on_delete="RESTRICT")
        name = pw.CharField(max_length=200)
        city = pw.CharField(max_length=100, default="")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "lms_agency"
            indexes = ((("association", "name"), True),)

    class User(Base):
        email = pw.CharField(max_length=254, unique=True)
        display_name = pw.CharField(max_length=200)
        password_hash = pw.CharField(max_length=255, null=True)
        active = pw.BooleanField(default=True)
        session_version = pw.IntegerField(default=1)
        city = pw.CharField(max_length=100, default="")
        created_at = pw.DateTimeField()
        last_login_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "lms_user"

    class Membership(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        association = pw.ForeignKeyField(Association, null=True, on_delete="RESTRICT")
        agency = pw.ForeignKeyField(Agency, null=True, on_delete="SET NULL")
        role = pw.CharField(max_length=32)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "lms_membership"
            indexes = ((("user", "association", "role"), True), (("association", "role"), False))

    class Invitation(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = pw.CharField(max_length=64, unique=True)
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)
        created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "lms_invitation"

    class ApiToken(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        association = pw.ForeignKeyField(Association, null=True, on_delete="RESTRICT")
        role = pw.CharField(max_length=32)
        name = pw.CharField(max_length=100)
        prefix = pw.CharField(max_length=16)
        token_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        last_used_at = pw.DateTimeField(null=True)
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "lms_apitoken"

    class AuditLog(Base):
        at = pw.DateTimeField()
        actor_id = pw.IntegerField(null=True)
        action = pw.CharField(max_length=64)
        object_type = pw.CharField(max_length=64)
        object_id = pw.CharField(max_length=64)
        association_id = pw.IntegerField(null=True)
        before = pw.TextField(null=True)
        after = pw.TextField(null=True)
        prev_hash = pw.CharField(max_length=64)
        hash = pw.CharField(max_length=64, unique=True)

        class Meta:
            table_name = "lms_auditlog"
            indexes = ((("object_type", "object_id"), False), (("association_id", "at"), False))

    class ReminderSent(Base):
        key = pw.CharField(max_length=200, unique=True)
        sent_at = pw.DateTimeField()

        class Meta:
            table_name = "lms_remindersent"

    db.create_tables(
        [Association, Agency, User, Membership, Invitation, ApiToken, AuditLog, ReminderSent]
    )
    if isinstance(db, pw.SqliteDatabase):
        for event in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER lms_auditlog_no_{event.lower()} BEFORE {event} ON lms_auditlog "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
    else:
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION lms_auditlog_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        db.execute_sql(
            "CREATE TRIGGER lms_auditlog_append_only BEFORE UPDATE OR DELETE ON lms_auditlog "
            "FOR EACH ROW EXECUTE FUNCTION lms_auditlog_append_only()"
        )
