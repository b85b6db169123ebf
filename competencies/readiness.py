"""Readiness of many clinicians at once: the association report and keeping its rows current.

The report loads every open pathway of an association with names, agencies and its kept row
(`competencies.standing`) in one query, plus one for their rule sets. Rows still current are used
as kept; the others are evaluated in chunks, each with one round of summary queries for the
clinicians whose kept summary (`competencies.kept_summaries`) is not current and one for the
clinicians' evidence dates (`pathways.evaluate_each` evaluates them), kept for
the next reports until the first day the row could change with no ledger write (its
`valid_until`: what `competencies.holds` finds in the evaluation, the day the row would turn
stalled or due within 3 months, a clinician's evidence dated ahead, the association's next
rule-set edition). A fixed number of queries per chunk, whatever the number of clinicians.
Nothing here touches the request. What one row says (its bucket, flags, projected date and how
long it holds) is `competencies.readiness_rows`; who may see whose readiness,
`competencies.readiness_access`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import math
import operator
import time
from dataclasses import dataclass, field

import peewee as pw

from competencies import kept_summaries, standing
from competencies.models import Evidence, Pathway, RuleSet, Standing
from competencies.pathways import OPEN_STATUSES, evaluate_each
from competencies.phrasing import about
from competencies.readiness_rows import BUCKETS, Row, row_values
from competencies.rulesets import LIGHT
from lms import jobs
from lms.db import db
from lms.errors import ServiceError
from lms.models import Agency, Association, Membership, User

SORTS = {
    "name": "Name (A–Z)",
    "-name": "Name (Z–A)",
    "progress": "Progress (lowest first)",
    "-progress": "Progress (highest first)",
    "projected": "Projected date (soonest first)",
    "-projected": "Projected date (latest first)",
    "category": "Category (A–Z)",
    "-category": "Category (Z–A)",
}
MAX_PER_PAGE = 200


class ReportError(ServiceError, ValueError):
    """A report cannot be built as asked; `field` names the parameter at fault."""


@dataclass(frozen=True)
class Report:
    """Counts over the whole scope, then the filtered and sorted rows and one page of them."""

    association: Association
    as_of: dt.date
    counts: dict[str, int]  # every bucket in BUCKETS order, before filters
    total: int
    matching: list[Row]  # every row passing the filters, sorted
    rows: list[Row]  # this page of `matching`
    page: int
    pages: int
    per_page: int
    sort: str
    categories: list[tuple[str, str]] = field(default_factory=list)  # (code, name) in scope


def _scope(
    association: Association, scope_agency_id: int | None, pathway_ids: list[int] | None = None
) -> list[tuple]:
    """Return every open pathway in scope (or those of `pathway_ids`) with who it is and its
    kept row, as the database gives them (one query, no conversion: most rows are used as kept
    and never converted)."""
    query = (
        Pathway.select(*_SCOPE_COLUMNS)
        .join(User, on=(Pathway.clinician == User.id))
        .switch(Pathway)
        .join(
            Membership,
            pw.JOIN.LEFT_OUTER,
            on=(
                (Membership.user == Pathway.clinician)
                & (Membership.association == Pathway.association)
                & (Membership.role == "clinician")
            ),
        )
        .join(Agency, pw.JOIN.LEFT_OUTER, on=(Membership.agency == Agency.id))
        .switch(Pathway)
        .join(Standing, pw.JOIN.LEFT_OUTER, on=(Standing.pathway == Pathway.id))
        .where((Pathway.association == association.id) & Pathway.status.in_(OPEN_STATUSES))
    )
    if scope_agency_id is not None:
        query = query.where(Membership.agency == scope_agency_id)
    if pathway_ids is not None:
        query = query.where(Pathway.id.in_(pathway_ids))
    return db.execute_sql(*query.sql()).fetchall()


_SCOPE_COLUMNS = (
    Pathway.id,
    Pathway.clinician,
    Pathway.category,
    Pathway.rule_set,
    Pathway.started_on,
    Pathway.status,
    User.display_name,
    User.email,
    Membership.agency,
    Agency.name,
    *standing.KEPT_COLUMNS,
)
_WHO = 10  # the columns before the kept row's


def _date(value) -> dt.date | None:
    """Return a date the database gave as a date or as ISO text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


def _pathway(association: Association, raw: tuple, rule_set: RuleSet) -> Pathway:
    """Return the Pathway of a scope row, for evaluation (the columns it does not select have
    no value, not even their default: a default such as the creation time costs a clock read,
    for each of thousands of pathways)."""
    pid, cid, category, _, started, status = raw[:6]
    return Pathway(
        __no_default__=True,
        id=pid,
        clinician=cid,
        association=association,
        category=category,
        rule_set=rule_set,
        started_on=_date(started),
        status=status,
    )


