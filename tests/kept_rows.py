"""Kept readiness rows in the tests of batch writers: keep every row, write, then check that
the writer left the rows it made stale current again, with no report run in between."""

from __future__ import annotations

import datetime as dt

from lms import jobs


def keep_all(association) -> dict[int, int]:
    """Evaluate and keep every open pathway of the association; return each one's ledger
    generation (pathway id -> generation), all current."""
    from competencies.models import Standing
    from competencies.readiness import refresh

    refresh(association)
    kept = {
        row.pathway_id: row.generation
        for row in Standing.select().where(Standing.association == association.id)
    }
    assert kept and all(is_current(pathway_id) for pathway_id in kept)
    return kept


def wait_for_jobs(app, timeout: float = 60) -> list[jobs.JobState]:
    """Wait for every job this app's process started (threads on PostgreSQL; inline on an
    in-memory SQLite database); return their final states."""
    return [jobs.wait(path.stem, timeout) for path in jobs._folder(app).glob("*.json")]


def is_current(pathway_id: int) -> bool:
    from competencies.models import Standing

    row = Standing.get_by_id(pathway_id)
    return row.computed == row.generation and row.as_of == dt.date.today()


def rewritten(before: dict[int, int], pathway_ids) -> bool:
    """Tell whether each of these pathways was made stale by a write since `before` and is
    current again (evaluated and kept after it)."""
    from competencies.models import Standing

    for pathway_id in pathway_ids:
        row = Standing.get_by_id(pathway_id)
        if row.generation <= before[pathway_id] or not is_current(pathway_id):
            return False
    return True
