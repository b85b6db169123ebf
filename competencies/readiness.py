"""Readiness of many clinicians at once: the association report, its buckets and who may see it.

The report loads every open pathway of an association with names, agencies and its kept row
(`competencies.standing`) in one query, plus one for their rule sets. Rows still current are used
as kept; the others are evaluated in chunks, each with one round of summary queries
(`pathways.evaluate_pathways`) and one for the clinicians' latest evidence dates, and kept for
the next reports until the first day the row could change with no ledger write (its
`valid_until`: what `competencies.holds` finds in the evaluation, the day the row would turn
stalled or due within 3 months, a clinician's evidence dated ahead, the association's next
rule-set edition). A fixed number of queries per chunk, whatever the number of clinicians.
Nothing here touches the request.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import peewee as pw

from competencies import figures, holds, standing
from competencies.evaluator import Result, add_months, missing_tasks
from competencies.models import Evidence, Pathway, RuleSet, Standing
from competencies.pathways import OPEN_STATUSES, Evaluation, evaluate_pathways
from competencies.phrasing import YOU as _YOU
from competencies.phrasing import about
from competencies.rulesets import LIGHT, bound_rule_set
from lms import jobs
from lms.db import db
from lms.errors import ServiceError
from lms.models import Agency, Association, Membership, User
from lms.permissions import Actor

READY, SOON, ON_TRACK, AT_RISK, STALLED = (
    "ready",
    "within 3 months",
    "on track",
    "at risk",
    "stalled",
)
BUCKETS = (READY, SOON, ON_TRACK, AT_RISK, STALLED)
BUCKET_LABELS = {b: b[0].upper() + b[1:] for b in BUCKETS}
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
SOON_MONTHS = 3  # "within 3 months" of the report date
PLAN_MONTHS = 24  # a pathway is planned to take two years from its start
IDLE_MONTHS = 6  # no evidence dated in this many months: stalled
# Forecast warnings of a requirement with nothing recent to set a pace: the row is stalled.
NO_PACE_WARNINGS = ("No training", "No recent", "No eligible")


class ReportError(ServiceError, ValueError):
    """A report cannot be built as asked; `field` names the parameter at fault."""


class Row(NamedTuple):
    """One open pathway in the report: who, where, how far, when, and what to watch (a named
    tuple: a report of 10,000 rows builds them all)."""

    pathway_id: int
    clinician_id: int
    name: str
    email: str
    agency_id: int | None
    agency: str
    category: str
    category_name: str
    started_on: dt.date
    progress: float
    ready: bool
    projected: dt.date | None
    status: str
    flags: tuple[str, ...]
    last_evidence_on: dt.date | None

    @property
    def percent(self) -> int:
        """Return the progress as a whole percentage, never 100 before every rule is met."""
        return figures.percent(self.progress, self.ready)


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


def bucket(
    *,
    ready: bool,
    projected: dt.date | None,
    started_on: dt.date,
    warnings: tuple[str, ...],
    last_evidence_on: dt.date | None,
    as_of: dt.date,
) -> str:
    """Return the status bucket of one pathway.

    Precedence: ready; stalled (no evidence dated in the last 6 months, or a requirement with
    no recent pace at all); at risk when the forecast warns (a pace too slow to make it gives
    no date, and its warning says so); within 3 months; on track (projected within two years
    of the start); otherwise at risk (the flag gives the projected date).
    """
    if ready:
        return READY
    idle = last_evidence_on is None or last_evidence_on <= add_months(as_of, -IDLE_MONTHS)
    no_pace = any(w.startswith(NO_PACE_WARNINGS) for w in warnings)
    if idle or (projected is None and (no_pace or not warnings)):
        return STALLED
    if warnings:
        return AT_RISK
    if projected <= add_months(as_of, SOON_MONTHS):
        return SOON
    if projected <= add_months(started_on, PLAN_MONTHS):
        return ON_TRACK
    return AT_RISK


def paced_date(result: Result, as_of: dt.date) -> dt.date | None:
    """Return when the paced requirements will be met, leaving out steps that only need an
    action (sign, ask for a reference, sit the exam): those show as a flag instead, so a
    clinician who is moving is not counted as stalled for a missing signature."""
    fc = result.forecast
    if fc is None:
        return None
    if fc.ready_date is not None:
        return fc.ready_date
    open_paths = set(_open_leaf_paths(result))
    dates = []
    for leaf in fc.leaves:
        if leaf.path not in open_paths or leaf.status in ("met", "needs_action"):
            continue
        if leaf.date is None:
            return None  # a requirement with no pace at all
        dates.append(leaf.date)
    return max(dates, default=as_of)


def _open_leaf_paths(result: Result):
    """Yield the paths of unmet leaves that still matter (not under a met alternative)."""
    if result.met:
        return
    if not result.children:
        yield result.path
        return
    kids = result.children
    if result.type == "any_of":  # the evaluator follows its best alternative
        kids = (max(kids, key=lambda k: (k.met, k.progress)),)
    for child in kids:
        yield from _open_leaf_paths(child)


def _flags(result: Result, status: str, last_evidence_on: dt.date | None, as_of: dt.date):
    """Return short flags: forecast warnings up to their first colon, and why a row stalls."""
    if status == READY:
        return ()
    fc = result.forecast
    flags = [w.split(": ", 1)[0] for w in (fc.warnings if fc else ())]
    if fc is not None and fc.ready_date is None:
        open_paths = set(_open_leaf_paths(result))
        acts = [f.label for f in fc.leaves if f.status == "needs_action" and f.path in open_paths]
        if acts:
            flags.append("Needs action: " + ", ".join(dict.fromkeys(acts)))
    if last_evidence_on is None:
        flags.append("No evidence yet")
    elif last_evidence_on <= add_months(as_of, -IDLE_MONTHS):
        flags.append(f"No evidence since {last_evidence_on.isoformat()}")
    return tuple(dict.fromkeys(flags))


def why_flags(
    status: str, *, projected: dt.date | None, started_on: dt.date, flags: tuple[str, ...]
) -> tuple[str, ...]:
    """Return the flag that says why a row is at risk or stalled when no other flag does."""
    if status == AT_RISK and not flags and projected is not None:
        plan = add_months(started_on, PLAN_MONTHS)
        return (f"Projected {projected.isoformat()}, after the two-year plan ({plan.isoformat()})",)
    if status == STALLED and not flags:
        return ("No pace to project a date from",)
    return ()


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
    """Return the Pathway of a scope row, for evaluation."""
    pid, cid, category, _, started, status = raw[:6]
    return Pathway(
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
    after it (void rows left out), one query per `standing.CHUNK` of them."""
    day = Evidence.occurred_on
    query = (
        Evidence.select(
            Evidence.clinician,
            pw.fn.MAX(pw.Case(None, [(day <= as_of, day)], None)),
            pw.fn.MIN(pw.Case(None, [(day > as_of, day)], None)),
        )
        .where((Evidence.association == association.id) & (Evidence.status != "void"))
        .group_by(Evidence.clinician)
    )
    out = {}
    for chunk in standing.chunks(clinician_ids):
        for cid, last, ahead in query.where(Evidence.clinician.in_(chunk)).tuples():
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


