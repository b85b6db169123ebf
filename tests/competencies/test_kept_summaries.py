"""Kept summaries: a pathway whose ledger did not change is re-evaluated without the summary
queries, with the same result; a ledger write, a later evidence date or another code shape
makes the summary be built again."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.competencies.conftest import TODAY

VALUES = ("progress", "ready", "projected", "status", "flags", "category_name", "valid_until")


def _kept_rows():
    from competencies.models import Standing

    return {r.pathway_id: {c: getattr(r, c) for c in VALUES} for r in Standing.select()}


@pytest.fixture
def built(monkeypatch):
    """The clinician ids each call of the batch path's `build_summaries` was asked for."""
    from competencies import kept_summaries

    calls: list[list[int]] = []
    real = kept_summaries.build_summaries

    def counting(**kw):
        calls.append(sorted(kw["clinician_ids"]))
        return real(**kw)

    monkeypatch.setattr(kept_summaries, "build_summaries", counting)
    return calls


def test_a_rule_set_change_re_evaluates_from_the_kept_summaries(cohort, association, built):
    from competencies import readiness
    from competencies.models import KeptSummary, Standing

    readiness.refresh_stale(association, TODAY)
    assert built == [sorted(u.id for u in cohort.values())]
    assert KeptSummary.select().where(KeptSummary.computed == KeptSummary.generation).count() == 7
    before = _kept_rows()
    Standing.update(basis="").execute()  # what a new rule set or framework edit does

    done = readiness.refresh_stale(association, TODAY)

    assert done.evaluated == 7
    assert len(built) == 1  # no summary query the second time
    assert _kept_rows() == before


def test_a_ledger_write_rebuilds_its_clinicians_summary_only(
    cohort, association, add_evidence, built
):
    from competencies import readiness
    from competencies.models import Standing

    readiness.refresh_stale(association, TODAY)
    before = _kept_rows()
    add_evidence(cohort["track"], days_ago=2, hours=12)
    Standing.update(basis="").execute()  # and every row stale besides

    readiness.refresh_stale(association, TODAY)

    assert built[1:] == [[cohort["track"].id]]
    after = _kept_rows()
    track = next(pid for pid, row in after.items() if after[pid] != before[pid])
    assert after[track]["progress"] > before[track]["progress"]


def test_a_kept_summary_reads_back_as_built(cohort, association, add_evidence):
    from competencies import kept_summaries, ledger, readiness
    from competencies.summaries import build_summaries

    add_evidence(cohort["ready"], kind="rsc", days_ago=5, hours=1.5, details={"format": "group"})
    ledger.void(add_evidence(cohort["ready"], days_ago=4, hours=3), reason="entered twice")
    readiness.refresh_stale(association, TODAY)
    ids = [u.id for u in cohort.values()]

    found, generations = kept_summaries.load(association.id, ids, TODAY)

    assert found == build_summaries(as_of=TODAY, clinician_ids=ids, association_id=association.id)
    assert generations.keys() == set(ids)


def test_a_write_between_the_read_and_the_keep_keeps_nothing(cohort, association, add_evidence):
    from competencies import kept_summaries
    from competencies.models import KeptSummary
    from competencies.summaries import build_summaries

    who = cohort["soon"].id
    _, generations = kept_summaries.load(association.id, [who], TODAY)
    summaries = build_summaries(as_of=TODAY, clinician_ids=[who], association_id=association.id)
    add_evidence(cohort["soon"], days_ago=1, hours=2)  # lands before the keep

    kept_summaries.keep(association.id, summaries, generations, TODAY, {})

    row = KeptSummary.get(KeptSummary.clinician == who)
    assert row.computed is None and row.generation == generations[who] + 1
    assert kept_summaries.load(association.id, [who], TODAY)[0] == {}


def test_a_kept_summary_holds_from_its_day_until_the_next_evidence_date(cohort, association):
    from competencies import kept_summaries
    from competencies.summaries import build_summaries

    who = cohort["idle"].id
    _, generations = kept_summaries.load(association.id, [who], TODAY)
    summaries = build_summaries(as_of=TODAY, clinician_ids=[who], association_id=association.id)
    ahead = TODAY + dt.timedelta(days=3)
    kept_summaries.keep(association.id, summaries, generations, TODAY, {who: ahead})

    def found(day):
        return who in kept_summaries.load(association.id, [who], day)[0]

    assert [found(TODAY + dt.timedelta(days=d)) for d in (-1, 0, 2, 3, 4)] == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_a_summary_of_another_code_shape_is_rebuilt(cohort, association, built, monkeypatch):
    from competencies import kept_summaries, readiness
    from competencies.models import Standing

    readiness.refresh_stale(association, TODAY)
    monkeypatch.setattr(kept_summaries, "SHAPE", "another")
    Standing.update(basis="").execute()

    readiness.refresh_stale(association, TODAY)

    assert len(built) == 2 and len(built[1]) == 7


