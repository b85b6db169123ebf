"""On PostgreSQL the one statement that builds a few clinicians' summaries (a dashboard, one
clinician's evaluation) is planned once per connection, not on every call: it is prepared
(`summaries._prepared`, `lms.db.execute_prepared`) with its constants written in, and gives
the summaries the three queries give."""

from __future__ import annotations

import datetime as dt

import pytest

from competencies import ledger
from competencies.summaries import build_summaries
from lms.db import db
from tests.statements import first_words

DAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize("count", [1, 3, 8])
def test_a_few_clinicians_summaries_come_from_one_prepared_statement(
    app, backend, monkeypatch, make_user, association, count
):
    clinicians = [make_user(f"p{i}@example.test") for i in range(count)]
    for i, clinician in enumerate(clinicians):
        for month in (1, 2):
            ledger.record(
                clinician=clinician,
                association=association,
                kind="training",
                occurred_on=dt.date(2026, month, i + 1),
                hours=1.5 + i,
                status="verified",
                areas=("TF-PREG",),
                tags=("dei",) if month == 2 else (),
                source="test",
            )
    ids = [c.id for c in clinicians]
    sent = first_words(monkeypatch)
    first = build_summaries(as_of=DAY, clinician_ids=ids, association_id=association.id)
    again = build_summaries(as_of=DAY, clinician_ids=ids, association_id=association.id)
    monkeypatch.undo()
    with monkeypatch.context() as patch:  # the same call through the three plain queries
        from competencies import summaries

        patch.setattr(summaries, "FEW_CLINICIANS", 0)
        plain = build_summaries(as_of=DAY, clinician_ids=ids, association_id=association.id)

    assert first == again == plain
    assert {cid: s.training_monthly for cid, s in first.items()} == {
        c.id: {"2026-01": 1.5 + i, "2026-02": 1.5 + i} for i, c in enumerate(clinicians)
    }
    if backend == "postgresql":  # prepared once, straight through the driver; then only run
        assert sent == ["EXECUTE", "EXECUTE"]
        names = [n for (n,) in db.execute_sql("SELECT name FROM pg_prepared_statements")]
        assert any(n.startswith("lms_summaries_") for n in names)
    else:  # one statement a call (the driver keeps it parsed)
        assert sent == ["SELECT", "SELECT"]