ONE_DAY = dt.timedelta(days=1)


def _first_day(turns, guess: dt.date, as_of: dt.date) -> dt.date:
    """Return the first day after `as_of` on which `turns(day)` holds, searching from a week
    before `guess` (`turns` is false before it and stays true once true)."""
    day = max(as_of + ONE_DAY, guess - dt.timedelta(days=7))
    while not turns(day):
        day += ONE_DAY
    return day


def row_holds_until(
    *,
    evaluation_holds: dt.date,
    ready: bool,
    projected: dt.date | None,
    last_evidence_on: dt.date | None,
    evidence_ahead: dt.date | None,
    next_edition: dt.date | None,
    as_of: dt.date,
    status: str,
) -> dt.date:
    """Return the first day after `as_of` on which a report row could change with no ledger
    write: the evaluation's own (`holds.holds_until`), the day it would turn stalled (and
    flagged "no evidence since") or due within 3 months, evidence dated ahead coming into the
    count, the next rule-set edition. A stalled row's projected date changes nothing."""
    days = [evaluation_holds, evidence_ahead, next_edition]
    if ready:
        return min(d for d in days if d is not None and d > as_of)
    last = last_evidence_on
    if last is not None and last > add_months(as_of, -IDLE_MONTHS):
        days.append(
            _first_day(
                lambda d: last <= add_months(d, -IDLE_MONTHS), add_months(last, IDLE_MONTHS), as_of
            )
        )
    if projected is not None and status != STALLED:
        if projected <= as_of:
            days.append(as_of + ONE_DAY)  # "projected today" must not show a day gone by
        elif projected > add_months(as_of, SOON_MONTHS):
            days.append(
                _first_day(
                    lambda d: projected <= add_months(d, SOON_MONTHS),
                    add_months(projected, -SOON_MONTHS),
                    as_of,
                )
            )
    return min(d for d in days if d is not None and d > as_of)


