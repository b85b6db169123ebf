"""A statement run often is prepared once per PostgreSQL connection and only executed after
that (`lms.db.execute_prepared`); it lasts as long as the connection, whatever becomes of the
transaction that prepared it. On SQLite the text runs as it is."""

from __future__ import annotations

from lms.db import db, execute_prepared

NAME = "lms_test_sum"


def _prepares(monkeypatch) -> list[str]:
    """Record the PREPARE statements sent from now on."""
    sent: list[str] = []
    execute = db.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        if sql.startswith("PREPARE"):
            sent.append(sql)
        return execute(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", recording)
    return sent


def _on_server() -> set[str]:
    return {name for (name,) in db.execute_sql("SELECT name FROM pg_prepared_statements")}


def test_a_statement_is_prepared_once_per_connection_and_outlives_a_rollback(
    app, backend, monkeypatch
):
    if backend != "postgresql":
        assert execute_prepared(NAME, "SELECT ? + ?", [2, 3]).fetchone()[0] == 5
        return
    prepares = _prepares(monkeypatch)
    with db.atomic() as transaction:
        assert execute_prepared(NAME, "SELECT $1::int + $2::int", [2, 3]).fetchone()[0] == 5
        transaction.rollback()
    assert NAME in _on_server()  # not undone with the transaction that prepared it
    assert execute_prepared(NAME, "SELECT $1::int + $2::int", [40, 2]).fetchone()[0] == 42
    assert len(prepares) == 1  # the second call only executed it

    db.close_all()  # every pooled connection closed: the next one has prepared nothing
    assert NAME not in _on_server()
    assert execute_prepared(NAME, "SELECT $1::int + $2::int", [1, 1]).fetchone()[0] == 2
    assert len(prepares) == 2 and NAME in _on_server()


def test_a_statement_without_parameters_runs(app):
    assert execute_prepared("lms_test_seven", "SELECT 7", []).fetchone()[0] == 7