def _evidence_dates(
    association: Association, as_of: dt.date, clinician_ids: list[int]
) -> dict[int, tuple[dt.date | None, dt.date | None]]:
    """Return these clinicians' latest evidence date up to `as_of` and their earliest one
    after it (void rows left out), one query per `standing.CHUNK` of them.

    Each date is one step down the (clinician, date) index from `as_of`, a correlated
    subquery per clinician, rather than an aggregate over every ledger row of the chunk
    (the summaries read those already): a tenth of the cost on SQLite."""
    param = db.obj.param
    table = Evidence._meta.table_name
    day = Evidence.occurred_on.db_value(as_of)
    association_id = Evidence.association.db_value(association.id)

    def nearest(compare: str, order: str) -> str:
        return (
            f"(SELECT e.occurred_on FROM {table} e WHERE e.clinician_id = v.column1"
            f" AND e.occurred_on {compare} {param} AND e.association_id = {param}"
            f" AND e.status <> {param} ORDER BY e.occurred_on {order} LIMIT 1)"
        )

    select = f"SELECT v.column1, {nearest('<=', 'DESC')}, {nearest('>', 'ASC')} FROM "
    out = {}
    for chunk in standing.chunks(clinician_ids):
        sql = select + f"(VALUES {', '.join([f'({param})'] * len(chunk))}) AS v"
        params = (day, association_id, "void", day, association_id, "void", *chunk)
        for cid, last, ahead in db.execute_sql(sql, params).fetchall():
            if last is not None or ahead is not None:
                out[cid] = (_date(last), _date(ahead))
    return out


def _next_edition(association: Association, as_of: dt.date) -> dt.date | None:
    """Return the day the association's (or the shared) next rule-set edition takes effect."""
    day = (
        RuleSet.select(pw.fn.MIN(RuleSet.effective))
        .where(
            (RuleSet.effective > as_of)
            & ((RuleSet.association == association.id) | RuleSet.association.is_null())
        )
        .scalar()
    )
    return _date(day)


def _row(raw: tuple, progress, ready, projected, status, flags, category_name, last) -> Row:
    """Return the report row of a scope row, given the values kept or evaluated for it (in the
    order of `standing.KEPT_COLUMNS[standing.VALUES:]`)."""
    pid, cid, category, _, started, _, name, email, agency_id, agency = raw[:_WHO]
    return Row(
        pid,
        cid,
        name,
        email,
        agency_id,
        agency or "",
        category,
        category_name,
        _date(started),
        progress,
        bool(ready),
        projected,
        status,
        tuple([about(name, f) for f in flags]),
        last,
    )


def _kept_row(raw: tuple, decoded: dict[str, tuple[str, ...]]) -> Row:
    """Return the report row of a scope row whose kept row is current (`decoded` caches the
    flags' JSON, which repeats from row to row)."""
    values = raw[_WHO + standing.VALUES :]
    progress, ready, projected, status, flags, category_name, last = values
    if flags not in decoded:
        decoded[flags] = tuple(json.loads(flags))
    return _row(
        raw,
        progress,
        ready,
        _date(projected),
        status,
        decoded[flags],
        category_name,
        _date(last),
    )


