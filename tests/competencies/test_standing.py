"""Kept readiness rows: the report reads them only while nothing they depend on has changed."""

from __future__ import annotations

import datetime as dt

import pytest
from playhouse.test_utils import count_queries

from tests.competencies.conftest import TODAY


def _report(association, as_of=TODAY):
    from competencies.readiness import association_report

    return association_report(association, as_of, per_page=200)


def _fresh_rows(association, monkeypatch):
    """The report as evaluated from scratch, keeping nothing."""
    from competencies import standing

    with monkeypatch.context() as m:
        m.setattr(standing, "may_keep", lambda as_of: False)
        return _report(association).matching


def _current(pathway_id):
    from competencies.models import Standing

    row = Standing.get_by_id(pathway_id)
    return row.computed == row.generation and row.as_of == TODAY


def _by_name(rows):
    return {r.name: r for r in rows}


def test_kept_rows_equal_a_fresh_evaluation(cohort, association, monkeypatch):
    cold = _report(association).matching
    with count_queries() as counter:
        kept = _report(association).matching
    assert counter.count <= 3  # pathways with their kept rows, and their rule sets
    assert kept == cold == _fresh_rows(association, monkeypatch)
    assert {r.status for r in kept} == {
        "ready",
        "within 3 months",
        "on track",
        "at risk",
        "stalled",
    }


def test_a_ledger_write_makes_only_that_clinicians_row_stale(
    cohort, association, ifa_areas, add_evidence
):
    from competencies.models import Pathway

    before = _by_name(_report(association).matching)
    track = Pathway.get(Pathway.clinician == cohort["track"])
    soon = Pathway.get(Pathway.clinician == cohort["soon"])
    assert _current(track.id) and _current(soon.id)

    add_evidence(cohort["track"], days_ago=2, hours=12, areas=ifa_areas)
    assert not _current(track.id)
    assert _current(soon.id)
    after = _by_name(_report(association).matching)
    assert after["Cara Track"].progress > before["Cara Track"].progress
    assert after["Cara Track"].last_evidence_on == TODAY - dt.timedelta(days=2)
    assert after["Ben Soon"] == before["Ben Soon"]
    assert _current(track.id)


def test_void_decide_and_record_many_make_rows_stale(cohort, association, make_user, add_evidence):
    from competencies import ledger
    from competencies.models import Evidence, Pathway

    _report(association)
    ready = Pathway.get(Pathway.clinician == cohort["ready"])
    training = Evidence.get((Evidence.clinician == cohort["ready"]) & (Evidence.kind == "training"))
    ledger.void(training, reason="entered twice")
    assert not _current(ready.id)
    assert _by_name(_report(association).matching)["Ana Ready"].status != "ready"

    track = Pathway.get(Pathway.clinician == cohort["track"])
    pending = add_evidence(cohort["track"], days_ago=3, status="pending", hours=2)
    _report(association)
    assert _current(track.id)
    ledger.decide(pending, accept=True, actor=make_user(roles=("coordinator",)))
    assert not _current(track.id)

    _report(association)
    late = Pathway.get(Pathway.clinician == cohort["late"])
    ledger.record_many(
        [
            {
                "clinician_id": cohort["late"].id,
                "occurred_on": TODAY - dt.timedelta(days=1),
                "hours": 1.0,
                "status": "verified",
            }
        ],
        association=association,
        source="test",
    )
    assert not _current(late.id) and _current(track.id)


