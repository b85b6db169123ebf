"""The refresh's batch path keeps, for a chunk of new, changed and unchanged rows, what one
pathway evaluated on its own says; and the evidence dates it reads are the ledger's."""

from __future__ import annotations

import datetime as dt

from tests.competencies.conftest import TODAY

VALUE_COLUMNS = (
    "as_of",
    "valid_until",
    "basis",
    "progress",
    "ready",
    "projected",
    "status",
    "flags",
    "category_name",
    "last_evidence_on",
)


def _ledger_dates(association, as_of, clinician_ids):
    """Each clinician's latest non-void evidence day up to `as_of` and earliest after it, in
    this association, read row by row."""
    from competencies.models import Evidence

    out = {}
    for cid in clinician_ids:
        days = [
            e.occurred_on
            for e in Evidence.select().where(
                (Evidence.association == association.id)
                & (Evidence.clinician == cid)
                & (Evidence.status != "void")
            )
        ]
        out[cid] = (
            max((d for d in days if d <= as_of), default=None),
            min((d for d in days if d > as_of), default=None),
        )
    return out


def test_evidence_dates_are_the_ledgers(
    association, defaults, make_user, make_association, add_evidence
):
    from competencies import ledger, readiness
    from lms.models import Membership

    other = make_association("OT", "Other Association")
    as_of = TODAY - dt.timedelta(days=15)
    mixed, elsewhere, none, on_day, only_ahead = (make_user(f"d{i}@example.test") for i in range(5))
    add_evidence(mixed, days_ago=40, hours=2)
    add_evidence(mixed, kind="reference", days_ago=20, status="pending")
    ledger.void(add_evidence(mixed, days_ago=16, hours=1), reason="entered twice")
    ledger.void(add_evidence(mixed, days_ago=14, hours=1), reason="entered twice")
    add_evidence(mixed, days_ago=10, hours=1)
    add_evidence(mixed, days_ago=3, hours=1)
    Membership.create(user=elsewhere, association=other, role="clinician")
    ledger.record(
        clinician=elsewhere,
        association=other,
        kind="training",
        occurred_on=as_of - dt.timedelta(days=1),
        status="verified",
        hours=1,
        source="test",
    )
    add_evidence(elsewhere, days_ago=60, hours=1)
    add_evidence(on_day, days_ago=15, hours=1)
    add_evidence(on_day, days_ago=14, hours=1)
    add_evidence(only_ahead, days_ago=1, hours=1)
    ids = [u.id for u in (mixed, elsewhere, none, on_day, only_ahead)]

    expected = _ledger_dates(association, as_of, ids)
    assert expected[mixed.id] == (as_of - dt.timedelta(days=5), as_of + dt.timedelta(days=5))
    assert expected[elsewhere.id] == (as_of - dt.timedelta(days=45), None)
    assert expected[none.id] == (None, None)
    assert expected[on_day.id] == (as_of, as_of + dt.timedelta(days=1))
    assert expected[only_ahead.id] == (None, TODAY - dt.timedelta(days=1))
    got = readiness._evidence_dates(association, as_of, ids)
    assert {cid: got.get(cid, (None, None)) for cid in ids} == expected


def _kept_values():
    from competencies.models import Standing

    return {
        row.pathway_id: {c: getattr(row, c) for c in ("generation", "computed", *VALUE_COLUMNS)}
        for row in Standing.select()
    }


def _evaluated_alone(association, pathway_ids):
    """What each pathway's kept values are when it is evaluated on its own, through
    `evaluate_pathways` and `row_values`, with the ledger's dates."""
    from competencies import standing
    from competencies.models import Pathway
    from competencies.pathways import evaluate_pathways
    from competencies.readiness import _next_edition
    from competencies.readiness_rows import row_values

    edition = _next_edition(association, TODAY)
    out = {}
    for pathway_id in pathway_ids:
        pathway = Pathway.get_by_id(pathway_id)
        (ev,) = evaluate_pathways([pathway], TODAY)
        dates = _ledger_dates(association, TODAY, [pathway.clinician_id])[pathway.clinician_id]
        values = row_values(ev, dates, edition, TODAY)
        values["flags"] = list(values["flags"])
        values["as_of"] = TODAY
        values["basis"] = standing.basis(pathway, pathway.rule_set)
        out[pathway_id] = values
    return out