def test_a_report_of_another_day_keeps_no_summary(cohort, association):
    from competencies import readiness
    from competencies.models import KeptSummary

    readiness.association_report(association, TODAY - dt.timedelta(days=10))

    assert KeptSummary.select().where(KeptSummary.computed.is_null(False)).count() == 0


@pytest.mark.parametrize("joined", [True, False], ids=["open_pathways", "other pathways"])
def test_a_dashboard_reads_a_current_kept_summary_and_writes_none(
    cohort, association, add_evidence, built, joined
):
    from playhouse.test_utils import count_queries

    from competencies import readiness
    from competencies.models import KeptSummary, Pathway, RuleSet
    from competencies.pathways import evaluate_pathways, forget_recent, open_pathways

    ready, idle, soon = cohort["ready"], cohort["idle"], cohort["soon"]
    readiness.refresh_stale(association, TODAY)
    KeptSummary.delete().where(KeptSummary.clinician == idle.id).execute()
    add_evidence(ready, days_ago=1, hours=4)  # its kept summary is stale now
    forget_recent()

    def evaluated(user):
        if joined:  # the kept summary comes with the pathway
            (pathway,) = open_pathways(user)
        else:
            (pathway,) = (
                Pathway.select(Pathway, RuleSet).join(RuleSet).where(Pathway.clinician == user)
            )
        with count_queries() as queries:
            summary = evaluate_pathways([pathway], TODAY)[0].summary
        return summary, queries.count

    before = len(built)
    summary, queries = evaluated(soon)
    assert summary.clinician_id == soon.id
    assert len(built) == before  # read as kept
    assert queries == (0 if joined else 1)
    summary, queries = evaluated(ready)
    assert summary.training_hours["*"] == 34.0  # built: the new 4 hours count
    assert queries == (1 if joined else 2)
    assert evaluated(idle)[0].clinician_id == idle.id
    assert built[before:] == [[ready.id], [idle.id]]
    assert not KeptSummary.select().where(KeptSummary.clinician == idle.id).exists()


def test_the_batch_path_reads_each_kept_summary_when_asked_for(cohort, association, monkeypatch):
    from competencies import kept_summaries, readiness
    from competencies.summaries import build_summaries

    readiness.refresh_stale(association, TODAY)
    ids = sorted(u.id for u in cohort.values())
    read: list[int] = []
    real = kept_summaries.summary_of

    def counting(clinician_id, data):
        read.append(clinician_id)
        return real(clinician_id, data)

    monkeypatch.setattr(kept_summaries, "summary_of", counting)

    summaries, built, _ = kept_summaries.kept_or_built(association.id, ids, TODAY, make=True)

    assert built == {} and read == []  # nothing read yet
    assert sorted(summaries) == ids and len(summaries) == len(ids)
    first = summaries[ids[0]]
    assert read == [ids[0]]
    assert dict(summaries) == build_summaries(
        as_of=TODAY, clinician_ids=ids, association_id=association.id
    )
    assert first == summaries[ids[0]] and first is not summaries[ids[0]]  # read each time
    with pytest.raises(KeyError):
        summaries[max(ids) + 1000]


def test_a_damaged_kept_summary_is_built_again_by_the_report(cohort, association, add_evidence):
    from competencies import kept_summaries, readiness
    from competencies.models import KeptSummary, Standing
    from competencies.summaries import build_summaries

    who = cohort["soon"].id
    readiness.refresh_stale(association, TODAY)
    before = _kept_rows()
    KeptSummary.update(data=b"not a pickle").where(KeptSummary.clinician == who).execute()
    Standing.update(basis="").execute()  # every row evaluated again, from the kept summaries

    summaries, built, _ = kept_summaries.kept_or_built(association.id, [who], TODAY, make=True)
    assert built == {}  # the row looks current until it is read
    assert (
        summaries[who]
        == build_summaries(as_of=TODAY, clinician_ids=[who], association_id=association.id)[who]
    )
    report = readiness.association_report(association, TODAY)

    assert report.total == 7
    assert _kept_rows() == before  # the same rows as from the summary built the first time


def test_postgresql_keeps_summaries_as_they_are_without_compressing_them(
    cohort, association, backend
):
    """PostgreSQL would compress each summary over 2 kB and inflate it on every read (a third
    of reading them, measured); the column is stored as is, like SQLite's."""
    from competencies import readiness
    from competencies.kept_summaries import loads
    from competencies.models import KeptSummary
    from lms.db import db

    readiness.refresh_stale(association, TODAY)
    kept = [r.data for r in KeptSummary.select()]
    assert kept and all(loads(bytes(data)) is not None for data in kept)
    if backend == "postgresql":
        (storage,) = db.execute_sql(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'competencies_keptsummary'::regclass AND attname = 'data'"
        ).fetchone()
        assert storage == "e"  # external: out of line when large, never compressed
        big = bytes(range(256)) * 40  # 10 kB that compress well
        KeptSummary.update(data=big).execute()
        methods = db.execute_sql(
            "SELECT DISTINCT pg_column_compression(data) FROM competencies_keptsummary"
        ).fetchall()
        assert methods == [(None,)]