def test_a_write_between_reading_and_keeping_is_never_hidden(cohort, association, add_evidence):
    """The race: evidence read, then a ledger write, then the stale result written back."""
    from competencies import standing
    from competencies.models import Pathway, Standing

    pathway = Pathway.get(
        (Pathway.clinician == cohort["track"].id) & (Pathway.association == association.id)
    )
    generations = standing.prepare([pathway])
    add_evidence(cohort["track"], days_ago=1, hours=3)
    values = {
        "progress": 0.1,
        "ready": False,
        "projected": None,
        "status": "stalled",
        "flags": [],
        "category_name": "x",
        "last_evidence_on": None,
    }
    basis = standing.basis(pathway, pathway.rule_set)
    standing.keep([(pathway.id, generations[pathway.id], basis, values)], TODAY)
    row = Standing.get_by_id(pathway.id)
    assert row.computed is None and row.status == ""
    assert Pathway.get_by_id(pathway.id).status == "in_progress"


def test_rows_are_not_used_for_another_day_or_a_changed_pathway(cohort, association):
    from competencies.models import Pathway, Standing

    _report(association)
    yesterday = TODAY - dt.timedelta(days=1)
    earlier = _report(association, as_of=yesterday)
    assert earlier.as_of == yesterday
    assert all(r.last_evidence_on is None or r.last_evidence_on <= yesterday for r in earlier.rows)
    assert Standing.select().where(Standing.as_of == yesterday).count() == 0  # not kept

    track = Pathway.get(Pathway.clinician == cohort["track"])
    before = _by_name(_report(association).matching)["Cara Track"]
    Pathway.update(started_on=TODAY - dt.timedelta(days=800)).where(
        Pathway.id == track.id
    ).execute()
    after = _by_name(_report(association).matching)["Cara Track"]
    assert before.status == "on track" and after.status == "at risk"  # past its two-year plan


def test_a_framework_edit_changes_the_basis(cohort, association, defaults):
    from competencies import rulesets, standing
    from competencies.models import Framework, Pathway

    pathway = Pathway.get(Pathway.clinician == cohort["track"])
    before = standing.basis(pathway, pathway.rule_set)
    Framework.update(updated_at=dt.datetime(2030, 1, 1)).where(
        Framework.id == pathway.rule_set.framework_id
    ).execute()
    rulesets.forget_framework(pathway.rule_set.framework_id)
    assert standing.basis(pathway, pathway.rule_set) != before


def test_refresh_command_keeps_every_row(cohort, association, runner):
    from competencies.models import Standing

    result = runner.invoke(args=["competencies", "refresh-readiness"])
    assert result.exit_code == 0, result.output
    assert f"{association.code}: 7 open pathways current" in result.output
    assert Standing.select().count() == 7
    assert all(_current(s.pathway_id) for s in Standing.select())
    with count_queries() as counter:
        assert _report(association).total == 7
    assert counter.count <= 3

    unknown = runner.invoke(args=["competencies", "refresh-readiness", "--association", "NOPE"])
    assert unknown.exit_code != 0 and "No association with code NOPE" in unknown.output


@pytest.mark.parametrize("size", [3])
def test_rows_evaluated_in_chunks_are_all_kept(cohort, association, monkeypatch, size):
    from competencies import readiness
    from competencies.models import Standing

    monkeypatch.setattr(readiness, "EVALUATE_CHUNK", size)
    rows = _report(association).matching
    assert len(rows) == 7
    assert Standing.select().where(Standing.computed == Standing.generation).count() == 7
    assert _report(association).matching == rows


def test_dashboard_reuses_an_evaluation_until_the_ledger_changes(
    client, auth, cohort, association, add_evidence
):

    auth.login(cohort["track"].email)
    first = client.get("/competencies/")
    assert first.status_code == 200
    with count_queries() as again:
        second = client.get("/competencies/")
    assert second.status_code == 200
    assert second.get_data(as_text=True) == first.get_data(as_text=True)
    add_evidence(cohort["track"], days_ago=1, hours=2.5)
    with count_queries() as changed:
        third = client.get("/competencies/")
    assert "12.5" in third.get_data(as_text=True)  # 10 h before, 12.5 h now
    assert "12.5" not in second.get_data(as_text=True)
    # The summary statement ran again (one statement for a few clinicians: FEW_CLINICIANS).
    assert changed.count >= again.count + 1