EVALUATE_CHUNK = 1000  # pathways evaluated per round of summary queries


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a report or a refresh evaluates.

    Its scope rows, summaries and evaluations are hundreds of thousands of tuples, dicts and
    results, none in a cycle (all freed by reference counting: a test holds the batch path
    to that), and each few hundred allocations the collector would walk the young objects,
    and now and then every object in the process: a quarter of a chunk's time, and once the
    chunks are paused, still a few percent of a report between them, for nothing. The first
    collection after it walks what the report keeps (its rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sorted_out(
    association: Association, as_of: dt.date, scope: list[tuple], *, report: bool = True
):
    """Split scope rows into report rows used as kept and (row, basis) pairs to evaluate;
    return them with the rule sets they name (no report rows when `report` is false: the
    refresh only evaluates)."""
    rule_sets = {
        rs.id: rs for rs in RuleSet.select(*LIGHT).where(RuleSet.id.in_({raw[3] for raw in scope}))
    }
    keeping = standing.may_keep(as_of)
    day = as_of.isoformat()
    rows, stale, flags = [], [], {}
    for raw in scope:
        expected = standing.basis_of(rule_sets[raw[3]], raw[2], standing.iso_day(raw[4]))
        if keeping and standing.is_current(raw[_WHO:], day, expected):
            if report:
                rows.append(_kept_row(raw, flags))
        else:
            stale.append((raw, expected))
    return rows, stale, rule_sets


def _evaluate(
    association: Association,
    as_of: dt.date,
    stale: list[tuple[tuple, str]],
    rule_sets: dict[int, RuleSet],
    on_chunk=None,
    *,
    report: bool = True,
) -> list[Row]:
    """Evaluate these scope rows a chunk at a time, keep them when the day is today's, and
    return their report rows (none when `report` is false; `on_chunk(done, total)` after each
    chunk)."""
    keeping = standing.may_keep(as_of)
    values_of = operator.itemgetter(*[c.name for c in standing.KEPT_COLUMNS[standing.VALUES :]])
    edition = _next_edition(association, as_of) if stale else None
    rows: list[Row] = []
    with collector_paused():
        for start in range(0, len(stale), EVALUATE_CHUNK):
            chunk = stale[start : start + EVALUATE_CHUNK]
            pathways = [_pathway(association, raw, rule_sets[raw[3]]) for raw, _ in chunk]
            known = {raw[0]: raw[_WHO] for raw, _ in chunk}  # read with the scope, before evidence
            generations = standing.prepare(pathways, known) if keeping else {}
            clinicians = sorted({p.clinician_id for p in pathways})
            fresh = []
            summaries, built, read_at = kept_summaries.kept_or_built(
                association.id, clinicians, as_of, make=keeping
            )
            dates = _evidence_dates(association, as_of, clinicians)
            if keeping and built:  # each until the clinician's next evidence date
                until = {cid: dates.get(cid, (None, None))[1] for cid in built}
                kept_summaries.keep(association.id, built, read_at, as_of, until)
            evaluations = evaluate_each(pathways, as_of, summaries)
            for (raw, expected), ev in zip(chunk, evaluations, strict=True):
                p = ev.pathway
                values = row_values(ev, dates.get(p.clinician_id, (None, None)), edition, as_of)
                if report:
                    rows.append(_row(raw, *values_of(values)))
                if p.id in generations:
                    fresh.append((p.id, generations[p.id], expected, values))
            del evaluations, ev, summaries, built  # before the next chunk's are made
            standing.keep(fresh, as_of)
            if on_chunk is not None:
                on_chunk(start + len(chunk), len(stale))
    return rows


def scope_rows(
    association: Association, as_of: dt.date, *, scope_agency_id: int | None = None
) -> list[Row]:
    """Return a row for every open pathway of the association (or of one agency in it).

    Kept rows still current are used as they are; the others are evaluated, a chunk at a time,
    and kept when the report is today's: the refresh's own batch path (`_evaluate`), in this
    process. A report never spreads them over processes: a web worker may run threads (a fork
    could copy a lock one of them holds), a spawned process spends a second importing, the
    host's other cores serve the other requests, and a worker killed at its timeout would
    leave its children behind. Many stale rows at once are the refresh's and the batch
    writers' work (`refresh_stale`, `competencies.reevaluate`), outside any request.
    """
    with collector_paused():
        rows, stale, rule_sets = _sorted_out(
            association, as_of, _scope(association, scope_agency_id)
        )
        return rows + _evaluate(association, as_of, stale, rule_sets)


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: open pathways in the association, and how many it evaluated."""

    pathways: int
    evaluated: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.pathways} open pathways current, {self.evaluated} evaluated "
            f"({self.seconds:.1f} s)"
        )


def refresh(association: Association, as_of: dt.date | None = None, *, workers: int = 1) -> int:
    """Evaluate and keep every stale open pathway of an association; return the number of its
    open pathways (all current now)."""
    return refresh_stale(association, as_of, workers=workers).pathways


def refresh_stale(
    association: Association, as_of: dt.date | None = None, *, workers: int = 1
) -> Refreshed:
    """Evaluate and keep every stale open pathway of an association: nightly, and after a
    batch write (an import). With `workers` > 1 the stale pathways are cut into parts of
    equal size, a whole number of them per worker, spread over that many processes (or over
    the RQ workers, `lms.jobs`); each part reads, evaluates and keeps its rows on its own
    connection while this process waits. The running job's progress is reported."""
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    scope = _scope(association, None)
    _, stale, rule_sets = _sorted_out(association, as_of, scope, report=False)
    ids = [raw[0] for raw, _ in stale]
    jobs.progress(0, len(ids), "Re-evaluating readiness")
    parts = split(ids, workers)
    if len(parts) > 1:
        day = as_of.isoformat()

        def part_done(finished: int, count: int) -> None:
            jobs.progress(len(ids) * finished // count, len(ids), "Re-evaluating readiness")

        jobs.spread(
            PART,
            [(association.id, day, part) for part in parts],
            workers=workers,
            on_done=part_done,
        )
    else:

        def chunk_done(finished: int, total: int) -> None:
            jobs.progress(finished, total, "Re-evaluating readiness")

        _evaluate(association, as_of, stale, rule_sets, on_chunk=chunk_done, report=False)
    return Refreshed(len(scope), len(ids), time.perf_counter() - started)


PART_MIN = 200  # fewer stale pathways a worker than this: not worth a process
PART = "competencies.readiness:refresh_part"  # `refresh_part`, by name, for the workers


def split(ids: list[int], workers: int) -> list[list[int]]:
    """Cut pathway ids into parts for `workers` processes: one part when one process does it
    all (or there are too few for more), else a whole number of equal parts per worker, each
    at most EVALUATE_CHUNK (one round of summary queries)."""
    if workers <= 1 or len(ids) < 2 * PART_MIN:
        return [ids] if ids else []
    workers = min(workers, len(ids) // PART_MIN)
    count = workers * math.ceil(len(ids) / (workers * EVALUATE_CHUNK))
    size = math.ceil(len(ids) / count)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def refresh_part(part: tuple[int, str, list[int]]) -> int:
    """Evaluate and keep some pathways of an association as of a day: (association id, ISO
    day, pathway ids), a job of `refresh`; return how many were evaluated."""
    association_id, day, pathway_ids = part
    association = Association.get_by_id(association_id)
    as_of = dt.date.fromisoformat(day)
    scope = _scope(association, None, pathway_ids)
    _, stale, rule_sets = _sorted_out(association, as_of, scope, report=False)
    _evaluate(association, as_of, stale, rule_sets, report=False)
    return len(stale)


def _sorted(rows: list[Row], sort: str) -> list[Row]:
    key = sort.lstrip("-")
    reverse = sort.startswith("-")

    def by_name(r: Row):
        return (r.name.casefold(), r.email, r.pathway_id)

    if key == "projected":
        dated = sorted((r for r in rows if r.projected), key=by_name)
        dated.sort(key=lambda r: r.projected, reverse=reverse)
        undated = sorted((r for r in rows if not r.projected), key=by_name)
        ready = [r for r in undated if r.ready]
        # The ready come first (they need no date), rows without a date last, either way.
        return ready + dated + [r for r in undated if not r.ready]
    rows = sorted(rows, key=by_name, reverse=reverse and key == "name")
    if key == "progress":
        rows.sort(key=lambda r: r.progress, reverse=reverse)
    elif key == "category":
        rows.sort(key=lambda r: r.category, reverse=reverse)
    return rows


def association_report(
    association: Association,
    as_of: dt.date,
    *,
    agency_id: int | None = None,
    category: str | None = None,
    status: str | None = None,
    search: str | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = 50,
    scope_agency_id: int | None = None,
) -> Report:
    """Build the readiness report of an association as of a date.

    Counts cover every open pathway in scope (the association, or one agency with
    `scope_agency_id`) before filters; then the filters, the sort and the page apply. A page
    past the end shows the last page.
    """
    if sort not in SORTS:
        raise ReportError(f"Sort by one of: {', '.join(SORTS)}.", "sort")
    if status and status not in BUCKETS:
        raise ReportError(f"Status is one of: {', '.join(BUCKETS)}.", "status")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ReportError(f"Show between 1 and {MAX_PER_PAGE} rows per page.", "per_page")
    if page < 1:
        raise ReportError("Pages are numbered from 1.", "page")
    rows = scope_rows(association, as_of, scope_agency_id=scope_agency_id)
    counts = dict.fromkeys(BUCKETS, 0)
    names: dict[str, str] = {}
    for r in rows:
        counts[r.status] += 1
        names.setdefault(r.category, r.category_name)
    needle = (search or "").strip().casefold()
    matching = [
        r
        for r in rows
        if (agency_id is None or r.agency_id == agency_id)
        and (not category or r.category == category)
        and (not status or r.status == status)
        and (not needle or needle in r.name.casefold() or needle in r.email)
    ]
    matching = _sorted(matching, sort)
    pages = max(1, math.ceil(len(matching) / per_page))
    page = min(page, pages)
    start = (page - 1) * per_page
    return Report(
        association=association,
        as_of=as_of,
        counts=counts,
        total=len(rows),
        matching=matching,
        rows=matching[start : start + per_page],
        page=page,
        pages=pages,
        per_page=per_page,
        sort=sort,
        categories=sorted(names.items()),
    )
