"""endorsement's first migration takes over the workflow's tables that competencies' 0003 created.

A database migrated while the workflow was part of competencies holds its rows in
`competencies_<model>`; after endorsement's 0001 the same rows are read through endorsement's
models from `endorsement_<model>`, their foreign keys follow, and new rows get fresh ids. Runs on
SQLite and on PostgreSQL (in a schema of its own, dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import uuid

import peewee as pw
import pytest

from lms import create_app
from lms.db import db, migration_runner, migration_targets
from tests.conftest import app_config

TODAY = dt.date.today()
NOW = dt.datetime(2026, 3, 1, 9, 30)
WORKFLOW_TABLES = (
    "application",
    "transition",
    "referencerequest",
    "review",
    "examsitting",
    "examregistration",
    "renewal",
    "registrylisting",
)


@pytest.fixture
def empty_database(backend, tmp_path):
    """An app bound to an empty database (PostgreSQL: a fresh schema on the search path)."""
    app = create_app(app_config(backend, INSTANCE_PATH=str(tmp_path / "instance")))
    with app.app_context():
        db.connect(reuse_if_open=True)
        schema = f"move_{uuid.uuid4().hex[:12]}"
        if backend == "postgresql":
            db.execute_sql(f'CREATE SCHEMA "{schema}"')
            db.execute_sql(f'SET search_path TO "{schema}"')
        try:
            yield app
        finally:
            if backend == "postgresql":
                if db.in_transaction():
                    db.rollback()
                db.execute_sql("SET search_path TO public")
                db.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
            db.close()


def _migrate(app, *names: str) -> dict[str, list[str]]:
    packages = dict(migration_targets(app))
    return {name: migration_runner(name, packages[name]).up() for name in names}


def test_endorsement_migrations_run_after_competencies(app):
    names = [name for name, _ in migration_targets(app)]
    assert names.index("competencies") < names.index("endorsement")
    assert names.index("endorsement") < names.index("certificates")


def test_0001_renames_the_workflow_tables_and_keeps_their_rows(empty_database):
    from competencies.models import Endorsement, Pathway, RuleSet
    from endorsement.models import Application, Review, Transition
    from lms.models import Association, User

    app = empty_database
    applied = _migrate(app, "lms", "competencies")
    assert "0003_workflow" in applied["competencies"]
    tables = set(_tables())
    assert {f"competencies_{t}" for t in WORKFLOW_TABLES} <= tables

    # Rows written while the workflow was part of competencies, into its tables.
    association = Association.create(code="MI", name="Michigan-style")
    clinician = User.create(email="clin@example.test", display_name="Zoë Ñúñez")
    reviewer = User.create(email="rev@example.test", display_name="Robin Reviewer")
    rule_set = RuleSet.create(
        name="Rules", version="2025.1", effective=TODAY, document={"categories": {}}
    )
    pathway = Pathway.create(
        clinician=clinician,
        association=association,
        category="IFA",
        rule_set=rule_set,
        started_on=TODAY,
    )
    endorsement = Endorsement.create(
        clinician=clinician,
        association=association,
        category="IFA",
        number="MI-IFA-0001",
        awarded_on=TODAY,
        renewal_due=TODAY + dt.timedelta(days=365),
    )
    old = {t: pw.Table(f"competencies_{t}").bind(db) for t in WORKFLOW_TABLES}
    old["application"].insert(
        clinician_id=clinician.id,
        association_id=association.id,
        pathway_id=pathway.id,
        rule_set_id=rule_set.id,
        category="IFA",
        status="under_review",
        ready=True,
        snapshot='{"result": {"ready": true}, "evidence": []}',
        submitted_at=NOW,
        updated_at=NOW,
        endorsement_id=endorsement.id,
    ).execute()
    application_id = old["application"].select(pw.fn.MAX(old["application"].c.id)).scalar()
    old["transition"].insert(
        application_id=application_id,
        from_status="submitted",
        to_status="under_review",
        actor_id=reviewer.id,
        role="coordinator",
        note="",
        at=NOW,
    ).execute()
    old["review"].insert(
        application_id=application_id,
        reviewer_id=reviewer.id,
        assigned_at=NOW,
        areas_met="[]",
        comment="",
    ).execute()

    assert _migrate(app, "endorsement") == {"endorsement": ["0001_tables_from_competencies"]}

    tables = set(_tables())
    assert {f"endorsement_{t}" for t in WORKFLOW_TABLES} <= tables
    assert not {f"competencies_{t}" for t in WORKFLOW_TABLES} & tables
    application = Application.get_by_id(application_id)
    assert (application.clinician, application.pathway, application.endorsement) == (
        clinician,
        pathway,
        endorsement,
    )
    assert application.status == "under_review" and application.ready is True
    assert application.snapshot == {"result": {"ready": True}, "evidence": []}
    assert application.submitted_at == NOW
    assert [(t.from_status, t.to_status) for t in application.transitions] == [
        ("submitted", "under_review")
    ]
    assert [r.reviewer for r in application.reviews] == [reviewer]

    # The foreign keys follow the renamed table: a review of a missing application is refused,
    # one of the kept application is taken; a new application gets the next id.
    with pytest.raises(pw.IntegrityError), db.atomic():
        Review.create(application=application_id + 100, reviewer=reviewer, areas_met=[])
    Review.create(application=application, reviewer=clinician, areas_met=[])
    assert application.reviews.count() == 2
    second = Pathway.create(
        clinician=reviewer,
        association=association,
        category="IFA",
        rule_set=rule_set,
        started_on=TODAY,
    )
    newer = Application.create(
        clinician=reviewer,
        association=association,
        pathway=second,
        rule_set=rule_set,
        category="IFA",
        snapshot={},
    )
    assert newer.id > application_id
    Transition.create(application=newer, from_status="", to_status="submitted", role="clinician")
    assert newer.transitions.count() == 1


def test_0001_refuses_a_database_without_the_old_tables(empty_database):
    from playhouse.migrations import MigrationError

    _migrate(empty_database, "lms")
    with pytest.raises(MigrationError, match="competencies_application is missing"):
        _migrate(empty_database, "endorsement")
    assert "endorsement_application" not in _tables()


def _tables() -> list[str]:
    if isinstance(db.obj, pw.PostgresqlDatabase):
        (schema,) = db.execute_sql("SELECT current_schema()").fetchone()
        return db.get_tables(schema=schema)
    return db.get_tables()
