"""A statement run often is prepared once per PostgreSQL connection and only executed after
that (`lms.db.execute_prepared`); it lasts as long as the connection, whatever becomes of the
transaction that prepared it, and a PREPARE the server refused is sent again next time. On
SQLite the text runs as it is."""

from __future__ import annotations

import pytest

from lms.db import db, execute_prepared
from tests.statements import first_words

NAME = "lms_test_sum"
SUM = "SELECT $1::int + $2::int"


def _prepared_at() -> dict[str, object]:
    """The server's prepared statements of this connection, and when each was prepared."""
    rows = db.execute_sql("SELECT name, prepare_time FROM pg_prepared_statements")
    return dict(rows.fetchall())


def test_a_statement_is_prepared_once_per_connection_and_outlives_a_rollback(
    app, backend, monkeypatch
):
    if backend != "postgresql":
        assert execute_prepared(NAME, "SELECT ? + ?", [2, 3]).fetchone()[0] == 5
        return
    sent = first_words(monkeypatch)
    with db.atomic() as transaction:
        assert execute_prepared(NAME, SUM, [2, 3]).fetchone()[0] == 5
        transaction.rollback()
    first = _prepared_at()
    assert NAME in first  # not undone with the transaction that prepared it
    assert execute_prepared(NAME, SUM, [40, 2]).fetchone()[0] == 42
    assert _prepared_at()[NAME] == first[NAME]  # the second call only executed it
    assert sent.count("EXECUTE") == 2 and "PREPARE" not in sent  # one statement a call

    db.close_all()  # every pooled connection closed: the next one has prepared nothing
    assert NAME not in _prepared_at()
    assert execute_prepared(NAME, SUM, [1, 1]).fetchone()[0] == 2
    assert NAME in _prepared_at()


def test_a_refused_prepare_is_sent_again(app, backend):
    if backend != "postgresql":
        return
    import psycopg2

    for _ in range(2):  # not taken for prepared: the server says why again, not "unknown name"
        with pytest.raises(psycopg2.errors.UndefinedColumn):
            execute_prepared("lms_test_bad", "SELECT no_such_column", [])
        db.rollback()
    assert "lms_test_bad" not in _prepared_at()


def test_a_statement_without_parameters_runs(app):
    assert execute_prepared("lms_test_seven", "SELECT 7", []).fetchone()[0] == 7
