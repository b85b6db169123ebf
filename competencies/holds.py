"""How long an evaluation holds: the first day it could change with no ledger write (pure).

An evaluation reads the ledger up to a day, and the day itself: a pace is measured by the
month, a supervision window closes some months after its first session, a membership ends, an
exam may be retaken from a date, work going on adds up. `holds_until` walks a category's
requirement graph with its result and returns the earliest such day after `as_of` (never later
than the first day of the next month, when every pace is measured again). Until that day the
evaluation, its forecast and the report row made from it are what a fresh evaluation would
give, except that a projected date stays the one projected on the day of the evaluation, and
the years of work still going on are those counted that day (the day they are enough is found
ahead).

Each node type answers for itself through an optional hook, ``holds_until(node, res, ctx)``
on its `NodeType` (None: nothing of its own changes with the day); the types shipped today
are answered here, by name. A type that answers neither way holds for its own day only.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable, Iterable
from operator import attrgetter

from competencies.evaluator import Result, add_months, evaluation_context
from competencies.nodes import NODE_TYPES
from competencies.nodes.result import Context
from competencies.rules import Node, RuleSet
from competencies.types import Summary

Hook = Callable[[Node, Result, Context], "datetime.date | None"]
ONE_DAY = datetime.timedelta(days=1)
_DATE = attrgetter("date")
FEW_DAYS = datetime.timedelta(days=4)


def next_month(day: datetime.date) -> datetime.date:
    """Return the first day of the month after `day`."""
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def first_after(days: Iterable[datetime.date], as_of: datetime.date) -> datetime.date | None:
    """Return the earliest of `days` after `as_of`, or None."""
    return min((d for d in days if d > as_of), default=None)


def _nothing(node: Node, res: Result, ctx: Context) -> datetime.date | None:
    return None  # counts and paces only: the month boundary covers the pace


def _rsc(node: Node, res: Result, ctx: Context) -> datetime.date | None:
    """A session leaves a window `hi` months after it, completes a span `lo` months after the
    first, and stops counting toward the recent pace and share 12 months after it."""
    lo, hi = (int(m) for m in node.params["window_months"])
    # The context's items are sorted by date: each date once, in order, needs no sort.
    dates = list(dict.fromkeys(map(_DATE, ctx.by_kind.get("rsc", ()))))
    days = []
    for months in {lo, hi, 12}:
        # add_months is monotonic: the first session whose day comes after as_of is found
        # a few sessions after the day `months` before as_of (month ends are clamped).
        i = bisect.bisect_left(dates, add_months(ctx.as_of, -months) - FEW_DAYS)
        for d in dates[i:]:
            day = add_months(d, months)
            if day > ctx.as_of:
                days.append(day)
                break
    return min(days, default=None)


def _day(value: object) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _work(node: Node, res: Result, ctx: Context) -> datetime.date | None:
    """Work still going on adds a day a day: the requirement is met some day (counted a few
    days early, to be safe); a period starting later starts counting on its first day."""
    fig = res.figures
    if res.met or fig is None:
        return None
    days, growing = [], False
    for it in ctx.by_kind.get("work", ()):
        start, end = _day(it.details.get("start")), _day(it.details.get("end"))
        if start is None:
            continue  # an older record: a fixed number of years
        if start > ctx.as_of:
            days.append(start)
        elif end is None or end > ctx.as_of:
            growing = True
    if growing:
        short = max(fig.target - fig.value, 0.0) * 365.25
        days.append(ctx.as_of + datetime.timedelta(days=max(1, int(short) - 3)))
    return first_after(days, ctx.as_of)


def _exam(node: Node, res: Result, ctx: Context) -> datetime.date | None:
    """A failed attempt may be retaken some months after it."""
    months = ctx.rule_set.exam.retake_after_months
    return first_after(
        (add_months(it.date, months) for it in ctx.by_kind.get("exam", ())), ctx.as_of
    )


def _membership(node: Node, res: Result, ctx: Context) -> datetime.date | None:
    """A membership valid until a day has ended the day after."""
    ends = []
    for it in ctx.by_kind.get("membership", ()):
        end = _day(it.details.get("valid_until"))
        if end is not None:
            ends.append(end)
    return first_after((end + ONE_DAY for end in ends), ctx.as_of)


def _endorsed_for(node: Node, res: Result, ctx: Context) -> datetime.date | None:
    """The years since the award are reached on a day."""
    from competencies.nodes.endorsed_for import held_from

    since = getattr(ctx, "endorsed_on", None)
    return None if since is None else first_after((held_from(node, since),), ctx.as_of)


BUILT_IN: dict[str, Hook] = {
    "all_of": _nothing,
    "any_of": _nothing,
    "at_least": _nothing,
    "training_hours": _nothing,
    "training_mix": _nothing,
    "area_coverage": _nothing,
    "work_experience": _work,
    "education": _nothing,
    "references": _nothing,
    "agreement": _nothing,
    "rsc_hours": _rsc,
    "exam": _exam,
    "membership": _membership,
    "endorsed_for": _endorsed_for,
}


def _hook(type_name: str) -> Hook | None:
    node_type = NODE_TYPES.get(type_name)
    own = getattr(node_type, "holds_until", None)
    return own if own is not None else BUILT_IN.get(type_name)


def holds_until(
    rules: RuleSet, category: str, summary: Summary, result: Result, as_of: datetime.date
) -> datetime.date:
    """Return the first day after `as_of` on which this evaluation could change with the same
    ledger (at the latest the first day of the next month)."""
    cat = rules.category(category)
    ctx = evaluation_context(rules, cat, summary, as_of)
    until = next_month(as_of)
    # A stack, not a nested function calling itself: that closure would be a reference cycle
    # holding the context (and the clinician's whole summary) until the next garbage collection.
    stack = [(cat.requires, result)]
    while stack:
        node, res = stack.pop()
        hook = _hook(node.type)
        if hook is None:
            return as_of + ONE_DAY  # holds for its own day only: no day comes sooner
        if hook is not _nothing:
            day = hook(node, res, ctx)
            if day is not None and as_of < day < until:
                until = day
        if node.children:
            stack.extend(zip(node.children, res.children, strict=False))
    return until
