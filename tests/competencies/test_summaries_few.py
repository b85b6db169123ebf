"""For a few clinicians `build_summaries` runs one statement (`summaries._few_query`) instead of
its three queries: the summaries are equal, to the last bit of every hour sum, on varied ledgers
(void rows, every kind and status, tags, areas, many months, a renewal year's start, one
association or all), and the statement searches the covering index."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competencies.types import KINDS, STATUSES
from tests.competencies.conftest import TODAY

AREAS = ("", "TF-PREG", "TF-DEV,TF-PREG", "LAW-ETHICS", "COM-WRITE,LAW-ETHICS,TF-DEV")
TAGS = ("", "dei", "dei,rsc-topic", "rsc-topic")
# Hours whose sums round (0.1 + 0.2 != 0.3): equal sums then need the same additions in the
# same order, not only the same rows.
HOURS = (0.0, 0.1, 0.2, 0.3, 0.7, 1.1, 1.25, 1 / 3, 2.2, 6.0, 12.6, 1e-3, 7.77)
# Over two years, some after today, and on the calls' first and last days (and the day beside).
DAYS_AGO = (-30, -1, 0, 1, 5, 31, 62, 199, 200, 201, 250, 399, 400, 401, 500, 700)
DETAILS = ({}, {"format": "individual"}, {"format": "group", "n": 3}, {"level": "master"})
LABELS = ("", "Workshop", "Reading")


def _summaries(monkeypatch, few: bool, **call):
    from competencies import summaries

    with monkeypatch.context() as patch:
        patch.setattr(summaries, "FEW_CLINICIANS", 8 if few else 0)
        return summaries.build_summaries(**call)


@pytest.fixture
def people(make_association, make_user, defaults, association):
    other = make_association("OT", "Other Association")
    clinicians = [make_user(f"f{i}@example.test") for i in range(3)]
    provider = make_user("provider@example.test", roles=("rsc_provider",))
    empty = make_user("nothing@example.test")
    return association, other, clinicians, provider, empty


def _write(rows, association, other, clinicians, provider) -> None:
    from competencies.models import Evidence

    Evidence.insert_many(
        [
            {
                "clinician": clinicians[who].id,
                "association": (other if elsewhere else association).id,
                "kind": kind,
                "occurred_on": TODAY - dt.timedelta(days=days),
                "hours": hours,
                "status": status,
                "areas": areas,
                "tags": tags,
                "provider": provider.id if by_provider else None,
                "details": details,
                "label": label,
                "source": "test",
            }
            for (
                who,
                elsewhere,
                kind,
                status,
                days,
                hours,
                areas,
                tags,
                details,
                label,
                by_provider,
            ) in rows
        ]
    ).execute()


ROW = st.tuples(
    st.integers(0, 2),
    st.sampled_from((False, False, True)),
    st.sampled_from(("training",) * 6 + tuple(sorted(KINDS))),
    st.sampled_from(("verified",) * 3 + tuple(sorted(STATUSES))),
    st.sampled_from(DAYS_AGO),
    st.sampled_from(HOURS),
    st.sampled_from(AREAS),
    st.sampled_from(TAGS),
    st.sampled_from(DETAILS),
    st.sampled_from(LABELS),
    st.booleans(),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(ROW, max_size=60),
    who=st.sampled_from(((0,), (1,), (0, 1), (0, 1, 2), (2, 0, "empty"))),
    where=st.sampled_from(("mine", "other", None)),
    as_of_ago=st.sampled_from((0, 200)),
    start_ago=st.sampled_from((None, 400, 62)),
)
def test_one_statement_gives_the_summaries_of_the_three_queries(
    people, monkeypatch, rows, who, where, as_of_ago, start_ago
):
    from lms.db import db

    association, other, clinicians, provider, empty = people
    ids = [empty.id if w == "empty" else clinicians[w].id for w in who]
    call = dict(
        as_of=TODAY - dt.timedelta(days=as_of_ago),
        clinician_ids=ids,
        association_id={"mine": association.id, "other": other.id, None: None}[where],
        start=None if start_ago is None else TODAY - dt.timedelta(days=start_ago),
    )
    with db.atomic() as transaction:
        _write(rows, association, other, clinicians, provider)
        few = _summaries(monkeypatch, True, **call)
        three = _summaries(monkeypatch, False, **call)
        transaction.rollback()
    assert few == three
    # equal also in what the evaluator reads through iteration order of the items
    for clinician_id, summary in few.items():
        assert [it.id for it in summary.items] == [it.id for it in three[clinician_id].items]


def test_long_groups_of_rounding_hours_sum_alike(people, monkeypatch):
    """Hundreds of rows in one (tags, month) group and one (areas, kind) group, with hours
    whose sum depends on the order of the additions: the same bits both ways."""
    association, other, clinicians, provider, _empty = people
    draw = random.Random(5)
    rows = [
        (
            draw.randint(0, 1),
            False,
            "training",
            draw.choice(("verified", "attested", "verified", "pending")),
            draw.choice((3, 4, 5, 40)),
            draw.uniform(0, 9),
            draw.choice(AREAS[1:3]),
            draw.choice(TAGS[:2]),
            {},
            "T",
            False,
        )
        for _ in range(600)
    ]
    rows += [
        (0, False, "rsc", "attested", 3, draw.uniform(0, 2), "TF-PREG", "", {}, "", True)
        for _ in range(80)
    ]
    _write(rows, association, other, clinicians, provider)
    for ids, start in (
        ([clinicians[0].id, clinicians[1].id], None),
        ([clinicians[0].id, clinicians[1].id], TODAY - dt.timedelta(days=10)),
        ([clinicians[0].id], None),  # one clinician: the aggregates group without the id
        ([clinicians[0].id], TODAY - dt.timedelta(days=10)),
    ):
        call = dict(as_of=TODAY, clinician_ids=ids, association_id=association.id, start=start)
        few = _summaries(monkeypatch, True, **call)
        three = _summaries(monkeypatch, False, **call)
        assert few == three
        summary = few[clinicians[0].id]
        assert summary.training_count > 100 and summary.areas["TF-PREG"].count > 100
    assert len({row[5] for row in rows}) == len(rows)  # not a handful of values


def test_few_is_a_handful_and_more_take_the_three_queries(people, monkeypatch):
    from competencies import summaries

    association, other, clinicians, provider, _empty = people
    _write(
        [(0, False, "training", "verified", 3, 1.5, "TF-PREG", "dei", {}, "T", False)],
        association,
        other,
        clinicians,
        provider,
    )
    ran = []
    monkeypatch.setattr(
        summaries, "_rows", lambda which, *a, few=False: ran.append("few" if few else which) or []
    )
    for count in (1, 8, 9):
        ran.clear()
        ids = [clinicians[0].id] + list(range(10_000, 10_000 + count - 1))
        summaries.build_summaries(as_of=TODAY, clinician_ids=ids, association_id=association.id)
        assert ran == (["few"] if count <= summaries.FEW_CLINICIANS else [0, 1, 2])
    ran.clear()
    summaries.build_summaries(as_of=TODAY, association_id=association.id)
    assert ran == [0, 1, 2]  # every clinician: the three queries


def test_the_statement_searches_the_covering_index(people):
    """Each part of the statement is a search of the (association, clinician, kind, status,
    date) index; the aggregates read the index alone (SQLite), and PostgreSQL can serve every
    part from it."""
    from competencies import summaries
    from lms.db import db, is_sqlite

    association, _other, clinicians, _provider, _empty = people
    for start in (None, TODAY - dt.timedelta(days=300)):
        ids = [clinicians[0].id, clinicians[1].id]
        sql, args = summaries._statement(0, True, ids, association.id, TODAY, start)
        if is_sqlite():
            plan = [row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, args)]
            searches = [line for line in plan if line.startswith(("SEARCH", "SCAN"))]
            assert len(searches) == 4, plan
            assert all(
                "INDEX evidence_summary_cover (association_id=? AND clinician_id=? "
                "AND kind=? AND status=?" in line
                for line in searches
            ), plan
            assert sum("COVERING INDEX" in line for line in searches) == 2, plan
        else:
            # Pages and statistics of this test's rows only: the rows earlier tests wrote and
            # deleted would otherwise steer the planner (the tables are emptied with DELETE).
            db.execute_sql("VACUUM ANALYZE competencies_evidence")
            with db.atomic() as transaction:
                db.execute_sql("SET LOCAL enable_seqscan = off")
                db.execute_sql("SET LOCAL enable_bitmapscan = off")
                plan = [row[0] for row in db.execute_sql("EXPLAIN " + sql, args)]
                transaction.rollback()
            scans = [line.split("->")[-1].strip() for line in plan if "Scan using" in line]
            assert len(scans) == 4, plan
            assert all("Scan using evidence_summary_cover " in line for line in scans), plan
            assert sum(line.startswith("Index Only Scan") for line in scans) == 2, plan


def test_kept_readings_of_texts_start_afresh_when_full(people, monkeypatch):
    """Dates and area and tag sets read in one call are kept for the next; past the limit the
    next call starts from new ones (the untagged set still empty), with equal summaries."""
    from competencies import summaries

    association, other, clinicians, provider, _empty = people
    _write(
        [
            (
                0,
                False,
                "training",
                "verified",
                days,
                1.5,
                AREAS[days % 5],
                TAGS[days % 4],
                {},
                "",
                0,
            )
            for days in range(0, 300, 7)
        ]
        + [(0, False, "rsc", "pending", 3, 1.0, "", "", {}, "", True)],
        association,
        other,
        clinicians,
        provider,
    )
    call = dict(as_of=TODAY, clinician_ids=[clinicians[0].id], association_id=association.id)
    first = _summaries(monkeypatch, True, **call)
    kept = summaries._texts()
    monkeypatch.setattr(summaries, "_TEXTS_KEPT", 3)
    again = _summaries(monkeypatch, True, **call)
    fresh = summaries._texts()
    assert all(new is not old for new, old in zip(fresh, kept, strict=True))
    assert fresh[1][""] == frozenset()
    assert first == again == _summaries(monkeypatch, False, **call)
    assert first[clinicians[0].id].items[0].tags == frozenset()
