"""The summary queries' SQL is compiled once per shape and run with each call's values: the
summaries are those of the queries peewee builds for every call (the path before the cache)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.competencies.conftest import TODAY

KINDS = ("training", "rsc", "work", "education", "reference", "exam", "membership", "agreement")
STATUSES = ("verified", "attested", "pending", "rejected", "void")
AREAS = ("", "TF-PREG", "TF-DEV,TF-PREG", "LAW-ETHICS", "COM-WRITE,LAW-ETHICS,TF-DEV")
TAGS = ("", "dei", "dei,rsc-topic", "rsc-topic")
# Over two years, some after today, and on the calls' first and last days (and the day beside).
EDGES = (-1, 0, 1, 199, 200, 201, 399, 400, 401, 599, 600, 601)
DAYS_AGO = (*range(-60, 720, 7), *EDGES * 6)
DETAILS = ({}, {"format": "individual"}, {"format": "group", "n": 3}, {"level": "master"})


def _peewee_rows(which, ids, association_id, as_of, start):
    """The rows as the code before the cache read them: the query built by peewee with the
    call's values, compiled and run by `db.execute`."""
    from competencies import summaries
    from lms.db import db

    return db.execute(summaries._queries(ids, association_id, as_of, start)[which])


@pytest.fixture
def ledger_rows(make_association, make_user, defaults, association):
    """Clinicians of two associations with rows of every kind, status, area and tag set, dated
    over two years (some after today, many on the edges of the calls' dates); one clinician has
    no row. Written straight to the table so a clinician also has rows under the other
    association."""
    from competencies.models import Evidence

    other = make_association("OT", "Other Association")
    people = [make_user(f"s{i}@example.test") for i in range(7)]
    people += [make_user(f"o{i}@example.test", assoc=other) for i in range(3)]
    empty = make_user("nothing@example.test")
    draw = random.Random(17)
    for person in people:
        for _ in range(draw.randint(1, 40)):
            Evidence.create(
                clinician=person,
                association=draw.choice((association, association, other)),
                kind=draw.choice(KINDS[:1] * 4 + KINDS),
                occurred_on=TODAY - dt.timedelta(days=draw.choice(DAYS_AGO)),
                hours=draw.choice((0, 0.5, 1.25, 2, 3.5, 6, 12)),
                status=draw.choice(STATUSES),
                areas=draw.choice(AREAS),
                tags=draw.choice(TAGS),
                details=draw.choice(DETAILS),
                label=draw.choice(("", "Workshop", "Reading")),
                source="test",
            )
    return association, other, [p.id for p in people], empty.id


def test_compiled_queries_give_the_summaries_of_the_peewee_path(ledger_rows, monkeypatch):
    from competencies import summaries

    association, other, people, empty = ledger_rows
    id_sets = [[p] for p in people] + [[empty], people[:3], people + [empty], people[::-1]]
    calls = [
        dict(as_of=as_of, clinician_ids=ids, association_id=assoc, start=start)
        for as_of in (TODAY, TODAY - dt.timedelta(days=200))
        for ids in [*id_sets, None]
        for assoc in (None, association.id, other.id)
        for start in (None, TODAY - dt.timedelta(days=400))
    ]
    new = [summaries.build_summaries(**call) for call in calls]
    with monkeypatch.context() as patch:
        patch.setattr(summaries, "_rows", _peewee_rows)
        patch.setattr(summaries, "FEW_CLINICIANS", 0)  # the three queries for a few ids too
        old = [summaries.build_summaries(**call) for call in calls]
    assert new == old
    assert sum(map(len, new)) > 200  # summaries were made, with items, areas and training
    every = [s for found in new for s in found.values()]
    assert all(s.clinician_id != empty for s in every)
    assert any(s.items for s in every) and any(s.areas for s in every)
    assert any(s.training_count for s in every)
    assert any(found.get(people[0]) != new[0].get(people[0]) for found in new[1:])


def test_one_text_serves_many_counts_of_clinicians(ledger_rows):
    from competencies import summaries
    from lms.db import db

    association, _other, people, _empty = ledger_rows
    summaries._COMPILED.clear()
    summaries._PREPARED.clear()  # on PostgreSQL a few ids' statement is compiled to prepare it
    for count in range(1, len(people) + 1):
        summaries.build_summaries(
            as_of=TODAY, clinician_ids=people[:count], association_id=association.id
        )
    # 1, 2, 4, 8 and 16 placeholders for 1 to 10 ids, each for this database only
    assert {key[2] for key in summaries._COMPILED} == {1, 2, 4, 8, 16}
    assert {key[:2] for key in summaries._COMPILED} == {(type(db.obj), db.obj.param)}
    assert [summaries._id_slots(n) for n in (1, 3, 1000, 1024, 1025, 3000)] == [
        1,
        4,
        1024,
        1024,
        2048,
        3072,
    ]


def test_compiled_text_holds_placeholders_not_values(ledger_rows):
    """No value of a call (ids, association, dates) nor any constant is written into the SQL:
    each is a parameter. The text PostgreSQL prepares has the constants written in, and still
    none of a call's values."""
    from competencies import summaries
    from lms.db import db

    association, other, people, _empty = ledger_rows
    start = TODAY - dt.timedelta(days=321)
    summaries._COMPILED.clear()
    summaries._PREPARED.clear()
    summaries.build_summaries(
        as_of=TODAY, clinician_ids=people[4:5], association_id=association.id, start=start
    )
    ((key, texts),) = summaries._COMPILED.items()
    for sql, params in texts:
        assert sql.count(db.obj.param) == len(params)
        for text in (TODAY.isoformat(), start.isoformat(), "'training'", "'verified'", "'void'"):
            assert text not in sql
    for _name, prepared, order in summaries._PREPARED.values():  # PostgreSQL only
        assert "'training'" in prepared and prepared.count("$") == len(order)
        assert set(order) == {0, 1, 2, 3}  # association, as_of, start, the one id: parameters
        assert TODAY.isoformat() not in prepared and start.isoformat() not in prepared
        assert f" {people[4]}" not in prepared and f" {association.id})" not in prepared
    summaries.build_summaries(
        as_of=TODAY - dt.timedelta(days=3),
        clinician_ids=people[5:6],
        association_id=other.id,
        start=start - dt.timedelta(days=9),
    )
    assert list(summaries._COMPILED.items()) == [(key, texts)]  # the same texts, other values