def _evaluated(
    ev: Evaluation,
    dates: tuple[dt.date | None, dt.date | None],
    next_edition: dt.date | None,
    as_of: dt.date,
) -> dict:
    """Return the values of a report row that come from evaluating the pathway, with the first
    day they no longer hold; `dates` are the clinician's latest evidence date and the earliest
    one dated ahead."""
    p, result = ev.pathway, ev.result
    last, ahead = dates
    fc = result.forecast
    projected = paced_date(result, as_of)
    ready = bool(result.ready)
    status = bucket(
        ready=ready,
        projected=projected,
        started_on=p.started_on,
        warnings=fc.warnings if fc else (),
        last_evidence_on=last,
        as_of=as_of,
    )
    projected = None if ready else projected
    evaluation_holds = holds.holds_until(
        bound_rule_set(p.rule_set), p.category, ev.summary, result, as_of
    )
    return {
        "valid_until": row_holds_until(
            evaluation_holds=evaluation_holds,
            ready=ready,
            projected=projected,
            last_evidence_on=last,
            evidence_ahead=ahead,
            next_edition=next_edition,
            as_of=as_of,
            status=status,
        ),
        "progress": result.progress,
        "ready": ready,
        "projected": projected,
        "status": status,
        "flags": (flags := _flags(result, status, last, as_of))
        + why_flags(status, projected=projected, started_on=p.started_on, flags=flags),
        "category_name": result.category_name or p.category,
        "last_evidence_on": last,
    }


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
        tuple(about(name, f) if _YOU.search(f) else f for f in flags),
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


def _sorted_out(association: Association, as_of: dt.date, scope: list[tuple]):
    """Split scope rows into report rows used as kept and (row, basis) pairs to evaluate;
    return them with the rule sets they name."""
    rule_sets = {
        rs.id: rs for rs in RuleSet.select(*LIGHT).where(RuleSet.id.in_({raw[3] for raw in scope}))
    }
    keeping = standing.may_keep(as_of)
    day = as_of.isoformat()
    rows, stale, flags = [], [], {}
    for raw in scope:
        expected = standing.basis_of(rule_sets[raw[3]], raw[2], standing.iso_day(raw[4]))
        if keeping and standing.is_current(raw[_WHO:], day, expected):
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
) -> list[Row]:
    """Evaluate these scope rows a chunk at a time, keep them when the day is today's, and
    return their report rows (`on_chunk(done, total)` after each chunk)."""
    keeping = standing.may_keep(as_of)
    values_of = [c.name for c in standing.KEPT_COLUMNS[standing.VALUES :]]
    edition = _next_edition(association, as_of) if stale else None
    rows: list[Row] = []
    for start in range(0, len(stale), EVALUATE_CHUNK):
        chunk = stale[start : start + EVALUATE_CHUNK]
        pathways = [_pathway(association, raw, rule_sets[raw[3]]) for raw, _ in chunk]
        generations = standing.prepare(pathways) if keeping else {}
        dates = _evidence_dates(association, as_of, sorted({p.clinician_id for p in pathways}))
        fresh = []
        for (raw, expected), ev in zip(chunk, evaluate_pathways(pathways, as_of), strict=True):
            p = ev.pathway
            values = _evaluated(ev, dates.get(p.clinician_id, (None, None)), edition, as_of)
            rows.append(_row(raw, *(values[name] for name in values_of)))
            if p.id in generations:
                fresh.append((p.id, generations[p.id], expected, values))
        standing.keep(fresh, as_of)
        if on_chunk is not None:
            on_chunk(start + len(chunk), len(stale))
    return rows


def scope_rows(
    association: Association, as_of: dt.date, *, scope_agency_id: int | None = None
) -> list[Row]:
    """Return a row for every open pathway of the association (or of one agency in it).

    Kept rows still current are used as they are; the others are evaluated, a chunk at a time,
    and kept when the report is today's.
    """
    rows, stale, rule_sets = _sorted_out(association, as_of, _scope(association, scope_agency_id))
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
    batch write (an import). With `workers` > 1 the chunks are spread over that many
    processes (or over the RQ workers, `lms.jobs`); the running job's progress is reported."""
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    scope = _scope(association, None)
    _, stale, rule_sets = _sorted_out(association, as_of, scope)
    ids = [raw[0] for raw, _ in stale]
    parts = [ids[i : i + EVALUATE_CHUNK] for i in range(0, len(ids), EVALUATE_CHUNK)]
    jobs.progress(0, len(ids), "Re-evaluating readiness")

    def done(finished: int, total: int) -> None:
        count = min(len(ids), finished * EVALUATE_CHUNK) if total == len(parts) else finished
        jobs.progress(count, len(ids), "Re-evaluating readiness")

    if workers > 1 and len(parts) > 1:
        day = as_of.isoformat()
        jobs.spread(
            "competencies.readiness:refresh_part",
            [(association.id, day, part) for part in parts],
            workers=workers,
            on_done=done,
        )
    else:
        _evaluate(association, as_of, stale, rule_sets, on_chunk=done)
    return Refreshed(len(scope), len(ids), time.perf_counter() - started)


