"""The evidence ledger service and the SQL summaries built from it."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.competencies.conftest import TODAY


def test_record_writes_row_and_audit(clinician, add_evidence):
    from competencies.models import Evidence
    from lms.audit import verify_chain
    from lms.models import AuditLog

    row = add_evidence(clinician, hours=6, areas=["TF-PREG", " TF-DEV"], tags=["dei"])
    stored = Evidence.get_by_id(row.id)
    assert stored.areas == "TF-DEV,TF-PREG" and stored.tags == "dei" and stored.hours == 6
    assert AuditLog.select().where(AuditLog.action == "evidence.record").count() == 1
    assert list(verify_chain()) == []


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"hours": -1}, "hours"),
        ({"hours": math.nan}, "hours"),
        ({"hours": math.inf}, "hours"),
        ({"kind": "gossip"}, "kind"),
        ({"status": "void"}, "status"),
        ({"days_ago": -3}, "occurred_on"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_written(clinician, add_evidence, kw, field):
    from competencies.ledger import EvidenceError
    from competencies.models import Evidence

    with pytest.raises(EvidenceError) as info:
        add_evidence(clinician, **kw)
    assert info.value.field == field
    assert Evidence.select().count() == 0


def test_only_clinicians_of_the_association_get_evidence(make_user, defaults, add_evidence):
    from competencies.ledger import EvidenceError

    trainer = make_user("t@example.test", roles=("trainer",))
    with pytest.raises(EvidenceError, match="not a clinician"):
        add_evidence(trainer)


def test_correction_voids_and_replaces(clinician, add_evidence):
    from competencies import ledger
    from competencies.models import Evidence

    row = add_evidence(clinician, hours=6)
    new = ledger.correct(row, reason="hours were 4", hours=4)
    assert Evidence.get_by_id(row.id).status == "void"
    assert new.replaces_id == row.id and new.hours == 4 and new.status == "verified"
    assert Evidence.select().count() == 2  # nothing deleted
    with pytest.raises(ledger.EvidenceError, match="already void"):
        ledger.void(Evidence.get_by_id(row.id), reason="again")


def test_decide_needs_reason_to_reject(clinician, add_evidence, make_user):
    from competencies import ledger

    coordinator = make_user("c@example.test", roles=("coordinator",))
    row = add_evidence(clinician, kind="education", status="pending", details={"level": "master"})
    with pytest.raises(ledger.EvidenceError, match="Say why"):
        ledger.decide(row, accept=False, actor=coordinator)
    ledger.decide(row, accept=False, actor=coordinator, reason="No diploma attached")
    assert row.status == "rejected" and row.details["reject_reason"] == "No diploma attached"
    with pytest.raises(ledger.EvidenceError, match="Only pending"):
        ledger.decide(row, accept=True, actor=coordinator)


def test_sql_summaries_equal_the_python_aggregation(clinician, add_evidence, make_user):
    """The bulk SQL path and Summary.from_items agree on the same ledger."""
    from competencies.models import Evidence
    from competencies.summaries import build_summaries
    from competencies.types import EvidenceItem, Summary

    other = make_user("other@example.test")
    add_evidence(clinician, hours=6, areas=["TF-PREG", "TF-DEV"], days_ago=400)
    add_evidence(clinician, hours=3, areas=["TF-PREG"], tags=["dei"], days_ago=35)
    add_evidence(clinician, hours=2.5, areas=["LAW-ETHICS"], tags=["dei", "rsc-topic"], days_ago=5)
    add_evidence(clinician, hours=9, status="pending", areas=["COM-WRITE"])
    add_evidence(
        clinician,
        kind="rsc",
        hours=1.5,
        status="attested",
        details={"format": "individual"},
        days_ago=20,
    )
    add_evidence(clinician, kind="reference", status="verified", areas=["REF-SELF"], days_ago=3)
    add_evidence(other, hours=7, areas=["TF-PREG"])
    voided = add_evidence(clinician, hours=100, areas=["TF-DEV"])
    from competencies.ledger import void

    void(voided, reason="typo")
    summaries = build_summaries(as_of=TODAY, clinician_ids=[clinician.id, other.id])
    assert set(summaries) == {clinician.id, other.id}
    rows = Evidence.select().where((Evidence.clinician == clinician) & (Evidence.status != "void"))
    items = [
        EvidenceItem(
            r.id,
            r.kind,
            r.occurred_on,
            r.status,
            r.hours,
            frozenset(r.area_list),
            frozenset(r.tag_list),
            r.provider_id,
            r.details,
            r.label,
        )
        for r in rows
    ]
    expected = Summary.from_items(clinician.id, items, end=TODAY)
    got = summaries[clinician.id]
    assert got.training_hours == pytest.approx(expected.training_hours)
    assert got.training_hours["*"] == pytest.approx(11.5)
    assert got.training_count == expected.training_count == 3
    assert got.training_monthly == pytest.approx(expected.training_monthly)
    assert set(got.areas) == set(expected.areas) == {"TF-PREG", "TF-DEV", "LAW-ETHICS", "REF-SELF"}
    assert got.areas["TF-PREG"].count == 2 and got.areas["TF-PREG"].hours == pytest.approx(9)
    assert {i.id for i in got.items} == {i.id for i in expected.items}


def test_summaries_leave_out_future_and_earlier_rows(clinician, add_evidence):
    from competencies.summaries import build_summaries

    add_evidence(clinician, hours=5, days_ago=100)
    add_evidence(clinician, hours=4, days_ago=10)
    as_of = TODAY - dt.timedelta(days=50)
    got = build_summaries(as_of=as_of, clinician_ids=[clinician.id])[clinician.id]
    assert got.training_hours["*"] == 5
    year = build_summaries(as_of=TODAY, clinician_ids=[clinician.id], start=as_of)
    assert year[clinician.id].training_hours["*"] == 4


def test_summary_queries_do_not_grow_with_clinicians(
    app, make_user, defaults, add_evidence, monkeypatch
):
    from playhouse.test_utils import count_queries

    from competencies import summaries
    from competencies.summaries import build_summaries

    people = [make_user(f"c{i}@example.test") for i in range(6)]
    for person in people:
        add_evidence(person, hours=2, areas=["TF-PREG"])
        add_evidence(person, kind="rsc", hours=1, status="attested", details={"format": "group"})
    with count_queries() as few:
        build_summaries(as_of=TODAY, clinician_ids=[people[0].id])
    with count_queries() as many:
        build_summaries(as_of=TODAY, clinician_ids=[p.id for p in people])
    assert few.count == many.count == 1  # up to FEW_CLINICIANS clinicians: one statement
    monkeypatch.setattr(summaries, "FEW_CLINICIANS", 2)
    with count_queries() as more:
        build_summaries(as_of=TODAY, clinician_ids=[p.id for p in people])
    with count_queries() as everyone:
        build_summaries(as_of=TODAY)
    assert more.count == everyone.count == 3  # more: the three queries


def test_record_many_writes_rows_and_one_audit_entry(clinician, association):
    from competencies import ledger
    from competencies.models import Evidence
    from lms.models import AuditLog

    rows = [
        {
            "clinician_id": clinician.id,
            "occurred_on": TODAY - dt.timedelta(days=i),
            "hours": 1.5,
            "status": "verified",
            "areas": ["TF-PREG"],
            "tags": ["dei"],
            "label": f"T{i}",
            "source_ref": f"csv:{i}",
        }
        for i in range(7)
    ]
    assert ledger.record_many(rows, association=association, source="courses", batch=3) == 7
    assert Evidence.select().where(Evidence.source == "courses").count() == 7
    assert Evidence.get(Evidence.source_ref == "csv:3").details == {}
    entries = AuditLog.select().where(AuditLog.action == "evidence.record_many")
    assert entries.count() == 1 and '"rows":7' in entries.get().after
