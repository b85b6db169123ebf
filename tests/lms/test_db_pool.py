"""PostgreSQL connections are reused from request to request, and never shared with a fork."""

from __future__ import annotations

import os

import pytest

from lms.db import PooledPostgres, make_database
from tests.conftest import app_config


def _backend_pid(database) -> int:
    with database.connection_context():
        return database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def test_postgresql_connections_are_reused_and_a_fork_gets_its_own(backend, tmp_path):
    url = app_config(backend)["DATABASE_URL"]
    database = make_database(url if backend == "postgresql" else f"sqlite:///{tmp_path}/x.db")
    if backend != "postgresql":
        assert not isinstance(database, PooledPostgres)  # SQLite opens a file: nothing to pool
        return
    assert isinstance(database, PooledPostgres)
    first = _backend_pid(database)
    assert _backend_pid(database) == first  # the second "request" reused the connection

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child process
        try:
            os.write(write, str(_backend_pid(database)).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    in_child = int(os.read(read, 64) or b"0")
    os.close(read)
    assert in_child not in (0, first)  # the child opened its own connection
    assert _backend_pid(database) == first  # and the parent's still works
    database.close_all()


def test_a_returned_connection_leaves_no_transaction_open(backend, tmp_path):
    if backend != "postgresql":
        database = make_database(f"sqlite:///{tmp_path}/x.db")
        assert not isinstance(database, PooledPostgres)
        return
    database = make_database(app_config(backend)["DATABASE_URL"])
    database.connect()
    database.execute_sql("BEGIN")
    database.execute_sql("SET LOCAL application_name = 'left-open'")
    database.close()  # back to the pool, mid-transaction
    with database.connection_context():
        name = database.execute_sql("SHOW application_name").fetchone()[0]
    assert name != "left-open"  # rolled back on return, not handed on half-done
    database.close_all()


def test_pool_settings_come_from_the_url_and_a_bad_one_is_named():
    database = make_database("postgresql://u:p@127.0.0.1/x?max_connections=5&sslmode=disable")
    assert database._max_connections == 5 and database.connect_params["sslmode"] == "disable"
    for bad in ("max_connections=abc", "max_connections=0", "stale_timeout=-1"):
        with pytest.raises(ValueError, match=bad.split("=")[0]):
            make_database(f"postgresql://u:p@127.0.0.1/x?{bad}")
