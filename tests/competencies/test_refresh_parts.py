"""The refresh spread over processes: equal parts, each evaluated and kept by its own process,
the same rows as one process keeps; kept rows' generations read with the scope cost no query."""

from __future__ import annotations

import pytest
from playhouse.test_utils import count_queries

from tests.competencies.conftest import TODAY


@pytest.fixture
def app(app_factory, backend, tmp_path):
    """An app whose database other processes can open (a SQLite file, not :memory:)."""
    extra = {"DATABASE_URL": f"sqlite:///{tmp_path / 'lms.sqlite'}"} if backend == "sqlite" else {}
    application = app_factory(**extra)
    with application.app_context():
        yield application


def _kept():
    from competencies.models import Standing

    columns = ("pathway_id", "computed", "generation", "valid_until", "basis", "progress")
    columns += ("ready", "projected", "status", "flags", "category_name", "last_evidence_on")
    return {
        row.pathway_id: tuple(str(getattr(row, c)) for c in columns if c != "generation")
        for row in Standing.select().order_by(Standing.pathway)
    }


def _all_stale(association):
    from competencies.models import Standing

    Standing.update(generation=Standing.generation + 1).where(
        Standing.association == association.id
    ).execute()


def test_two_processes_keep_the_rows_one_process_keeps(cohort, association, monkeypatch):
    from competencies import readiness
    from competencies.models import Standing

    monkeypatch.setattr(readiness, "PART_MIN", 2)  # seven pathways: parts of 4 and 3
    one = readiness.refresh_stale(association, TODAY, workers=1)
    assert (one.pathways, one.evaluated) == (7, 7)
    by_one = _kept()
    _all_stale(association)
    two = readiness.refresh_stale(association, TODAY, workers=2)
    assert (two.pathways, two.evaluated) == (7, 7)
    assert Standing.select().where(Standing.computed == Standing.generation).count() == 7
    by_two = _kept()
    assert by_two.keys() == by_one.keys()
    for pathway_id, row in by_one.items():  # the same values; `computed` one generation on
        assert by_two[pathway_id][2:] == row[2:]


def test_a_failed_part_is_reported_and_the_refresh_fails(cohort, association, monkeypatch):
    from competencies import readiness
    from lms import jobs

    monkeypatch.setattr(readiness, "PART_MIN", 2)
    monkeypatch.setattr(jobs, "cpu_count", lambda: 2)
    _all_stale(association)

    def broken(part):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(readiness, "refresh_part", broken)
    monkeypatch.setattr(jobs, "_inline", lambda app: True)  # here, so that the patch applies
    with pytest.raises(jobs.JobError, match=r"Part 1 of 2 of .*refresh_part failed: the disk"):
        readiness.refresh_stale(association, TODAY, workers=2)


@pytest.mark.parametrize(
    ("stale", "workers", "sizes"),
    [
        (0, 2, []),
        (150, 1, [150]),
        (399, 2, [399]),  # fewer than PART_MIN a worker: one process does it
        (400, 2, [200, 200]),
        (1000, 2, [500, 500]),
        (1000, 8, [200] * 5),  # no worker gets fewer than PART_MIN
        (2500, 2, [625] * 4),  # at most EVALUATE_CHUNK a part, a whole number per worker
        (10_001, 4, [834] * 11 + [827]),
    ],
)
def test_parts_are_equal_and_a_whole_number_a_worker(stale, workers, sizes):
    from competencies import readiness

    parts = readiness.split(list(range(stale)), workers)
    assert [len(p) for p in parts] == sizes
    assert [i for p in parts for i in p] == list(range(stale))


def test_generations_read_with_the_scope_cost_no_query(cohort, association, add_evidence):
    """The generation the scope query read before any evidence guards the keep as well as one
    read by prepare: a write in between leaves the row stale."""
    from competencies import standing
    from competencies.models import Pathway, Standing

    pathway = Pathway.get(
        (Pathway.clinician == cohort["track"].id) & (Pathway.association == association.id)
    )
    read = Standing.get_by_id(pathway.id).generation
    with count_queries() as counter:
        generations = standing.prepare([pathway], {pathway.id: read})
    assert generations == {pathway.id: read} and counter.count == 0
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
    assert Standing.get_by_id(pathway.id).computed is None


def test_a_pathway_without_a_kept_row_gets_one(cohort, association):
    from competencies import standing
    from competencies.models import Pathway, Standing

    pathway = Pathway.get(Pathway.clinician == cohort["idle"].id)
    Standing.delete().where(Standing.pathway == pathway.id).execute()
    generations = standing.prepare([pathway], {pathway.id: None})
    assert generations == {pathway.id: Standing.get_by_id(pathway.id).generation}


def test_the_collector_is_paused_while_the_batch_path_evaluates(cohort, association, monkeypatch):
    import gc

    from competencies import kept_summaries, pathways, readiness

    seen = []
    summaries, evaluate = kept_summaries.build_summaries, pathways.evaluate_with

    def watched_summaries(**kw):
        seen.append(("summaries", gc.isenabled()))
        return summaries(**kw)

    def watched_evaluate(*args):
        seen.append(("evaluate", gc.isenabled()))
        return evaluate(*args)

    monkeypatch.setattr(kept_summaries, "build_summaries", watched_summaries)
    monkeypatch.setattr(pathways, "evaluate_with", watched_evaluate)
    assert gc.isenabled()
    readiness.refresh_stale(association, TODAY)
    assert seen == [("summaries", False)] + [("evaluate", False)] * 7 and gc.isenabled()
    with pytest.raises(RuntimeError), readiness.collector_paused():
        raise RuntimeError("a chunk failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with readiness.collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_report_and_a_refresh_leave_no_cyclic_garbage(cohort, association):
    """What makes pausing the collector for a whole report safe: all it frees, reference
    counting frees (a cycle would wait for the report's end)."""
    import gc

    from competencies import readiness
    from competencies.models import Standing

    readiness.association_report(association, TODAY)  # anything imported on first use, before
    gc.collect()
    gc.disable()
    try:
        Standing.update(basis="").execute()
        assert readiness.association_report(association, TODAY).total == 7
        Standing.update(basis="").execute()
        assert readiness.refresh_stale(association, TODAY).evaluated == 7
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_how_long_a_row_holds_leaves_no_cycle_holding_the_summary(cohort, association):
    """With the collector paused for a chunk, a cycle would keep every clinician's summary
    alive until the chunk ends (holds_until's walk was a closure calling itself)."""
    import gc
    import weakref

    from competencies import holds
    from competencies.models import Pathway
    from competencies.pathways import evaluate_pathways
    from competencies.rulesets import bound_rule_set

    pathways = list(
        Pathway.select().where(Pathway.clinician.in_([cohort["track"].id, cohort["late"].id]))
    )
    gc.disable()
    try:
        evaluations = evaluate_pathways(pathways, TODAY)
        first = weakref.ref(evaluations[0].summary)
        for ev in evaluations:  # the evaluator may keep the last one it saw; not the first
            rules = bound_rule_set(ev.pathway.rule_set)
            until = holds.holds_until(rules, ev.pathway.category, ev.summary, ev.result, TODAY)
            assert until > TODAY
        del evaluations, ev
        assert first() is None
    finally:
        gc.enable()