def refresh_part(part: tuple[int, str, list[int]]) -> int:
    """Evaluate and keep some pathways of an association as of a day: (association id, ISO
    day, pathway ids), a job of `refresh`; return how many were evaluated."""
    association_id, day, pathway_ids = part
    association = Association.get_by_id(association_id)
    as_of = dt.date.fromisoformat(day)
    _, stale, rule_sets = _sorted_out(association, as_of, _scope(association, None, pathway_ids))
    return len(_evaluate(association, as_of, stale, rule_sets))


def refresh_job(association_id: int) -> str:
    """Refresh one association's stale rows (the job a batch write leaves behind)."""
    done = refresh_stale(Association.get_by_id(association_id))
    return f"Readiness re-evaluated: {done.evaluated} pathway(s)."


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


def agencies_of(association: Association) -> list[tuple[int, str]]:
    """Return the association's agencies as (id, name), by name."""
    return list(
        Agency.select(Agency.id, Agency.name)
        .where(Agency.association == association.id)
        .order_by(Agency.name)
        .tuples()
    )


def managed_agencies(user: User, association_id: int | None = None) -> list[Agency]:
    """Return the agencies a user manages (agency_manager memberships with an agency)."""
    query = (
        Agency.select(Agency, Association)
        .join(Membership, on=(Membership.agency == Agency.id))
        .switch(Agency)
        .join(Association)
        .where(
            (Membership.user == user.id)
            & (Membership.role == "agency_manager")
            & (Membership.association == Agency.association)
        )
        .order_by(Association.name, Agency.name)
    )
    if association_id is not None:
        query = query.where(Agency.association == association_id)
    return list(query)


def viewable_pathways(actor: Actor, clinician_id: int) -> tuple[User, list[Pathway]] | None:
    """Return a clinician and the open pathways the actor may see, or None (answer 404).

    Allowed: the clinician themself; a holder of competencies:view_readiness in the
    pathway's association (reviewer, coordinator, admin); the manager of the clinician's
    agency. An API token sees only its own association.
    """
    clinician = User.get_or_none(User.id == clinician_id)
    if clinician is None:
        return None
    memberships = list(
        Membership.select(Membership.association, Membership.agency)
        .where((Membership.user == clinician.id) & (Membership.role == "clinician"))
        .tuples()
    )
    allowed = set()
    for association_id, agency_id in memberships:
        token = actor.token
        if token is not None and token.association_id not in (None, association_id):
            continue  # an association's token sees that association only; an admin's, all
        if actor.user.id == clinician.id:
            allowed.add(association_id)
        elif actor.can("competencies:view_readiness", association_id):
            allowed.add(association_id)
        elif (
            agency_id is not None
            and actor.can("competencies:view_staff", association_id)
            and agency_id in {a.id for a in managed_agencies(actor.user, association_id)}
        ):
            allowed.add(association_id)
    if not allowed:
        return None
    pathways = list(
        Pathway.select(Pathway, *LIGHT, Association)
        .join(RuleSet)
        .switch(Pathway)
        .join(Association)
        .where(
            (Pathway.clinician == clinician.id)
            & Pathway.status.in_(OPEN_STATUSES)
            & Pathway.association.in_(sorted(allowed))
        )
        .order_by(Pathway.started_on, Pathway.id)
    )
    return clinician, pathways


def evaluation_detail(ev: Evaluation) -> dict:
    """Return what the read-only clinician page shows for one evaluated pathway."""
    items = {item.id: item for item in ev.summary.items}
    open_paths = set(_open_leaf_paths(ev.result))
    not_counted = []
    for nc in ev.result.all_not_counted():
        item = items.get(nc.evidence_id)
        not_counted.append(
            {
                "reason": nc.reason,
                "label": item.label if item else "",
                "date": item.date if item else None,
            }
        )
    return {
        "pathway": ev.pathway,
        "result": ev.result,
        "missing": list(missing_tasks(ev.result)),
        "not_counted": not_counted,
        "forecast": ev.result.forecast,
        "forecast_leaves": [
            f
            for f in (ev.result.forecast.leaves if ev.result.forecast else ())
            if f.path in open_paths
        ],
    }
