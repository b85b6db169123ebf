"""Create LMS accounts: which clinician an xAPI `actor.account` {homePage, name} names."""

import peewee as pw

from lms.frozen import frozen_base, stubs


def up(migrator, db):
    Base = frozen_base(db)
    [User] = stubs(Base, "lms_user")

    class LmsAccount(Base):
        user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="+")
        home_page = pw.CharField(max_length=500)
        name = pw.CharField(max_length=255)
        created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "courses_lmsaccount"
            indexes = ((("home_page", "name"), True), (("user",), False))

    db.create_tables([LmsAccount])
