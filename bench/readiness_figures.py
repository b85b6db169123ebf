"""Readiness when no row is kept, after an import, and the refresh: each against a raw GROUP BY.

The warm report (every row kept) is in `bench.figures.readiness_report`. These are the cases a
user meets when rows are stale: the first report after every row went stale (a rule-set
change; before kept rows knew how long they hold, every midnight: the ledger unchanged, so the
kept summaries are read), the same with every summary stale too (as if every clinician's
ledger had changed, which no single write does: each re-evaluates after it), the report after
an import once the import's re-evaluation job has run, the report after a framework edit once
the edit's job has run, and the refresh itself, in one process and spread over the host's
CPUs, timed in a process of its own as the nightly command runs (`bench.refresh_runs`). Each
ratio divides by the same raw ``GROUP BY`` over the association's ledger, measured right
before it (the best of three runs).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.figures import Figure
from lms.db import db

COLD_BUDGET = 10  # × the GROUP BY
COLD_RUNS = 3  # the cold report's runs, as many as the GROUP BY's (`_group_by`): the best of each
REFRESH_BUDGET_MS = 1.5  # a pathway


def _group_by(association) -> float:
    """The best of three runs of one raw GROUP BY over the association's ledger."""
    from competencies.models import Evidence

    param = db.obj.param
    sql = (
        f"SELECT clinician_id, SUM(hours) FROM {Evidence._meta.table_name} "
        f"WHERE association_id = {param} GROUP BY clinician_id"
    )
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        db.execute_sql(sql, (association.id,)).fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the refresh's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _all_stale(association, *, ledgers: bool = False) -> None:
    """Make every kept row of the association stale as a new rule set does (the ledger as it
    was: kept summaries still hold), or with `ledgers` as if every clinician's ledger had
    changed (summaries stale too)."""
    from competencies.models import KeptSummary, Standing

    Standing.update(basis="").where(Standing.association == association.id).execute()
    if ledgers:
        KeptSummary.update(generation=KeptSummary.generation + 1).where(
            KeptSummary.association == association.id
        ).execute()


def cold_and_refresh(association, today: dt.date, database_url: str, workdir: Path) -> list[Figure]:
    """The report with every row stale, and the refresh in one process and in several."""
    from competencies.readiness import association_report

    figures = []
    for ledgers in (True, False):
        baseline = _group_by(association)
        runs = []
        # The cold report is measured as its baseline is, the best of COLD_RUNS runs (each
        # from every row stale); with every summary stale too, once (it has no budget).
        for _ in range(1 if ledgers else COLD_RUNS):
            _all_stale(association, ledgers=ledgers)
            cpu, started = _cpu(), time.perf_counter()
            report = association_report(association, today)
            runs.append((time.perf_counter() - started, _cpu() - cpu))
        cold, cpu = min(runs)
        figures.append(
            Figure(
                "readiness report, every row and summary stale"
                if ledgers
                else "readiness report, every row stale (cold)",
                cold,
                "s",
                "none (a ledger write re-evaluates after its commit)"
                if ledgers
                else f"≤ {COLD_BUDGET}× raw GROUP BY",
                cold / baseline,
                baseline,
                ledgers or cold / baseline <= COLD_BUDGET,
                f"{report.total:,} pathways evaluated in the request (one process, the "
                f"refresh's batch path), {cold / max(report.total, 1) * 1000:.2f} ms each, "
                f"{cpu / max(report.total, 1) * 1000:.2f} ms CPU; "
                + (
                    "every summary built, as if every clinician's ledger had changed"
                    if ledgers
                    else "as after a new rule set: the ledger unchanged, its kept summaries read; "
                    f"best of {len(runs)} runs, as the baseline ("
                    + ", ".join(f"{seconds:.2f}" for seconds, _ in runs)
                    + " s)"
                ),
            )
        )
    figures.extend(_refresh(association, today, database_url, workdir))
    return figures


def after_import(association, today: dt.date) -> Figure:
    """The report once an import's re-evaluation has run (what a coordinator opens after a
    trainer's import): the job's time in the note, the report against the GROUP BY."""
    from competencies.models import Standing
    from competencies.reevaluate import after_commit

    stale = Standing.select(Standing.clinician).where(
        (Standing.association == association.id)
        & ((Standing.computed.is_null()) | (Standing.computed != Standing.generation))
    )
    clinicians = sorted({c for (c,) in stale.tuples()})
    stale_rows = stale.count()
    # The import's own job (`courses.importer.reevaluate`): the clinicians it wrote are the
    # ones whose rows are stale here (the driver baseline writes no kept row).
    return _report_after_job(
        association,
        today,
        "readiness report after an import, its job done",
        lambda: after_commit([(association.id, c) for c in clinicians], background=False),
        f"the import left {stale_rows:,} rows stale; its job (after_commit",
    )


