"""Hold the database: a peewee proxy bound at app start, per-request connections, migrations."""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlparse

import peewee
from flask import Flask, Response, g
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase

db = peewee.DatabaseProxy()

F = TypeVar("F", bound=Callable[..., Any])

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("busy_timeout", 15000),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
    ("cache_size", -65536),
)


POOL_SIZE = 20  # PostgreSQL connections a process keeps open at most (URL: ?max_connections=)
POOL_RECYCLE_SECONDS = 300  # a connection older than this is closed, not reused
POOL_WAIT_SECONDS = 10  # a request waits this long for a free connection before failing


class PooledPostgres(PooledPostgresqlDatabase):
    """PostgreSQL with each process's connections reused from request to request.

    Opening a PostgreSQL connection (a backend process, authentication) costs more than most
    pages; a returned connection is rolled back first. A process forked from one holding
    connections (gunicorn --preload) starts with an empty pool instead of sharing its
    parent's sockets.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _pools.add(self)

    def forget_inherited(self) -> None:
        """Drop the connections a forked child inherited, without closing them (closing
        would end the parent's sessions on the server too)."""
        self._connections = []
        self._in_use = {}
        self._state.reset()


_pools: weakref.WeakSet[PooledPostgres] = weakref.WeakSet()
os.register_at_fork(after_in_child=lambda: [pool.forget_inherited() for pool in list(_pools)])


def _table_name(model_class: type[peewee.Model]) -> str:
    # One name per plugin: the package a model lives in prefixes its table.
    package = model_class.__module__.split(".")[0]
    return f"{package}_{model_class.__name__.lower()}"


class BaseModel(peewee.Model):
    """Base of every model: bound to the proxy, table named `<plugin>_<model>`."""

    class Meta:
        database = db
        table_function = _table_name
        legacy_table_names = False


def _create_owner_only(path: Path) -> None:
    """Create a new SQLite file owner-only (its -wal and -shm files take the same mode)."""
    from lms.private_files import create_private, private_dir

    if path.exists():
        return
    private_dir(path.parent)
    try:
        os.close(create_private(path))
    except FileExistsError:  # another process created it meanwhile
        pass


def make_database(url: str) -> peewee.Database:
    """Return an unconnected database for a `sqlite:///path` or `postgresql://` URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        path = path.split("?", 1)[0] or ":memory:"
        if path != ":memory:":
            _create_owner_only(Path(path))
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two writers queue on
        # the busy timeout instead of failing later with "database is locked" on upgrade.
        return peewee.SqliteDatabase(
            path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False
        )
    if parsed.scheme in {"postgres", "postgresql"}:
        options = dict(parse_qsl(parsed.query))
        return PooledPostgres(
            (parsed.path or "/").lstrip("/"),
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port,
            max_connections=_whole(options, "max_connections", POOL_SIZE),
            stale_timeout=_whole(options, "stale_timeout", POOL_RECYCLE_SECONDS),
            timeout=POOL_WAIT_SECONDS,
            **options,
        )
    raise ValueError(f"LMS_DATABASE_URL has an unsupported scheme {parsed.scheme!r}")


def _whole(options: dict[str, str], name: str, default: int) -> int:
    """Take a positive whole number out of the database URL's query, or say which is wrong."""
    text = options.pop(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"LMS_DATABASE_URL: {name} must be a whole number above 0, not {text!r}")
    return int(text)


def is_sqlite() -> bool:
    """Tell whether the bound database is SQLite."""
    return isinstance(db.obj, peewee.SqliteDatabase)


def insert_rows(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows of values for these columns (bulk writes skip peewee's per-value query
    building, which costs more than the database work itself).

    SQLite runs a one-row INSERT over every row; PostgreSQL gets one multi-row INSERT per
    page of rows, parsed and planned once instead of once a row.
    """
    if not rows:
        return
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    if is_sqlite():
        db.cursor().executemany(head + f"({', '.join('?' * len(columns))})", rows)
    else:
        from psycopg2.extras import execute_values

        execute_values(db.cursor(), head + "%s", rows, page_size=PAGE_ROWS)


PAGE_ROWS = 1000  # rows per statement sent to PostgreSQL


def new_ids(table: str, count: int) -> list[int]:
    """Reserve `count` ids of `table` (an integer `id` key) for rows the caller then inserts
    with them, so other rows can point at them without reading them back. Call it inside the
    write's transaction: SQLite gives the ids after the largest (a write transaction holds the
    only write lock from BEGIN IMMEDIATE, so nobody else inserts meanwhile), PostgreSQL takes
    them from the id's sequence.
    """
    if count <= 0:
        return []
    if not db.in_transaction():
        raise RuntimeError("new_ids reserves ids only inside a transaction")
    if is_sqlite():
        (top,) = db.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
        return list(range(top + 1, top + 1 + count))
    cursor = db.execute_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, count),
    )
    return sorted(row[0] for row in cursor.fetchall())


def update_rows(
    model: type[peewee.Model],
    columns: Sequence[str],
    keys: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Set `columns` of the rows of `model`'s table matched by `keys`: each item of `rows`
    holds the new values of `columns`, then the values the row's `keys` must equal (a row
    matching none is left alone, as a conditional write should be).

    SQLite runs one UPDATE over every item (its executemany prepares it once). PostgreSQL gets
    one `UPDATE … FROM unnest(…)` joined on the keys, each column's values sent as one array
    cast to the column's type: one statement a row, as psycopg2's `execute_batch` sends them,
    took 40 ms for 1,000 kept readiness rows (each parsed, planned and run, and formatted by
    the client), a VALUES list 28 ms, the arrays 18 ms.
    """
    if not rows:
        return
    table = model._meta.table_name
    if is_sqlite():
        assignments = ", ".join(f"{c} = ?" for c in columns)
        matches = " AND ".join(f"{k} = ?" for k in keys)
        db.cursor().executemany(f"UPDATE {table} SET {assignments} WHERE {matches}", rows)
        return
    fields = {f.column_name: f for f in model._meta.sorted_fields}
    types = db.obj.field_types
    arrays = ", ".join(
        f"%s::{types.get(fields[c].field_type, fields[c].field_type)}[]" for c in (*columns, *keys)
    )
    sql = (
        f"UPDATE {table} AS t SET {', '.join(f'{c} = v.{c}' for c in columns)} "
        f"FROM unnest({arrays}) AS v ({', '.join((*columns, *keys))}) "
        f"WHERE {' AND '.join(f't.{k} = v.{k}' for k in keys)}"
    )
    db.cursor().execute(sql, [list(values) for values in zip(*rows, strict=True)])


# The statements each PostgreSQL connection has prepared (by name), for `execute_prepared`.
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def execute_prepared(name: str, sql: str, params: Sequence[Any]) -> Any:
    """Run a statement the caller runs often, with these parameters; return its cursor.

    On PostgreSQL the statement is prepared once per connection (`PREPARE`, with `$1`, `$2`,
    … for the parameters in `sql`) and then only executed: the server plans it once per
    connection (a generic plan when it is no worse) instead of on every call, which cost as
    much as running it for one clinician. A prepared statement lasts as long as its
    connection, whatever becomes of the transaction that prepared it; it is marked prepared
    only once the server said so, so a failed `PREPARE` is sent again next time. The
    `PREPARE` goes straight to the driver, once per connection, like the connection's own
    setup: the statements a request runs (and counts) are the same whichever connection it
    gets. `name` must stand for this one text. On SQLite, whose driver keeps its parsed
    statements, `sql` is the text with `?` placeholders, run as it is.
    """
    if is_sqlite():
        return db.execute_sql(sql, params)
    conn = db.connection()
    names = _prepared.get(conn)
    if names is None:
        names = _prepared[conn] = set()
    if name not in names:
        with conn.cursor() as cursor:
            cursor.execute(f"PREPARE {name} AS {sql}")
        names.add(name)
    arguments = f" ({', '.join(['%s'] * len(params))})" if params else ""
    return db.execute_sql(f"EXECUTE {name}{arguments}", params)


def transactional(func: F) -> F:
    """Run a write service in one transaction (IMMEDIATE on SQLite); nested calls share it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with db.atomic():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def connection() -> Iterator[None]:
    """Hold a connection for a block; close it only if this block opened it."""
    opened = db.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


def init_app(app: Flask) -> None:
    """Bind the proxy to the configured database and open a connection per request.

    The connection is closed when the request ends, or, for a streamed response (a CSV read
    row by row from a query, a ZIP), when the server closes the response after its last byte:
    the server reads a streamed body only after the view and the request teardown have run.
    """
    db.initialize(make_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _open() -> None:
        # False when someone (a test, a CLI command) already holds the connection; true when
        # this thread's previous request kept it (SQLite, `_close_connection`).
        g._db_opened = db.connect(reuse_if_open=True) or _kept()

    @app.after_request
    def _keep_for_stream(response: Response) -> Response:
        # Registered first, so it runs after every other after_request hook.
        if response.is_streamed and g.pop("_db_opened", False):
            response.call_on_close(_close_connection)
        return response

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if g.pop("_db_opened", False):
            _close_connection()


def _close_connection() -> None:
    """Release the request's connection: on PostgreSQL back to the pool; on SQLite kept open for
    this thread's next request, unless a transaction was left open (then closed, which rolls it
    back). Opening a SQLite connection cost about 0.8 ms CPU (the file, its schema read again),
    a tenth of a dashboard; an idle one holds no lock and sees every commit."""
    if db.is_closed():
        return
    if is_sqlite() and not db.in_transaction() and not db.connection().in_transaction:
        db.obj._state.lms_kept = db.connection()
        return
    db.close()


def _kept() -> bool:
    state = db.obj._state
    return not state.closed and state.conn is getattr(state, "lms_kept", None)


_inherited: list[Any] = []  # SQLite connections a forked child inherited: never used, never closed


def _forget_inherited_sqlite() -> None:
    # A forked child must not use its parent's SQLite connection, nor close it (closing could
    # take the parent's WAL with it): it opens its own.
    database = db.obj
    if isinstance(database, peewee.SqliteDatabase) and not database._state.closed:
        _inherited.append(database._state.conn)
        database._state.reset()


os.register_at_fork(after_in_child=_forget_inherited_sqlite)


# --- migrations -----------------------------------------------------------------------------


def migration_runner(name: str, package: str) -> Runner:
    """Return the migration runner of one plugin (`<package>/migrations`, `<name>_migration`)."""
    module = importlib.import_module(package)
    directory = Path(module.__file__).parent / "migrations"  # type: ignore[arg-type]
    return Runner(db.obj, directory=str(directory), table_name=f"{name}_migration")


def migrate_all(app: Flask) -> dict[str, list[str]]:
    """Apply pending migrations of the core and every loaded plugin, in load order."""
    applied: dict[str, list[str]] = {}
    for name, package in migration_targets(app):
        applied[name] = migration_runner(name, package).up()
    return applied


def migration_status(app: Flask) -> Iterable[tuple[str, str, Any]]:
    """Yield (plugin, migration, applied-at or None) for every migration known."""
    for name, package in migration_targets(app):
        for migration in migration_runner(name, package).status():
            yield name, migration.name, migration.applied


def migration_targets(app: Flask) -> list[tuple[str, str]]:
    """Return (name, package) of the core and each loaded plugin, in order."""
    plugins = app.extensions["lms.plugins"]
    return [("lms", "lms")] + [(p.name, p.package) for p in plugins]
