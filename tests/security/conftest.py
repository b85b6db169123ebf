"""Fixtures of the security tests: one association with every role, signed-in clients, tokens,
a training, a certificate and a stored xAPI statement; and a fingerprint of the database."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms import jobs
from tests.conftest import PASSWORD

CORPUS = Path(__file__).parents[1] / "corpus"
TODAY = dt.date.today()
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}

# Columns that may change on a refused request, with the reason. Nothing else may.
# lms_apitoken.last_used_at: token authentication stamps the time of use (at most once a
# minute) before the request body is read; it records that the token was used, not any fact
# the refused input carried. The audit log, by contrast, must not change: a refused input
# wrote nothing, so there is nothing to audit. (A sign-in with a wrong password is audited
# as auth.login_failed on purpose; that is a refused credential, not refused input, so the
# users sign in before the first fingerprint, and a hostile sign-in form is refused before
# the attempt counts.) Rate limits live in the limiter's storage, not in these tables.
VOLATILE_COLUMNS = {"lms_apitoken": {"last_used_at"}}


@dataclass
class World:
    """The people, records and ways in that the security tests use."""

    app: Flask
    users: dict[str, Any]
    tokens: dict[str, dict[str, str]]
    values: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, FlaskClient] = field(default_factory=dict)

    def client(self, role: str) -> FlaskClient:
        """Return a test client signed in as the user of this role ("anonymous": nobody)."""
        if role not in self._clients:
            client = self.app.test_client()
            if role != "anonymous":
                email = self.users[role].email
                with fresh_context(self.app):
                    response = client.post("/login", data={"email": email, "password": PASSWORD})
                assert response.status_code == 302, f"{email} could not sign in"
            self._clients[role] = client
        return self._clients[role]


@contextlib.contextmanager
def fresh_context(app: Flask) -> Iterator[None]:
    """Give one request its own `g`, as a server does.

    The `app` fixture holds one app context for the whole test, and a test client's request
    reuses it; without this, the API token one request authenticated would still sit on `g`
    for the next one.
    """
    with app.app_context():
        yield


@pytest.fixture
def world(app, association, make_association, make_user, api_token) -> World:
    """Build the association the corpus and the fuzzer run against."""
    from certificates.issuing import issue_transcript
    from competencies.pathways import declare_goal
    from competencies.rulesets import install_defaults
    from courses import trainings
    from lms.permissions import actor_for
    from supervision.credentials import record_credential

    install_defaults()
    other = make_association("OH", "Ohio-style Association")
    coordinator = make_user("coord@example.test", roles=("coordinator",))
    trainer = make_user("trainer@example.test", roles=("trainer",))
    clinician = make_user("ana@example.test", display_name="Ana Ortiz")
    make_user("other@example.test", assoc=other, display_name="Olga Other")
    provider = make_user(
        "provider@example.test", roles=("rsc_provider",), display_name="Pat Provider"
    )
    record_credential(
        provider, association, "IMHS", TODAY - dt.timedelta(days=2000), actor=coordinator
    )
    declare_goal(clinician, association, "IMHS", TODAY - dt.timedelta(days=400))
    trainings.save_training(
        actor_for(trainer),
        association,
        {
            "code": "NBO-101",
            "title": "Newborn observation",
            "format": "in_service",
            "hours": 3.0,
            "areas": {"TF-DEV": None, "TF-ATTACH": None},
            "tags": (),
            "activity_iri": "https://lms.example.test/course/101",
            "hours_from_duration": True,
        },
    )
    certificate = issue_transcript(clinician, association, issuer=coordinator)
    users = {
        "coordinator": coordinator,
        "trainer": trainer,
        "clinician": clinician,
        "provider": provider,
    }
    tokens = {role: api_token(user) for role, user in users.items()}
    with fresh_context(app):
        stored = app.test_client().post(
            "/xapi/statements",
            data=(CORPUS / "xapi" / "stored_statement.json").read_bytes(),
            headers={**tokens["trainer"], **XAPI_HEADERS, "Content-Type": "application/json"},
        )
    assert stored.status_code == 200, stored.get_data(as_text=True)
    # The statement's re-evaluation runs on a thread on PostgreSQL: let it finish before the
    # tests take the database's fingerprint.
    assert jobs.drain(timeout=120)
    values = {
        "trainer": trainer.email,
        "coordinator": coordinator.email,
        "clinician": clinician.email,
        "association_id": str(association.id),
        "provider_id": str(provider.id),
        "certificate_id": str(certificate.id),
        "certificate_code": certificate.code,
    }
    return World(app, users, tokens, values)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_queries: dict[str, list[tuple[str, str]]] = {}


def _table_queries() -> list[tuple[str, str]]:
    """Return (table, SELECT of all its rows in key order); the catalog is read once per backend."""
    from lms.db import db

    backend = type(db.obj).__name__
    if backend not in _queries:
        queries = []
        for table in sorted(db.get_tables()):
            skip = VOLATILE_COLUMNS.get(table, set())
            columns = [c.name for c in db.get_columns(table) if c.name not in skip]
            order = db.get_primary_keys(table) or columns
            queries.append(
                (
                    table,
                    f"SELECT {', '.join(map(_quote, columns))} FROM {_quote(table)} "
                    f"ORDER BY {', '.join(map(_quote, order))}",
                )
            )
        _queries[backend] = queries
    return _queries[backend]


def database_fingerprint() -> dict[str, tuple[int, str]]:
    """Return each table's row count and a SHA-256 of all its rows in primary-key order."""
    from lms.db import db

    fingerprint = {}
    for table, sql in _table_queries():
        digest = hashlib.sha256()
        count = 0
        for row in db.execute_sql(sql):
            values = tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            digest.update(repr(values).encode())
            count += 1
        fingerprint[table] = (count, digest.hexdigest())
    return fingerprint
