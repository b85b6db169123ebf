"""A request's connection is released at its end: on SQLite a thread keeps it open for its next
request (opening one cost about 0.8 ms CPU, a tenth of a dashboard), on PostgreSQL it goes back
to the pool; either way never inside a transaction, and the next request sees other writes."""

from __future__ import annotations

import pytest

from lms.db import db, is_sqlite

INSERT = (
    "INSERT INTO lms_association (code, name, renewal_due, active, created_at)"
    " VALUES ('{code}', 'Name', '12-31', TRUE, '2026-01-01')"
)


@pytest.fixture
def server_app(app_factory, backend, tmp_path):
    """An app whose requests open their own connection, as under a server (SQLite: a file)."""
    extra = {"DATABASE_URL": f"sqlite:///{tmp_path / 'kept.db'}"} if backend == "sqlite" else {}
    app = app_factory(**extra)

    @app.route("/count")
    def count():
        return str(db.execute_sql("SELECT count(*) FROM lms_association").fetchone()[0])

    @app.route("/left-open")
    def left_open():
        db.execute_sql("BEGIN")
        db.execute_sql(INSERT.format(code="LEFT"))
        return "written, not committed"

    db.close()
    return app


def _write_elsewhere(code: str) -> None:
    other = db.obj._connect()  # another worker's connection
    other.cursor().execute(INSERT.format(code=code))
    other.commit()
    other.close()


def test_the_next_request_sees_other_writes_on_the_kept_connection(server_app):
    client = server_app.test_client()
    assert client.get("/count").get_data(as_text=True) == "0"
    if is_sqlite():
        kept = db.connection()
        assert not db.in_transaction() and not kept.in_transaction
    else:
        assert db.is_closed()  # back in the pool

    _write_elsewhere("NEW")

    assert client.get("/count").get_data(as_text=True) == "1"
    if is_sqlite():
        assert db.connection() is kept


def test_a_connection_left_in_a_transaction_is_closed_and_its_write_undone(server_app):
    client = server_app.test_client()
    assert client.get("/left-open").status_code == 200
    assert db.is_closed()
    assert client.get("/count").get_data(as_text=True) == "0"
