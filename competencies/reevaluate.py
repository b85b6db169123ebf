"""Re-evaluate the readiness rows a batch write made stale, once its transaction has committed.

A ledger write makes its clinicians' kept rows stale (`competencies.standing.touch`); the next
report would evaluate them. A writer of many rows at once (the CSV import, a roster, a bulk
attestation, an LMS's completions or xAPI statements) calls `after_commit` with the
(association, clinician) pairs it wrote for, so that no report pays for them: in the same
command for the command line, in a background job (`lms.jobs`) for a web request.

Only the open pathways of those clinicians in those associations are looked at, and of them only
the ones still stale are evaluated (`competencies.readiness.refresh_part`), so a call for rows a
report has already re-evaluated costs one query a chunk.

An edit of a framework (a replaced import, an area's name or categories) stales every open
pathway whose rule set reads that framework: `after_framework_edit` refreshes the associations
that have one (`competencies.readiness.refresh_stale`), the same way.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from competencies.models import Pathway, RuleSet
from competencies.pathways import OPEN_STATUSES
from competencies.readiness import PART, Refreshed, refresh_part, refresh_stale, split
from competencies.standing import chunks
from lms import jobs
from lms.db import db
from lms.models import Association

JOB = "competencies.reevaluate:run_job"
FRAMEWORK_JOB = "competencies.reevaluate:run_framework_job"
LABEL = "Readiness after your changes"
FRAMEWORK_LABEL = "Readiness after the framework edit"
MESSAGE = "Re-evaluating readiness"

Pairs = Iterable[tuple[int, int]]  # (association id, clinician id)


def of(records: Iterable[Any]) -> list[tuple[int, int]]:
    """Return the (association id, clinician id) pairs of written records that carry both (a
    completion, an RSC session)."""
    return [(r.association_id, r.clinician_id) for r in records]


def _by_association(pairs: Pairs) -> dict[int, list[int]]:
    grouped: dict[int, set[int]] = {}
    for association_id, clinician_id in pairs:
        grouped.setdefault(int(association_id), set()).add(int(clinician_id))
    return {a: sorted(ids) for a, ids in sorted(grouped.items())}


def _open_pathways(association_id: int, clinician_ids: list[int]) -> list[int]:
    found: list[int] = []
    for chunk in chunks(clinician_ids):
        found.extend(
            Pathway.select(Pathway.id)
            .where(
                (Pathway.association == association_id)
                & Pathway.clinician.in_(chunk)
                & Pathway.status.in_(OPEN_STATUSES)
            )
            .order_by(Pathway.id)
            .tuples()
            .iterator()
        )
    return [pathway_id for (pathway_id,) in found]


def reevaluate(pairs: Pairs, as_of: dt.date | None = None, *, workers: int = 1) -> Refreshed:
    """Evaluate and keep the stale open pathways of these clinicians in these associations.

    With `workers` > 1 and more than one part, the parts are spread over that many processes
    (or the RQ workers, `lms.jobs.spread`); the running job's progress is reported.
    """
    started = time.perf_counter()
    day = (as_of or dt.date.today()).isoformat()
    parts = [
        (association_id, day, part)
        for association_id, clinician_ids in _by_association(pairs).items()
        for part in split(_open_pathways(association_id, clinician_ids), workers)
    ]
    total = sum(len(part[2]) for part in parts)
    jobs.progress(0, total, MESSAGE)
    sizes = [len(part[2]) for part in parts]

    def done(finished: int, _count: int) -> None:
        jobs.progress(sum(sizes[:finished]), total, MESSAGE)

    if workers > 1 and len(parts) > 1:
        evaluated = jobs.spread(PART, parts, workers=workers, on_done=done)
    else:
        evaluated = []
        for part in parts:
            evaluated.append(refresh_part(part))
            done(len(evaluated), len(parts))
    return Refreshed(total, sum(evaluated), time.perf_counter() - started)


def run_job(pairs: list[list[int]]) -> str:
    """Re-evaluate the rows of (association id, clinician id) pairs: the job `after_commit`
    leaves behind a web request; return what a page shows when it is done."""
    done = reevaluate([(a, c) for a, c in pairs])
    return f"Readiness re-evaluated: {done.evaluated} pathway(s)."


def after_commit(
    pairs: Pairs,
    *,
    background: bool,
    owner_id: int | None = None,
    label: str = LABEL,
) -> str:
    """Re-evaluate the readiness rows a batch write made stale, after its transaction has
    committed: in a background job (return its id, for `lms.jobs.state`) or here, with this
    host's CPUs (return what was done, for a command to print). Return "" when the write
    touched nobody.

    Called inside a transaction (a caller wrapped the write in a larger one), a background job
    is queued when that transaction commits (peewee's `after_commit`), and not at all if it
    rolls back; "" is returned, as no job exists yet. Here-and-now work must wait for the
    commit: that is the caller's mistake, refused.
    """
    grouped = _by_association(pairs)
    if not grouped:
        return ""
    if background:
        plain = [[a, c] for a, ids in grouped.items() for c in ids]
        if db.in_transaction():
            db.after_commit(lambda: jobs.enqueue(JOB, plain, owner_id=owner_id, label=label))
            return ""
        return jobs.enqueue(JOB, plain, owner_id=owner_id, label=label)
    if db.in_transaction():
        raise RuntimeError("Re-evaluate after the write's transaction has committed.")
    done = reevaluate([(a, c) for a, ids in grouped.items() for c in ids], workers=jobs.cpu_count())
    return f"Readiness: {done}."


def associations_reading(framework_id: int) -> list[int]:
    """Return the associations with an open pathway whose rule set reads this framework."""
    query = (
        Pathway.select(Pathway.association)
        .join(RuleSet)
        .where((RuleSet.framework == framework_id) & Pathway.status.in_(OPEN_STATUSES))
        .distinct()
    )
    return sorted(association_id for (association_id,) in query.tuples())


def refresh_associations(association_ids: list[int], *, workers: int = 1) -> Refreshed:
    """Evaluate and keep the stale open pathways of these associations (those reading an
    edited framework: the edit staled them all)."""
    started = time.perf_counter()
    pathways = evaluated = 0
    for association_id in association_ids:
        done = refresh_stale(Association.get_by_id(association_id), workers=workers)
        pathways, evaluated = pathways + done.pathways, evaluated + done.evaluated
    return Refreshed(pathways, evaluated, time.perf_counter() - started)


def run_framework_job(framework_id: int) -> str:
    """Re-evaluate what an edit of a framework staled: the job `after_framework_edit` leaves
    behind a web request; return what a page shows when it is done."""
    done = refresh_associations(associations_reading(framework_id))
    return f"Readiness re-evaluated: {done.evaluated} pathway(s)."


def after_framework_edit(
    framework_id: int, *, background: bool, owner_id: int | None = None
) -> str:
    """Re-evaluate the readiness rows an edit of a framework staled, after its transaction
    has committed, as `after_commit` does: a background job's id, or what was done here with
    this host's CPUs; "" when no open pathway reads the framework (a new one)."""
    association_ids = associations_reading(framework_id)
    if not association_ids:
        return ""
    if background:

        def queue() -> str:
            return jobs.enqueue(
                FRAMEWORK_JOB, framework_id, owner_id=owner_id, label=FRAMEWORK_LABEL
            )

        if db.in_transaction():
            db.after_commit(queue)
            return ""
        return queue()
    if db.in_transaction():
        raise RuntimeError("Re-evaluate after the framework's transaction has committed.")
    return f"Readiness: {refresh_associations(association_ids, workers=jobs.cpu_count())}."
