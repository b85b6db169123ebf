"""What one row of the readiness report says: its bucket, its flags, its projected date and the
first day it could change.

A row is one open pathway. `row_values` turns an evaluation (`pathways.evaluate_pathways`) into
the values the report shows and `competencies.standing` keeps: the bucket (`bucket`: ready,
within 3 months, on track, at risk, stalled), the date the paced requirements will be met
(`paced_date`), the short flags saying what to watch (`why_flags` when nothing else says why),
and the day the row stops holding with no ledger write (`row_holds_until`). The clinician page's
detail of one evaluated pathway (`evaluation_detail`) reads the same open requirements. No
queries of its own (a rule set not yet bound is read once, `rulesets.bound_rule_set`); nothing
touches the request.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

from competencies import figures, holds
from competencies.evaluator import Result, add_months, missing_tasks
from competencies.pathways import Evaluation
from competencies.rulesets import bound_rule_set

READY, SOON, ON_TRACK, AT_RISK, STALLED = (
    "ready",
    "within 3 months",
    "on track",
    "at risk",
    "stalled",
)
BUCKETS = (READY, SOON, ON_TRACK, AT_RISK, STALLED)
BUCKET_LABELS = {b: b[0].upper() + b[1:] for b in BUCKETS}
SOON_MONTHS = 3  # "within 3 months" of the report date
PLAN_MONTHS = 24  # a pathway is planned to take two years from its start
IDLE_MONTHS = 6  # no evidence dated in this many months: stalled
# Forecast warnings of a requirement with nothing recent to set a pace: the row is stalled.
NO_PACE_WARNINGS = ("No training", "No recent", "No eligible")


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


def paced_date(
    result: Result, as_of: dt.date, open_paths: set[str] | None = None
) -> dt.date | None:
    """Return when the paced requirements will be met, leaving out steps that only need an
    action (sign, ask for a reference, sit the exam): those show as a flag instead, so a
    clinician who is moving is not counted as stalled for a missing signature (`open_paths`:
    `open_leaf_paths(result)`, if the caller has it)."""
    fc = result.forecast
    if fc is None:
        return None
    if fc.ready_date is not None:
        return fc.ready_date
    if open_paths is None:
        open_paths = open_leaf_paths(result)
    dates = []
    for leaf in fc.leaves:
        if leaf.path not in open_paths or leaf.status in ("met", "needs_action"):
            continue
        if leaf.date is None:
            return None  # a requirement with no pace at all
        dates.append(leaf.date)
    return max(dates, default=as_of)


def _best(result: Result) -> tuple:
    return (result.met, result.progress)


def open_leaf_paths(result: Result) -> set[str]:
    """Return the paths of unmet leaves that still matter (not under a met alternative)."""
    paths = set()
    stack = [result]  # a stack, not a generator calling itself: one frame for the whole tree
    while stack:
        res = stack.pop()
        if res.met:
            continue
        kids = res.children
        if not kids:
            paths.add(res.path)
        elif res.type == "any_of":  # the evaluator follows its best alternative
            stack.append(max(kids, key=_best))
        else:
            stack.extend(kids)
    return paths


def _flags(
    result: Result,
    status: str,
    last_evidence_on: dt.date | None,
    as_of: dt.date,
    open_paths: set[str] | None = None,
):
    """Return short flags: forecast warnings up to their first colon, and why a row stalls."""
    if status == READY:
        return ()
    fc = result.forecast
    flags = [w.split(": ", 1)[0] for w in (fc.warnings if fc else ())]
    if fc is not None and fc.ready_date is None:
        if open_paths is None:
            open_paths = open_leaf_paths(result)
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


ONE_DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=4096)  # pure; a report asks again for the same days
def first_reaching(target: dt.date, months: int) -> dt.date:
    """Return the first day `day` with add_months(day, months) >= target."""
    # add_months never decreases: step back to the last day short of it, then forward.
    day = add_months(target, -months)
    while add_months(day - ONE_DAY, months) >= target:
        day -= ONE_DAY
    while add_months(day, months) < target:
        day += ONE_DAY
    return day


def _first_day(reached: dt.date, guess: dt.date, as_of: dt.date) -> dt.date:
    """Return the first day after `as_of`, searching from a week before `guess`, on which a
    condition holds that holds from `reached` on (`first_reaching`) and not before."""
    return max(as_of + ONE_DAY, guess - dt.timedelta(days=7), reached)


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
        # The day `last <= add_months(day, -IDLE_MONTHS)` turns true: the row goes idle.
        idle = first_reaching(last, -IDLE_MONTHS)
        days.append(_first_day(idle, add_months(last, IDLE_MONTHS), as_of))
    if projected is not None and status != STALLED:
        if projected <= as_of:
            days.append(as_of + ONE_DAY)  # "projected today" must not show a day gone by
        elif projected > add_months(as_of, SOON_MONTHS):
            # The day `projected <= add_months(day, SOON_MONTHS)` turns true: due soon.
            soon = first_reaching(projected, SOON_MONTHS)
            days.append(_first_day(soon, add_months(projected, -SOON_MONTHS), as_of))
    return min(d for d in days if d is not None and d > as_of)


def row_values(
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
    # The open leaves, found once for the projected date and the flags.
    open_paths = open_leaf_paths(result) if fc is not None and fc.ready_date is None else None
    projected = paced_date(result, as_of, open_paths)
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
        "flags": (flags := _flags(result, status, last, as_of, open_paths))
        + why_flags(status, projected=projected, started_on=p.started_on, flags=flags),
        "category_name": result.category_name or p.category,
        "last_evidence_on": last,
    }


def evaluation_detail(ev: Evaluation) -> dict:
    """Return what the read-only clinician page shows for one evaluated pathway."""
    items = {item.id: item for item in ev.summary.items}
    open_paths = open_leaf_paths(ev.result)
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