def _report_after_job(association, today: dt.date, name: str, job, what: str) -> Figure:
    """Run a writer's re-evaluation job (`job()` says what it did), then time the report
    against the GROUP BY; the note gives `what`, the job's time and what it said."""
    from competencies.readiness import association_report

    started = time.perf_counter()
    said = job()
    job_seconds = time.perf_counter() - started
    baseline = _group_by(association)
    started = time.perf_counter()
    association_report(association, today)
    seconds = time.perf_counter() - started
    return Figure(
        name,
        seconds,
        "s",
        "≤ 3× raw GROUP BY",
        seconds / baseline,
        baseline,
        seconds / baseline <= 3,
        f"{what}, {job_seconds:.1f} s): {said.removeprefix('Readiness: ')}",
    )


def after_framework_edit(association, today: dt.date) -> Figure:
    """The report once a framework edit's re-evaluation has run: the edit (the framework the
    association's rule sets read, renamed) stales every one of its rows, as the cold
    report's rule-set change does; the edit's job evaluates them (`after_framework_edit`, as
    `import-framework` runs it: over this host's CPUs), so the report reads kept rows."""
    from dataclasses import replace

    from competencies.frameworks import framework_doc, save_framework
    from competencies.models import Framework, Pathway, RuleSet
    from competencies.reevaluate import after_framework_edit as reevaluate

    framework = (
        Framework.select()
        .join(RuleSet)
        .join(Pathway)
        .where(Pathway.association == association.id)
        .first()
    )
    doc = framework_doc(framework)
    save_framework(replace(doc, name=doc.name + " (edited)"), association=framework.association)
    return _report_after_job(
        association,
        today,
        "readiness report after a framework edit, its job done",
        lambda: reevaluate(framework.id, background=False),
        "the edit staled every row reading the framework; its job (after_framework_edit",
    )


REFRESH_RUNS = 3  # rounds of the refresh with each number of workers: the best of each


def _refresh(association, today: dt.date, database_url: str, workdir: Path) -> list[Figure]:
    """The refresh with one process and with one a CPU, each the best of REFRESH_RUNS runs
    taken in turn, in a process of its own as the nightly command runs it
    (`bench.refresh_runs`); and once with every CPU from this process, for comparison."""
    from competencies.readiness import refresh_stale
    from lms import jobs

    counts = sorted({1, jobs.cpu_count()})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.refresh_runs",
            database_url,
            str(workdir),
            str(association.id),
            today.isoformat(),
            str(REFRESH_RUNS),
            *map(str, counts),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.refresh_runs failed:\n{done.stderr[-3000:]}")
    runs = json.loads(done.stdout)
    best = {n: min((r for r in runs if r[0] == n), key=lambda r: r[1]) for n in counts}
    here = None  # the comparison run from this process, when there is more than one CPU
    if len(counts) > 1:
        _all_stale(association)
        here = refresh_stale(association, today, workers=counts[-1])
    figures = []
    for workers, seconds, cpu, evaluated in best.values():
        baseline = _group_by(association)
        per = seconds / max(evaluated, 1) * 1000
        speedup = best[1][1] / seconds
        listed = [f"{r[1]:.2f}" for r in runs if r[0] == workers]
        figures.append(
            Figure(
                f"readiness refresh, {evaluated:,} pathways, {workers} process(es)",
                seconds,
                "s",
                f"≤ {REFRESH_BUDGET_MS} ms a pathway"
                + ("" if workers == 1 else f"; ~{workers}× one process"),
                seconds / baseline,
                baseline,
                per <= REFRESH_BUDGET_MS * (1 if workers == 1 else workers)
                and (workers == 1 or speedup >= 0.75 * workers),
                f"{per:.2f} ms a pathway, {cpu / max(evaluated, 1) * 1000:.2f} ms CPU "
                f"(workers included); in a process of its own, as `flask refresh-readiness`, "
                f"best of {len(listed)} runs ({', '.join(listed)} s)"
                + (
                    ""
                    if workers == 1 or here is None
                    else f"; {speedup:.2f}× one process (starts included); once from the "
                    f"benchmark's own process (peak {_peak_mb()} MB): {here.seconds:.2f} s, "
                    f"{best[1][1] / here.seconds:.2f}×"
                ),
            )
        )
    return figures


def _peak_mb() -> int:
    """The most memory this process has held, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
