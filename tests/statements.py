"""What a test sees of the statements sent to the database."""

from __future__ import annotations

from lms.db import db


def first_words(monkeypatch) -> list[str]:
    """Record the first word (SELECT, EXECUTE, …) of each statement sent through the database
    from now on, in order, until the monkeypatch is undone."""
    sent: list[str] = []
    execute = db.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        sent.append(sql.split(None, 1)[0])
        return execute(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", recording)
    return sent
