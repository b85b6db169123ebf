"""Fixtures shared by every test: the app on each database backend, clients and factories.

The suite runs on SQLite always and, when LMS_TEST_DATABASE_URL names a PostgreSQL database,
every database test runs on PostgreSQL too. LMS_TEST_REQUIRE=postgresql,browser (CI) makes
those backends mandatory: a missing server or browser fails the run instead of skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

import pytest

from lms import create_app, jobs
from lms.db import db, migrate_all


def _worker_database(url: str) -> str:
    """Return the PostgreSQL URL for this test process: under pytest-xdist each worker gets a
    database of its own (`<name>_gw0`, ...), created from the named one on first use (the role
    needs CREATEDB); without xdist, the named database itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    connection = psycopg2.connect(url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


PG_URL = _worker_database(os.environ.get("LMS_TEST_DATABASE_URL", ""))
REQUIRED = {r.strip() for r in os.environ.get("LMS_TEST_REQUIRE", "").split(",") if r.strip()}
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct horse battery staple"

_counts: Counter[str] = Counter()


@pytest.fixture(autouse=True, scope="session")
def _no_developer_environment():
    """Tests never read the developer's LMS_* variables (LMS_TEST_* choose backends only)."""
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("LMS_") and not key.startswith("LMS_TEST_"):
                patch.delenv(key)
        yield


def pytest_configure(config):
    if "postgresql" in REQUIRED and not PG_URL:
        raise pytest.UsageError(
            "LMS_TEST_REQUIRE asks for PostgreSQL but LMS_TEST_DATABASE_URL is unset."
        )


def pytest_runtest_logreport(report):
    if report.when != "call" or not report.passed:
        return
    if "[postgresql" in report.nodeid or "-postgresql" in report.nodeid:
        _counts["postgresql"] += 1
    if "tests/browser/" in report.nodeid.replace("\\", "/"):
        _counts["browser"] += 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        f"PostgreSQL tests passed: {_counts['postgresql']}; "
        f"browser tests passed: {_counts['browser']}"
    )


_pg_ready = False


def _pg_prepare(config: dict) -> None:
    """Drop and rebuild the test schema once per run."""
    global _pg_ready
    if _pg_ready:
        return
    app = create_app(config)
    with db.connection_context():
        db.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
        db.execute_sql("CREATE SCHEMA public")
        migrate_all(app)
    _pg_ready = True


_template: sqlite3.Connection | None = None


def _sqlite_from_template(config: dict) -> None:
    """Copy a once-migrated in-memory database into this test's connection (ms, not 0.3 s)."""
    global _template
    if _template is None:
        app = create_app(config)  # rebinds the proxy to a fresh in-memory database
        db.connect(reuse_if_open=True)
        migrate_all(app)
        _template = sqlite3.connect(":memory:", check_same_thread=False)
        db.connection().backup(_template)
        db.close()
        create_app(config)
        db.connect(reuse_if_open=True)
    _template.backup(db.connection())


_pg_clear_sql: str | None = None


def _pg_clear_statement() -> str:
    """DELETE from every table, referencing tables first, in one round trip.

    TRUNCATE swaps every table's files and costs about 0.2 s for the schema's 50 tables; run
    before and after each of the 1,200 PostgreSQL tests, that was 8 minutes of CI. A test leaves
    a few rows, so DELETE takes about 2 ms. Built once per run from the catalogue.
    """
    global _pg_clear_sql
    if _pg_clear_sql is None:
        tables = [t for t in db.get_tables() if not t.endswith("_migration")]
        edges = db.execute_sql(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.contype = 'f' AND n.nspname = current_schema()"
        ).fetchall()
        referenced_by: dict[str, set[str]] = {t: set() for t in tables}
        for child, parent in edges:
            child, parent = child.strip('"'), parent.strip('"')
            if child != parent and parent in referenced_by:
                referenced_by[parent].add(child)
        order: list[str] = []

        def visit(table: str, path: tuple[str, ...] = ()) -> None:
            if table in order:
                return
            assert table not in path, f"foreign keys form a cycle through {table}"
            for child in sorted(referenced_by[table]):
                visit(child, (*path, table))
            order.append(table)

        for table in sorted(tables):
            visit(table)
        # A table whose trigger refuses DELETE (the append-only audit log) is truncated, first.
        guarded = {
            name.strip('"')
            for (name,) in db.execute_sql(
                "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
                "WHERE NOT tgisinternal AND (tgtype & 8) <> 0"
            ).fetchall()
        } & set(tables)
        truncate = (
            "TRUNCATE " + ", ".join(f'"{t}"' for t in sorted(guarded)) + " CASCADE;"
            if guarded
            else ""
        )
        _pg_clear_sql = truncate + "".join(f'DELETE FROM "{t}";' for t in order if t not in guarded)
    return _pg_clear_sql


