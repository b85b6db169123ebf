"""`lms.db.update_rows`: many conditional updates in one go, the same on SQLite and PostgreSQL
(one statement over arrays there): each row changed only where its keys match, every column
type kept, NULLs and awkward text included."""

from __future__ import annotations

import datetime as dt
import sqlite3

import peewee as pw
import pytest

from lms.db import db, update_rows


class Kept(pw.Model):
    """A table of the kinds of column the kept rows write."""

    owner = pw.IntegerField()
    generation = pw.IntegerField()
    day = pw.DateField(null=True)
    share = pw.DoubleField(default=0.0)
    ready = pw.BooleanField(default=False)
    label = pw.CharField(max_length=50, default="")
    notes = pw.TextField(default="")
    data = pw.BlobField(null=True)

    class Meta:
        database = db
        table_name = "test_update_rows_kept"
        primary_key = pw.CompositeKey("owner", "generation")


COLUMNS = ("day", "share", "ready", "label", "notes", "data")
KEYS = ("owner", "generation")
OLD = dt.date(2026, 1, 1)
QUOTED, JSON = 'it\'s "quoted"', '["a", "b\\\\c"]'


@pytest.fixture
def kept(app):
    db.create_tables([Kept])
    Kept.insert_many(
        [{"owner": n, "generation": 1, "label": "old", "day": OLD} for n in range(5)]
    ).execute()
    yield Kept
    db.drop_tables([Kept])


def _rows():
    return {
        r.owner: (r.day, r.share, r.ready, r.label, r.notes, r.data and bytes(r.data))
        for r in Kept.select().order_by(Kept.owner)
    }


def test_each_row_is_set_where_its_keys_match_and_nowhere_else(kept):
    before = _rows()
    blob = bytes(range(256))  # every byte, zero included
    update_rows(
        Kept,
        COLUMNS,
        KEYS,
        [
            ("2026-12-08", 0.25, True, QUOTED, JSON, blob, 0, 1),
            (None, 1.0, False, "", "", None, 1, 1),
            ("2026-12-09", 0.5, True, "stale", "", b"", 2, 7),  # a write came in between
            ("2026-12-10", 0.75, True, "ünïcode ✓", "line\nbreak", b"x", 3, 1),
        ],
    )

    after = _rows()
    assert after[0] == (dt.date(2026, 12, 8), 0.25, True, QUOTED, JSON, blob)
    assert after[1] == (None, 1.0, False, "", "", None)
    assert after[2] == before[2]  # its generation did not match: left alone
    assert after[3] == (dt.date(2026, 12, 10), 0.75, True, "ünïcode ✓", "line\nbreak", b"x")
    assert after[4] == before[4]  # not asked for


def test_a_column_of_nulls_alone_is_written(kept):
    update_rows(Kept, ("day", "data"), KEYS, [(None, None, n, 1) for n in (1, 2)])

    after = _rows()
    assert [after[n][0] for n in range(5)] == [OLD, None, None, OLD, OLD]


def test_no_rows_write_nothing_and_uneven_ones_write_nothing(kept):
    before = _rows()
    update_rows(Kept, COLUMNS, KEYS, [])
    # PostgreSQL's arrays would be uneven (refused before sending); SQLite's driver refuses the
    # second row, and the transaction takes back the first.
    with pytest.raises((ValueError, sqlite3.ProgrammingError)):
        with db.atomic():
            update_rows(
                Kept,
                ("label",),
                KEYS,
                [("new", 0, 1), ("short", 1)],
            )
    assert _rows() == before
