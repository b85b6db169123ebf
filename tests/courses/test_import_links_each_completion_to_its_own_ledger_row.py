"""The CSV import writes each batch's ledger rows and completions with ids reserved up front:
every completion points at its own ledger row, whatever the batches, the file's order, the
values repeated across rows or the rows already recorded; a rejected file leaves nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from competencies.models import Evidence
from courses import importer
from courses.models import Completion
from tests.courses.conftest import TODAY

HEADER = "email,training_code,date,hours,areas\r\n"
D1 = (TODAY - dt.timedelta(days=30)).isoformat()
D2 = (TODAY - dt.timedelta(days=29)).isoformat()


@pytest.fixture
def setup(make_training, make_user, coordinator, actor, association, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 3)  # several batches in a small file
    make_training("NBO-101", hours=3, areas=("TF-DEV", "TF-ATTACH"), tags=("dei",))
    make_training("NBO-102", hours=6, areas=("TF-DEV",), provider="Hospital A")
    # Created in this order, so the file below lists clinicians against their id order.
    for name in ("ana", "bo", "cy", "di"):
        make_user(f"{name}@example.test")
    return actor(coordinator), association


def _commit(setup, lines: list[str]):
    actor, association = setup
    return importer.commit(actor, association, io.BytesIO((HEADER + "".join(lines)).encode()))


def _written() -> dict[tuple[str, str, str], tuple[Completion, Evidence]]:
    """Each live completion with the ledger row it points at, by (email, code, date)."""
    out = {}
    for c in Completion.select().where(Completion.source == "csv"):
        out[(c.clinician.email, c.training.code, c.completed_on.isoformat())] = (
            c,
            Evidence.get_by_id(c.evidence_id),
        )
    return out


# Same clinician and training on two days, same cells but hours or areas differing, the
# clinicians against their id order: nothing may be carried from one row to another.
LINES = [
    f"di@example.test,NBO-101,{D1},3,\r\n",
    f"cy@example.test,NBO-102,{D1},6,\r\n",
    f"bo@example.test,NBO-101,{D1},1.5,TF-DEV\r\n",
    f"ana@example.test,NBO-101,{D1},3,TF-ATTACH\r\n",
    f"di@example.test,NBO-101,{D2},2,TF-DEV\r\n",
    f"cy@example.test,NBO-101,{D2},3,\r\n",
    f"bo@example.test,NBO-102,{D2},6,\r\n",
]
EXPECTED = {  # (email, code, date): (hours, areas as stored)
    ("di@example.test", "NBO-101", D1): (3.0, "TF-ATTACH,TF-DEV"),
    ("cy@example.test", "NBO-102", D1): (6.0, "TF-DEV"),
    ("bo@example.test", "NBO-101", D1): (1.5, "TF-DEV"),
    ("ana@example.test", "NBO-101", D1): (3.0, "TF-ATTACH"),
    ("di@example.test", "NBO-101", D2): (2.0, "TF-DEV"),
    ("cy@example.test", "NBO-101", D2): (3.0, "TF-ATTACH,TF-DEV"),
    ("bo@example.test", "NBO-102", D2): (6.0, "TF-DEV"),
}


def _assert_linked(written, expected) -> None:
    assert set(written) == set(expected)
    for (email, code, day), (completion, evidence) in written.items():
        hours, areas = expected[(email, code, day)]
        assert (completion.hours, completion.areas) == (hours, areas)
        assert evidence.source_ref == f"completion:{completion.id}"
        assert (evidence.source, evidence.kind, evidence.status) == (
            "courses",
            "training",
            "verified",
        )
        assert evidence.clinician_id == completion.clinician_id
        assert evidence.association_id == completion.association_id
        assert evidence.occurred_on.isoformat() == day
        assert (evidence.hours, evidence.areas) == (hours, areas)
        training = completion.training
        assert evidence.label == training.title
        assert evidence.tags == training.tags
        assert evidence.details == {"provider": training.provider}


def test_every_completion_points_at_its_own_ledger_row_across_batches(setup):
    report = _commit(setup, LINES)
    assert (report.total, report.written, report.existing) == (7, 7, 0)
    written = _written()
    _assert_linked(written, EXPECTED)
    # One ledger row per completion, none left over or shared.
    evidence_ids = [e.id for _, e in written.values()]
    assert len(set(evidence_ids)) == 7
    assert Evidence.select().where(Evidence.source == "courses").count() == 7


def test_rows_already_recorded_are_skipped_and_the_new_ones_linked(setup):
    _commit(setup, LINES[:4])
    before = {key: (c.id, e.id) for key, (c, e) in _written().items()}
    report = _commit(setup, LINES[2:])  # two rows recorded already, in a batch with new ones
    assert (report.total, report.written, report.existing) == (5, 3, 2)
    written = _written()
    _assert_linked(written, EXPECTED)
    for key, ids in before.items():  # what the first import wrote is untouched
        assert (written[key][0].id, written[key][1].id) == ids
    assert Evidence.select().where(Evidence.source == "courses").count() == 7


def test_a_rejected_file_leaves_nothing_of_the_batches_written_before(setup, counts):
    before = counts()
    bad = f"bo@example.test,NBO-101,{D2},7,\r\n"  # more than the training's 3 hours, last
    with pytest.raises(importer.ImportRejected) as caught:
        _commit(setup, [*LINES, bad])
    assert [(v.line, v.errors) for v in caught.value.report.bad_rows] == [
        (9, [("hours", "7 is more than the training's 3 hours")])
    ]
    assert counts() == before


def test_ids_come_after_rows_written_before_and_writes_after_take_new_ones(
    setup, make_user, add_evidence
):
    clinician = make_user("eve@example.test")
    first = add_evidence(clinician, days_ago=3, hours=1)
    _commit(setup, LINES)
    written = _written()
    assert min(e.id for _, e in written.values()) > first.id
    # The database's own next id is past the reserved ones.
    after = add_evidence(clinician, days_ago=2, hours=1)
    assert after.id > max(e.id for _, e in written.values())


def test_the_bulk_write_keeps_each_rows_own_date(association, make_user):
    """The ledger's bulk write remembers each given date converted: a date object, its ISO
    text and a datetime of the same day store the same day; other days stay their own."""
    from competencies import ledger

    clinician = make_user("fay@example.test")
    days = [
        TODAY - dt.timedelta(days=5),
        (TODAY - dt.timedelta(days=5)).isoformat(),
        dt.datetime.combine(TODAY - dt.timedelta(days=5), dt.time(9, 30)),
        TODAY - dt.timedelta(days=4),
        (TODAY - dt.timedelta(days=6)).isoformat(),
        TODAY - dt.timedelta(days=4),
    ]
    rows = [
        {
            "clinician_id": clinician.id,
            "occurred_on": day,
            "hours": 1.0,
            "status": "verified",
            "source_ref": f"row:{i}",
        }
        for i, day in enumerate(days)
    ]
    assert ledger.record_many(rows, association=association, source="test", batch=4) == 6
    stored = {
        e.source_ref: e.occurred_on for e in Evidence.select().where(Evidence.source == "test")
    }
    five, four, six = (TODAY - dt.timedelta(days=n) for n in (5, 4, 6))
    assert [stored[f"row:{i}"] for i in range(6)] == [five, five, five, four, six, four]


def test_ids_are_reserved_only_inside_a_transaction(app):
    from lms.db import db, new_ids

    assert not db.in_transaction()
    with pytest.raises(RuntimeError, match="inside a transaction"):
        new_ids(Completion._meta.table_name, 3)
    with db.atomic():
        ids = new_ids(Completion._meta.table_name, 3)
    assert len(set(ids)) == 3 and ids == sorted(ids)
