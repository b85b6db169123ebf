"""Migration courses/0004 on a database holding links made under the old rules."""

from __future__ import annotations

import uuid

from lms.db import db, is_sqlite, migrate_all, migration_runner, migration_targets


def _empty_database() -> None:
    if is_sqlite():
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in db.get_tables():
            db.execute_sql(f'DROP TABLE "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")
    else:
        db.execute_sql("DROP SCHEMA public CASCADE")
        db.execute_sql("CREATE SCHEMA public")


def _migrate_before_0004(app) -> None:
    for name, package in migration_targets(app):
        runner = migration_runner(name, package)
        if name == "courses":
            runner.up(target="0003_narrower_indexes")
            return
        runner.up()


def test_old_links_get_their_associations_and_typed_ones_stay_unproven(app):
    from lms.accounts import create_user
    from lms.models import Association, Membership

    _empty_database()
    _migrate_before_0004(app)
    a = Association.create(code="MA", name="A")
    b = Association.create(code="MB", name="B")
    ana = create_user("ana@example.test", "Ana", roles=("clinician",), association=a)
    Membership.create(user=ana, association=b, role="clinician")
    bo = create_user("bo@example.test", "Bo", roles=("clinician",), association=a)
    coordinator = create_user("co@example.test", "Co", roles=("coordinator",), association=a)
    trainer = create_user("tr@example.test", "Tr", roles=("trainer",), association=a)
    old = (
        (ana.id, "1", ana.id),  # typed by Ana herself, who is a clinician of A and B
        (bo.id, "2", coordinator.id),  # linked by a coordinator
        (trainer.id, "3", trainer.id),  # nobody's clinician: no association to serve
    )
    for user_id, name, by in old:
        db.execute_sql(
            "INSERT INTO courses_lmsaccount (user_id, home_page, name, created_by_id, created_at)"
            " VALUES (%s, 'https://moodle.example.org', %s, %s, '2025-01-02 03:04:05')".replace(
                "%s", "?" if is_sqlite() else "%s"
            ),
            (user_id, name, by),
        )

    migrate_all(app)

    from courses.models import LmsAccount, XapiStatement

    rows = {
        (r.user_id, r.association_id, r.name, r.source)
        for r in LmsAccount.select().order_by(LmsAccount.id)
    }
    assert rows == {
        (ana.id, a.id, "1", "claimed"),
        (ana.id, b.id, "1", "claimed"),
        (bo.id, a.id, "2", "coordinator"),
    }
    created = LmsAccount.create(user=bo, association=b, home_page="https://x.org", name="9")
    assert created.id > max(r.id for r in LmsAccount.select() if r.id != created.id)
    sid = str(uuid.uuid4())
    for association in (a, b):
        XapiStatement.create(
            statement_id=sid, association=association, hash="h", body={}, verb="completed"
        )
    assert XapiStatement.select().where(XapiStatement.statement_id == sid).count() == 2
