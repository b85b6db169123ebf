"""The request's connection lasts as long as its streamed body, and no longer.

A WSGI server reads a streamed body after the view and the request teardown have run; the
connection must stay open until the server closes the response, then be released (returned to
the pool on PostgreSQL; on SQLite kept open, with no transaction, for the thread's next request).
An ordinary response releases it at the end of the request.
"""

from __future__ import annotations

from flask import Response

from lms.db import db, is_sqlite

NUMBERS = (
    "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 500) SELECT v FROM n"
)


def _released() -> bool:
    if not is_sqlite():
        return db.is_closed()  # back in the pool
    return not db.is_closed() and not db.in_transaction() and not db.connection().in_transaction


def _app_without_held_connection(app_factory):
    app = app_factory()

    @app.route("/numbers.txt")
    def numbers():
        cursor = db.execute_sql(NUMBERS)  # rows are fetched while the body is sent
        return Response((f"{v}\n" for (v,) in cursor), mimetype="text/plain")

    @app.route("/count.txt")
    def count():
        return Response(str(db.execute_sql(NUMBERS).fetchall()[-1][0]), mimetype="text/plain")

    db.close()  # as under a server: nobody holds a connection between requests
    return app


def test_streamed_body_keeps_the_connection_until_the_response_is_closed(app_factory):
    client = _app_without_held_connection(app_factory).test_client()

    response = client.get("/numbers.txt", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert not db.is_closed()  # the view has returned; the body is still to be read
    lines = b"".join(response.response).decode().split()
    response.close()

    assert lines == [str(v) for v in range(1, 501)]
    assert _released()


def test_ordinary_response_releases_the_connection_at_the_end_of_the_request(app_factory):
    client = _app_without_held_connection(app_factory).test_client()

    response = client.get("/count.txt")

    assert response.get_data(as_text=True) == "500"
    assert _released()