def test_a_mixed_chunk_keeps_what_each_pathway_alone_says(
    cohort, association, add_evidence, monkeypatch
):
    from competencies import readiness
    from competencies.models import Pathway, Standing
    from competencies.pathways import declare_goal

    declare_goal(cohort["soon"], association, "IMHS", TODAY - dt.timedelta(days=50))
    readiness.refresh_stale(association, TODAY)
    pathways = {p.id: p for p in Pathway.select().where(Pathway.association == association.id)}
    assert len(pathways) == 8

    def pathway_of(who, category="IFA"):
        return next(
            p.id
            for p in pathways.values()
            if p.clinician_id == cohort[who].id and p.category == category
        )

    changed = pathway_of("track")  # a ledger write since it was kept
    add_evidence(cohort["track"], days_ago=2, hours=12)
    new = pathway_of("soon", "IMHS")  # no kept row at all
    Standing.delete().where(Standing.pathway == new).execute()
    bumped = pathway_of("idle")  # stale, its values the same
    Standing.update(generation=Standing.generation + 1).where(Standing.pathway == bumped).execute()
    before = _kept_values()
    monkeypatch.setattr(readiness, "EVALUATE_CHUNK", 3)  # chunks mixing kept and stale rows

    done = readiness.refresh_stale(association, TODAY)

    assert (done.pathways, done.evaluated) == (8, 3)
    after = _kept_values()
    assert after.keys() == pathways.keys()
    assert all(row["computed"] == row["generation"] for row in after.values())
    for pathway_id, row in before.items():
        if pathway_id not in (changed, bumped):
            assert after[pathway_id] == row
    alone = _evaluated_alone(association, pathways)
    for pathway_id, row in after.items():
        assert {c: row[c] for c in VALUE_COLUMNS} == {
            c: alone[pathway_id][c] for c in VALUE_COLUMNS
        }
    assert after[changed]["progress"] > before[changed]["progress"]
    assert after[changed]["last_evidence_on"] == TODAY - dt.timedelta(days=2)
    assert {c: after[bumped][c] for c in VALUE_COLUMNS} == {
        c: before[bumped][c] for c in VALUE_COLUMNS
    }


def test_the_report_from_a_refresh_equals_the_report_evaluated_afresh(
    cohort, association, monkeypatch
):
    from competencies import readiness, standing

    monkeypatch.setattr(readiness, "EVALUATE_CHUNK", 2)
    readiness.refresh_stale(association, TODAY)
    kept = readiness.association_report(association, TODAY, per_page=200).matching
    with monkeypatch.context() as m:
        m.setattr(standing, "may_keep", lambda as_of: False)
        m.setattr(readiness, "EVALUATE_CHUNK", 1000)
        fresh = readiness.association_report(association, TODAY, per_page=200).matching
    assert kept == fresh and len(kept) == 7


def _open_leaves_recursively(result):
    """The unmet leaves that still matter, by the definition: a met node hides its subtree,
    an any_of follows its best alternative (met first, then progress; the first of equals)."""
    if result.met:
        return set()
    if not result.children:
        return {result.path}
    kids = result.children
    if result.type == "any_of":
        best = kids[0]
        for kid in kids[1:]:
            if (kid.met, kid.progress) > (best.met, best.progress):
                best = kid
        kids = (best,)
    return set().union(*(_open_leaves_recursively(k) for k in kids))


def test_open_leaves_follow_the_definition(cohort, association):
    from competencies.models import Pathway
    from competencies.pathways import evaluate_pathways
    from competencies.readiness_rows import open_leaf_paths

    pathways = list(Pathway.select().where(Pathway.association == association.id))
    evaluations = evaluate_pathways(pathways, TODAY)
    seen = set()
    for ev in evaluations:
        stack = [ev.result]
        while stack:  # every subtree, so any_of nodes and met nodes are met on the way
            res = stack.pop()
            seen.add(res.type)
            assert open_leaf_paths(res) == _open_leaves_recursively(res)
            stack.extend(res.children)
    assert {"any_of", "all_of"} <= seen
    assert any(open_leaf_paths(ev.result) for ev in evaluations)