def _pg_truncate() -> None:
    """Empty every table; restart the sequences a test used (as TRUNCATE ... RESTART IDENTITY)."""
    db.execute_sql(_pg_clear_statement())
    used = db.execute_sql(
        "SELECT schemaname, sequencename FROM pg_sequences "
        "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
    ).fetchall()
    if used:
        db.execute_sql("".join(f'ALTER SEQUENCE "{s}"."{q}" RESTART;' for s, q in used))


def app_config(backend: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "DATABASE_URL": PG_URL if backend == "postgresql" else "sqlite:///:memory:",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_URL": "http://localhost",
        "SIGNING_KEY_SECRET": "test-signing-key-secret-not-for-production",
    }
    config.update(extra)
    return config


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app_factory(backend, tmp_path):
    """Return a function that builds a migrated app on this test's backend."""

    def make(**extra):
        extra.setdefault("INSTANCE_PATH", str(tmp_path / "instance"))
        config = app_config(backend, **extra)
        if backend == "postgresql":
            _pg_prepare(config)
            application = create_app(config)
            db.connect(reuse_if_open=True)
            _pg_truncate()
        else:
            application = create_app(config)
            db.connect(reuse_if_open=True)
            _sqlite_from_template(config)
        return application

    yield make
    # A job a test's writes left on this process's thread must not write into the next test.
    assert jobs.drain(timeout=120), "a background job was still running two minutes on"
    if not db.is_closed():
        if backend == "postgresql":
            db.rollback() if db.in_transaction() else None
            _pg_truncate()
        db.close()


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        yield application


@pytest.fixture
def csrf_app(app_factory):
    """An app with CSRF protection on, as in production."""
    application = app_factory(WTF_CSRF_ENABLED=True)
    with application.app_context():
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_association(app):
    from lms.models import Association

    def make(code="ASSOC", name=None, **kw):
        return Association.create(code=code, name=name or f"{code} Association", **kw)

    return make


@pytest.fixture
def association(make_association):
    return make_association("MI", "Michigan-style Association")


@pytest.fixture
def defaults(app):
    """The shipped default rule sets, installed (what most tests of the plugins start from)."""
    from competencies.rulesets import install_defaults

    return install_defaults()


@pytest.fixture
def add_evidence(association):
    """Record a ledger row for a clinician of the test's association: verified by default,
    dated `days_ago` days back; keywords go to `competencies.ledger.record`."""
    from competencies import ledger

    def add(clinician, kind="training", days_ago=30, status="verified", **kw):
        kw.setdefault("source", "test")
        return ledger.record(
            clinician=clinician,
            association=association,
            kind=kind,
            occurred_on=dt.date.today() - dt.timedelta(days=days_ago),
            status=status,
            **kw,
        )

    return add


@pytest.fixture
def make_user(app, association):
    from lms.accounts import create_user

    counter = iter(range(1, 10_000))

    def make(email=None, roles=("clinician",), assoc=association, password=PASSWORD, **kw):
        email = email or f"user{next(counter)}@example.test"
        name = kw.pop("display_name", None) or email.split("@")[0].title()
        return create_user(
            email, name, roles=tuple(roles), association=assoc, password=password, **kw
        )

    return make


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD, **extra):
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def api_token(app):
    """Return a function that creates an API token for a user and returns the header."""
    from lms.accounts import create_api_token
    from lms.models import Membership

    def make(user, role=None, association=None):
        membership = Membership.select().where(Membership.user == user).first()
        role = role or membership.role
        association = association if association is not None else membership.association
        issued = create_api_token(
            user, role=role, association=association, name="test", password=None
        )
        return {"Authorization": f"Bearer {issued.secret}"}

    return make


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)
