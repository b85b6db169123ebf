"""``rsc_hours``: hours of reflective supervision/consultation within a window of months.

Parameters: ``min`` hours; ``window_months: [shortest, longest]`` (the counted sessions must
span at least the shortest and fit in the longest); ``eligible`` (a key of rsc_eligibility or
a list of credentials; by default the category's entry); ``max_providers``;
``majority_one_provider``; ``facilitated_groups_only``; ``about_giving_min`` hours about the
supervision the clinician gives. The window and provider search (`rsc_best`) is the hot loop
of an evaluation. It stays one module of about 1,000 lines because it is one node type: its
windows, eligibility, forecast and explanation share its private helpers (and the days worked
out once per evaluation day that the search, the pace and the forecast read), so the search,
its wording and its projection belong together.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import math
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, check_credential, join
from competencies.nodes.base import (
    DAYS_PER_MONTH,
    HORIZON_MONTHS,
    NO_PACE,
    ON_PACE,
    ChartSeries,
    Explanation,
    Leaf,
    LeafParams,
    ParseContext,
    after,
    explanation,
    leaf_forecast,
    month_key,
    weighted_rate,
)
from competencies.nodes.result import (
    EPS,
    Figures,
    NotCounted,
    Result,
    add_months,
    fmt,
    label,
    more,
    not_counted,
    plural,
    ratio,
    status,
    status_reason,
)
from competencies.nodes.training_hours import target_of
from competencies.types import COUNTED, GRADUATE_LEVELS, EvidenceItem, Summary
from competencies.vocabulary import ADD_ON_WORDS, LEVEL_WORDS

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node, RuleSet

MAX_WINDOW_MONTHS = 60
# Default of ``max_hours_per_month``: about 4 h a week, the most a task may plan on.
MAX_HOURS_PER_MONTH = 16.0


def applicant_key(rule_set: RuleSet, category: str, education_levels: set[str]) -> str:
    """Return the rsc_eligibility key for an applicant: the category or "CODE:bachelor|master"."""
    if category in rule_set.rsc_eligibility:
        return category
    level = "master" if education_levels & GRADUATE_LEVELS else "bachelor"
    return f"{category}:{level}"


def _eligible_credentials(node: Node, ctx: Context) -> tuple[str, ...]:
    eligible = node.params.get("eligible")
    table = ctx.rule_set.rsc_eligibility
    if isinstance(eligible, str):
        return tuple(table[eligible])
    if eligible is not None:
        return tuple(eligible)
    levels = {str(it.details.get("level")) for it in ctx.counted("education")}
    return tuple(table.get(applicant_key(ctx.rule_set, ctx.category.code, levels), ()))


def credential_words(credential: str) -> str:
    """Return a credential in words: "IFS with a master's degree", "ERS (Endorsed …)"."""
    code, _, level = credential.partition(":")
    if level:
        return f"{code} with a {LEVEL_WORDS.get(level, level.replace('_', ' '))}"
    add_on = ADD_ON_WORDS.get(code)
    return f"{code} ({add_on})" if add_on else code


def _unqualified(credentials: tuple[str, ...]) -> str:
    if not credentials:
        return "no provider qualifies under these rules"
    names = [credential_words(c) for c in credentials]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"provider not endorsed as {listed}"


def rsc_screen(node: Node, ctx: Context) -> tuple[list[EvidenceItem], list[NotCounted]]:
    """Split RSC rows into sessions that may count and those that cannot, with reasons."""
    eligible = _eligible_credentials(node, ctx)
    creds = frozenset(eligible)
    facilitated_only = node.params["facilitated_groups_only"]
    ok: list[EvidenceItem] = []
    refused: list[NotCounted] = []
    for it in ctx.by_kind.get("rsc", ()):
        d = it.details
        form = d.get("format", "individual")
        if it.status not in COUNTED:
            refused.append(not_counted(it, status_reason(it)))
        # The formats that may count first: most sessions are individual ones.
        elif form == "individual" or (
            form == "group" and (not facilitated_only or d.get("facilitated", False))
        ):
            if creds.isdisjoint(d.get("provider_credentials") or ()):  # builds no set
                refused.append(not_counted(it, _unqualified(eligible)))
            else:
                ok.append(it)
        elif form == "peer":
            refused.append(not_counted(it, "peer group without facilitator"))
        elif form != "group":
            refused.append(not_counted(it, f"unknown session format {form!r}"))
        else:
            refused.append(not_counted(it, "group without facilitator"))
    return ok, refused


@dataclass(frozen=True)
class RscChoice:
    """The best window and providers found among eligible sessions."""

    sessions: tuple[EvidenceItem, ...]  # counted, sorted by date
    window_sessions: tuple[EvidenceItem, ...]  # every eligible session inside the window
    hours: float
    about: float
    span_ok: bool
    progress: float


def _rsc_progress(
    hours: float,
    about: float,
    first: datetime.date | None,
    last: datetime.date | None,
    params: Mapping[str, Any],
) -> tuple[float, bool]:
    """Return (progress, span_ok): hours weigh 3/4 (1/2 with an about-giving minimum)."""
    target, about_min = params["min"], params.get("about_giving_min")
    lo = params["window_months"][0]
    if target <= 0 and not about_min:
        return 1.0, True
    if first is None or last is None:
        return 0.0, lo == 0
    needed_end = add_months(first, lo)
    span_ok = last >= needed_end
    if span_ok:
        span = 1.0
    else:
        span = min(0.99, (last - first).days / max(1, (needed_end - first).days))
    hp = 1.0 if hours + EPS >= target else ratio(hours, target)
    if about_min:
        ap = 1.0 if about + EPS >= about_min else ratio(about, about_min)
        return 0.5 * hp + 0.25 * ap + 0.25 * span, span_ok
    return 0.75 * hp + 0.25 * span, span_ok


def rsc_best(sessions: list[EvidenceItem], params: Mapping[str, Any]) -> RscChoice:
    """Find the window of at most window_months[1] months and providers that count the most.

    Windows start at a session date. Within each, the providers kept are the combination of
    at most max_providers that maximises progress, then hours; ties go to the latest window.
    """
    return _choice(sessions, params, _search(sessions, params, None)[0])


def _provider_order(p: Any) -> Any:
    return -1 if p is None else p


def _search(
    sessions: list[EvidenceItem], params: Mapping[str, Any], opens_after: datetime.date | None
) -> tuple[tuple[int, int, tuple] | None, tuple[int, int, tuple] | None]:
    """Return the best window, and the best opened after `opens_after`, as (i, j, providers).

    `sessions` are sorted by date. One pass serves both: the second is what `rsc_best` of the
    sessions dated after `opens_after` would find, since a window holds no session before its
    first. Windows are visited in date order with two pointers (sessions join at the window's
    end and leave at its start), keeping running hour totals per provider; the provider
    combinations are remade only when a provider joins or leaves. Each candidate is compared
    on (progress, hours, hours about giving RSC) rounded to 9 decimals, then its start.
    """
    lo, hi = params["window_months"]
    max_p = params["max_providers"]
    majority = params["majority_one_provider"]
    target, about_min = params["min"], params.get("about_giving_min")
    free = target <= 0 and not about_min  # every window is complete
    n = len(sessions)
    dates = [s.date for s in sessions]
    hours_of = [s.hours for s in sessions]
    # Read as sessions join a window: the search most often stops after a few windows.
    flagged = [False] * n
    # What the sessions from the window's start on hold at most: no later window holds more,
    # so once even that cannot beat the best (and the best late) key, the search is over.
    # Running sums drift from the exact ones by far less than the margin.
    can_stop = all(map((0.0).__le__, hours_of))  # every h >= 0 (NaN is not)
    rest = math.fsum(hours_of)
    rest_about = (
        math.fsum(s.hours for s in sessions if s.details.get("about_giving_rsc"))
        if about_min
        else 0.0  # read only with an about-giving minimum
    )
    margin = 1e-9 * (1.0 + rest)
    late_ahead = opens_after is not None and n > 0 and dates[-1] > opens_after
    best_key: tuple | None = None
    best: tuple[int, int, tuple] | None = None
    late_key: tuple | None = None
    late: tuple[int, int, tuple] | None = None
    # Per provider: its sessions in the window (indices) and running hour totals, in the
    # order the sessions joined and left (so the floats are the same whatever the path).
    queues: dict[Any, deque[int]] = {}
    hours: dict[Any, float] = {}
    about: dict[Any, float] = {}
    combos: list[tuple] = []
    j = 0  # the next session to join
    k = 0  # the next session to leave
    for i in range(n):
        start = dates[i]
        if i:
            rest -= hours_of[i - 1]
            if flagged[i - 1]:
                rest_about -= hours_of[i - 1]
            if start == dates[i - 1]:
                continue  # the window starting at the earlier equal date holds these already
            if can_stop and best_key is not None:
                top = _best_possible(rest + margin, rest_about + margin, params)
                if top < best_key[:2] and (not late_ahead or (late_key and top < late_key[:2])):
                    break
        is_late = opens_after is not None and start > opens_after
        end = add_months(start, hi)
        changed = False
        while j < n and dates[j] < end:
            joining = sessions[j]
            p = joining.provider_id
            q = queues.get(p)
            if q is None:
                queues[p] = q = deque()
                hours[p] = 0.0
                changed = True
            q.append(j)
            hours[p] += hours_of[j]
            if joining.details.get("about_giving_rsc"):
                flagged[j] = True
                about[p] = about.get(p, 0.0) + hours_of[j]
            j += 1
        while k < i:  # every session before this one is dated before the window's start
            p = sessions[k].provider_id
            q = queues[p]
            q.popleft()
            hours[p] -= hours_of[k]
            if flagged[k]:
                about[p] -= hours_of[k]
            if not q:
                del queues[p], hours[p]
                about.pop(p, None)
                changed = True
            k += 1
        if changed:
            present = sorted(queues, key=_provider_order)
            most = min(len(present), max_p)
            sizes = range(most, 0, -1) if majority and max_p > 2 else (most,)
            combos = [combo for size in sizes for combo in combinations(present, size)]
        for combo in combos:
            if len(combo) == 1:
                p = combo[0]
                q = queues[p]
                total = hours[p]  # = sum((hours[p],)): 0 + x is x
                ab = about.get(p, 0.0)
                first, last = q[0], q[-1]
            else:
                h = [hours[p] for p in combo]
                total = sum(h)
                if majority and len(combo) > 2 and total - max(h) > max(h) + EPS:
                    continue  # the main provider must give at least half of the hours
                ab = sum([about.get(p, 0.0) for p in combo])
                first = min([queues[p][0] for p in combo])
                last = max([queues[p][-1] for p in combo])
            if free:
                prog = 1.0
            else:
                # _rsc_progress, on day ordinals: the same operations in the same order.
                since = dates[first].toordinal()
                until = dates[last].toordinal()
                spans_on = add_months(dates[first], lo).toordinal()
                if until >= spans_on:
                    span = 1.0
                else:
                    span = min(0.99, (until - since) / max(1, spans_on - since))
                if total + EPS >= target:
                    hp = 1.0
                else:
                    hp = 1.0 if target <= 0 else max(0.0, min(1.0, total / target))
                if about_min:
                    ap = 1.0 if ab + EPS >= about_min else ratio(ab, about_min)
                    prog = 0.5 * hp + 0.25 * ap + 0.25 * span
                else:
                    prog = 0.75 * hp + 0.25 * span
            rounded = round(prog, 9)
            if (
                best_key is not None
                and rounded < best_key[0]
                and (not is_late or (late_key is not None and rounded < late_key[0]))
            ):
                continue  # ranks below the best (and the best late) on progress alone
            key = (rounded, round(total, 9), round(ab, 9), start)
            if best_key is None or key >= best_key:
                best_key, best = key, (i, j, combo)
            if is_late and (late_key is None or key >= late_key):
                late_key, late = key, (i, j, combo)
    return best, late


def _best_possible(hours: float, about: float, params: Mapping[str, Any]) -> tuple[float, float]:
    """Return the (progress, hours) key, rounded, of a window with these hours at most and
    its span met: no window holding no more than them ranks above it."""
    target, about_min = params["min"], params.get("about_giving_min")
    if target <= 0 and not about_min:
        return 1.0, round(hours, 9)
    hp = 1.0 if hours + EPS >= target else ratio(hours, target)
    if about_min:
        ap = 1.0 if about + EPS >= about_min else ratio(about, about_min)
        return round(0.5 * hp + 0.25 * ap + 0.25 * 1.0, 9), round(hours, 9)
    return round(0.75 * hp + 0.25 * 1.0, 9), round(hours, 9)


def could_meet(sessions: list[EvidenceItem], params: Mapping[str, Any]) -> bool:
    """Tell whether `rsc_best(sessions, params)` may reach full progress (a quick bound).

    False only when it cannot: even the window with the most hours, all providers kept and
    the span taken as met, falls short. The forecast asks this before each full search.
    `sessions` are sorted by date.
    """
    return _could_meet(
        [s.date for s in sessions],
        [s.hours for s in sessions],
        [s.hours if s.details.get("about_giving_rsc") else 0.0 for s in sessions],
        params,
    )


def _could_meet(
    dates: list[datetime.date],
    hours: list[float],
    about: list[float],
    params: Mapping[str, Any],
    ends: list[datetime.date] | None = None,
) -> bool:
    """`could_meet` of sessions given as their dates, hours and hours about giving RSC (and
    the day the window each one opens closes, if the caller has them)."""
    target, about_min = params["min"], params.get("about_giving_min")
    if target <= 0 and not about_min:
        return True
    if not dates:
        return False
    if not all(map((0.0).__le__, hours)):  # some h < 0 (or NaN)
        return True  # a provider left out could then raise the total: no bound
    if ends is None:
        hi = params["window_months"][1]
        ends = [add_months(day, hi) for day in dates]
    most = _most_in_a_window(dates, ends, hours)
    # The hours about giving RSC only count against a minimum of them.
    most_about = _most_in_a_window(dates, ends, about) if about_min else 0.0
    # Running sums drift from the exact ones by far less than this margin.
    margin = 1e-9 * (1.0 + math.fsum(hours))
    most, most_about = most + margin, most_about + margin
    reach = 1.0 if most + EPS >= target else ratio(most, target)
    if about_min:
        ap = 1.0 if most_about + EPS >= about_min else ratio(most_about, about_min)
        return 0.5 * reach + 0.25 * ap + 0.25 * 1.0 >= 1.0
    return 0.75 * reach + 0.25 * 1.0 >= 1.0


def _most_in_a_window(
    dates: list[datetime.date], ends: list[datetime.date], values: list[float]
) -> float:
    """Return the most `values` a window holds: a running sum over the windows opened at each
    date (sessions join at the window's end and leave at its start); 0 for none."""
    n = len(dates)
    most = window = 0.0
    j = 0
    for i, end in enumerate(ends):
        if i:
            window -= values[i - 1]
        while j < n and dates[j] < end:
            window += values[j]
            j += 1
        if window > most:
            most = window
    return most


def _choice(
    sessions: list[EvidenceItem], params: Mapping[str, Any], found: tuple[int, int, tuple] | None
) -> RscChoice:
    if found is None:
        p, span_ok = _rsc_progress(0.0, 0.0, None, None, params)
        return RscChoice((), (), 0.0, 0.0, span_ok, p)
    i, j, combo = found
    window = tuple(sessions[i:j])
    kept = tuple([s for s in window if s.provider_id in combo])  # (a list is made faster)
    total = math.fsum([s.hours for s in kept])
    ab = math.fsum([s.hours for s in kept if s.details.get("about_giving_rsc")])
    prog, span_ok = _rsc_progress(total, ab, kept[0].date, kept[-1].date, params)
    return RscChoice(kept, window, total, ab, span_ok, prog)


def screened_window(
    node: Node, ctx: Context
) -> tuple[list[EvidenceItem], tuple[NotCounted, ...], RscChoice, RscChoice | None]:
    """Return `rsc_screen` and `current_window` of a node, worked out once per context.

    The forecast walks the same context as the evaluation (`evaluation_context` hands back
    the one it made last for the same rules, summary and dates), so it finds them here. The
    list is shared: do not change it.
    """
    key = ("rsc_hours", id(node))  # the entry keeps the node, so its id is not reused
    found = ctx.memo.get(key)
    if found is None or found[0] is not node:
        ok, refused = rsc_screen(node, ctx)
        choice, closed = current_window(ok, node.params, ctx.as_of)
        found = ctx.memo[key] = (node, ok, tuple(refused), choice, closed)
    return found[1:]


def evaluate_rsc(node: Node, ctx: Context) -> Result:
    params = node.params
    target, about_min = params["min"], params.get("about_giving_min")
    hi = params["window_months"][1]
    ok, screened_out, choice, closed = screened_window(node, ctx)
    notes = () if closed is None else (_closed_note(closed, params),)
    kept = {s.id for s in choice.sessions}
    in_window = {s.id for s in choice.window_sessions}
    third = (
        "third provider"
        if params["max_providers"] == 2
        else (f"more than {params['max_providers']} providers")
    )
    outside = f"outside the best {hi}-month window"
    left_out = [
        not_counted(s, third if s.id in in_window else outside) for s in ok if s.id not in kept
    ]
    # Each list keeps the context's (date, id) order, and ledger ids are unique: only both
    # at once need sorting.
    if screened_out and left_out:
        order = {it.id: (it.date, it.id) for it in ctx.by_kind.get("rsc", ())}
        refused = sorted([*screened_out, *left_out], key=lambda nc: order[nc.evidence_id])
    else:
        refused = left_out or list(screened_out)
    hours_ok = choice.hours + EPS >= target
    about_ok = not about_min or choice.about + EPS >= about_min
    met = hours_ok and about_ok and choice.span_ok
    missing = () if met else tuple(_rsc_tasks(ok, choice, params, ctx))
    text = f"{fmt(choice.hours)} of {fmt(target)} h"
    if about_min:
        text += f", {fmt(choice.about)} of {fmt(about_min)} h about the supervision you give"
    progress = 1.0 if met else min(choice.progress, 0.99)
    return Result(
        "rsc_hours",
        label(node, "Reflective supervision"),
        status(met, progress),
        progress,
        node.path,
        Figures(choice.hours, target, "h", text),
        tuple([s.id for s in choice.sessions]),  # in the context's (date, id) order
        tuple(refused),
        missing,
        notes,
    )


@functools.lru_cache(maxsize=256)  # the same for every clinician evaluated on a day
def _closed_by(as_of: datetime.date, hi: int) -> datetime.date:
    """Return the last day a window of `hi` months may open and have closed by `as_of`."""
    # add_months never decreases, but clamps to the month's end: 29-31 August + 6 months are
    # all 28 February.
    day = datetime.timedelta(days=1)
    cutoff = add_months(as_of, -hi)
    while add_months(cutoff, hi) > as_of:
        cutoff -= day
    while add_months(cutoff + day, hi) <= as_of:
        cutoff += day
    return cutoff


def current_window(
    ok: list[EvidenceItem], params: Mapping[str, Any], as_of: datetime.date
) -> tuple[RscChoice, RscChoice | None]:
    """Return the window the figures and tasks are about, and the best one if it closed unmet.

    The best window, unless it closed unmet: then what still counts is the best window open
    on `as_of` (opened by a session less than window_months[1] months before).
    """
    hi = params["window_months"][1]
    best, late = _search(ok, params, _closed_by(as_of, hi))
    choice = _choice(ok, params, best)
    if choice.progress >= 1.0 or not choice.sessions:
        return choice, None
    if add_months(choice.sessions[0].date, hi) > as_of:
        return choice, None
    return _choice(ok, params, late), choice


def _closed_note(choice: RscChoice, params: Mapping[str, Any]) -> str:
    lo, hi = params["window_months"]
    first = choice.sessions[0].date
    closes = add_months(first, hi)
    why = "" if choice.span_ok else f", over less than {lo} months"
    return (
        f"Your best window, opened on {first.isoformat()}, closed on {closes.isoformat()} with "
        f"{fmt(choice.hours)} of {fmt(params['min'])} h{why}"
    )


def max_per_month(params: Mapping[str, Any]) -> float:
    """Return the most hours of RSC a clinician can receive in a month (for planning)."""
    value = params.get("max_hours_per_month")
    return MAX_HOURS_PER_MONTH if value is None else float(value)


def receivable(params: Mapping[str, Any], start: datetime.date, end: datetime.date) -> float:
    """Return the most hours that can be received after `start` and before `end`."""
    return max(0, (end - start).days) / DAYS_PER_MONTH * max_per_month(params)


def _still_needed(hours: float, about: float, params: Mapping[str, Any]) -> float:
    """Return the hours still to receive (hours about giving RSC count toward the total)."""
    about_min = params.get("about_giving_min") or 0.0
    return max(0.0, params["min"] - hours, about_min - about)


def _new_window_task(params: Mapping[str, Any], verb: str = "Get") -> str:
    target, about_min = params["min"], params.get("about_giving_min")
    lo, hi = params["window_months"]
    span = f" spanning at least {lo} months," if lo else ""
    about = f" ({fmt(about_min, up=True)} h about the supervision you give)" if about_min else ""
    amount = fmt(target, up=True)
    return (
        f"{verb} {amount} {plural(float(amount), 'hour', 'hours')} of reflective supervision"
        f"{about}{span} within {hi} months"
    )


def _hours_of(sessions: list[EvidenceItem], params: Mapping[str, Any]) -> tuple[float, float]:
    """Return the hours (and those about giving RSC) of the providers giving the most."""
    by_provider: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for s in sessions:
        by_provider[s.provider_id][0] += s.hours
        if s.details.get("about_giving_rsc"):
            by_provider[s.provider_id][1] += s.hours
    top = sorted(by_provider.values(), reverse=True)[: params["max_providers"]]
    return math.fsum(h for h, _ in top), math.fsum(a for _, a in top)


def _too_late(
    ok: list[EvidenceItem], choice: RscChoice, params: Mapping[str, Any], ctx: Context
) -> str:
    """Say the open window cannot be completed in time, and the earliest reachable plan."""
    target = params["min"]
    lo, hi = params["window_months"]
    first = choice.sessions[0].date
    closes = add_months(first, hi)
    need = _still_needed(choice.hours, choice.about, params)
    head = (
        f"Your window closes on {closes.isoformat()} with {fmt(choice.hours)} of {fmt(target)} "
        f"h: {more(need, 'hour', 'hours')} cannot be received by then. "
    )
    pace = max_per_month(params)
    best: tuple[datetime.date, datetime.date | None, float, float] | None = None
    # `ok` is sorted by date (the context's order): the sessions from a date on are a slice.
    dates = [s.date for s in ok]
    starts = list(dict.fromkeys(d for d in dates if first < d <= ctx.as_of))
    for start in [*starts, None]:  # None: a new window opened by the next session
        opens = start or ctx.as_of
        if best is not None and add_months(opens, lo) >= best[0]:
            break  # no later opening is ready sooner: each is ready lo months after it at best
        held = [] if start is None else ok[bisect.bisect_left(dates, start) :]
        hours, about = _hours_of(held, params)
        left = _still_needed(hours, about, params)
        day = max(add_months(opens, lo), after(ctx.as_of, left / pace) if left else ctx.as_of)
        if day < add_months(opens, hi) and (best is None or day < best[0]):
            best = (day, start, hours, left)
    if best is None:
        return (
            f"{head}At {fmt(pace)} h a month at most, {fmt(target)} h cannot be received "
            f"within {hi} months"
        )
    day, start, hours, left = best
    if start is None:
        return (
            f"{head}Start a new window: {_new_window_task(params, 'get')}: at the earliest by "
            f"{day.isoformat()}"
        )
    return head + (
        f"Counting from {start.isoformat()} ({fmt(hours)} h so far), get "
        f"{more(left, 'hour', 'hours')} of reflective supervision before "
        f"{add_months(start, hi).isoformat()}: at the earliest by {day.isoformat()}"
    )


def _rsc_tasks(
    ok: list[EvidenceItem], choice: RscChoice, params: Mapping[str, Any], ctx: Context
) -> list[str]:
    """Return what to do for an unmet requirement, about the window its figures show."""
    target, about_min = params["min"], params.get("about_giving_min")
    lo, hi = params["window_months"]
    if not choice.sessions:
        if ctx.period_end is not None:  # a renewal: by the end of its year
            return [f"{_new_window_task(params).split(' within ')[0]} by {ctx.period_end}"]
        return [_new_window_task(params)]
    first = choice.sessions[0].date
    closes = add_months(first, hi)
    deadline, by = closes, "before"
    if ctx.period_end is not None:
        # A renewal: evidence counts up to the end of its year, whatever day it is today.
        if ctx.period_end < closes:
            deadline, by = ctx.period_end, "by"
    elif (
        _still_needed(choice.hours, choice.about, params)
        > receivable(params, ctx.as_of, closes) + EPS
    ):
        return [_too_late(ok, choice, params, ctx)]
    when = f"{by} {deadline.isoformat()}"
    tasks = []
    if choice.hours + EPS < target:
        tasks.append(
            f"Get {more(target - choice.hours, 'hour', 'hours')} of reflective supervision {when}"
        )
    if about_min and choice.about + EPS < about_min:
        tasks.append(
            f"Get {more(about_min - choice.about, 'hour', 'hours')} of reflective supervision "
            f"about the supervision you give {when}"
        )
    if not choice.span_ok:
        span_end = add_months(first, lo)
        if span_end > ctx.as_of:
            tasks.append(
                f"Keep receiving reflective supervision until at least {span_end.isoformat()}: "
                f"the hours must span {lo} months"
            )
        else:
            tasks.append(
                f"Receive one more session of reflective supervision {when}: the hours must "
                f"span {lo} months"
            )
    return tasks


def _main_provider(sessions: tuple[EvidenceItem, ...]) -> int | None:
    hours: dict[int | None, float] = {}
    for s in sessions:
        hours[s.provider_id] = hours.get(s.provider_id, 0.0) + s.hours
    return max(hours, key=lambda p: (hours[p], -1 if p is None else p)) if hours else None


@functools.lru_cache(maxsize=64)  # the same for every clinician evaluated on a day
def _paced_dates(
    as_of: datetime.date, hi: int
) -> tuple[tuple[datetime.date, ...], tuple[datetime.date, ...]]:
    """Return the days of the paced sessions a forecast adds (two a month for HORIZON_MONTHS
    months after `as_of`) and the day the window each one opens closes, `hi` months later."""
    days = tuple(day for day in _months_after(as_of) for _ in (0, 1))
    return days, tuple(add_months(day, hi) for day in days)


@functools.lru_cache(maxsize=64)  # the same for every clinician evaluated on a day
def _months_after(as_of: datetime.date) -> tuple[datetime.date, ...]:
    """Return the same day 1, 2, ... HORIZON_MONTHS months after `as_of` (never decreasing)."""
    return tuple(add_months(as_of, m) for m in range(1, HORIZON_MONTHS + 1))


def _first(holds: Callable[[int], bool], lo: int, hi: int) -> int:
    """Return the first of lo..hi on which a monotone `holds` holds (it holds on hi)."""
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if holds(mid) else (mid + 1, hi)
    return lo


def _first_month(
    could: Callable[[int], bool], met: Callable[[int], bool], horizon: int = HORIZON_MONTHS
) -> int | None:
    """Return the first month of 1..horizon after which `met` holds, or None.

    Both are monotone (more sessions never hurt) and `could` is a quick bound that holds
    whenever `met` does. The first month the bound allows is most often the answer: the
    full searches start there (one or two of them instead of six).
    """
    if not could(horizon):
        return None
    least = _first(could, 1, horizon)  # no month before it can be met
    if met(least):
        return least
    if least == horizon or not met(horizon):
        return None
    return _first(met, least + 1, horizon)


def forecast_rsc(fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
    """Project the day the hours, span and about-giving minimum are all met; warn on the way."""
    params = node.params
    target, hi = params["min"], params["window_months"][1]
    ok, _, choice, _ = screened_window(node, fc.ctx)
    # Only the months the rate reads are summed, and "recent" (add_months(date, 12) > as_of)
    # is "after the last day whose year has passed": add_months never decreases.
    paced_from = add_months(fc.as_of.replace(day=1), -11)
    year_ago = _closed_by(fc.as_of, 12)
    monthly: dict[str, float] = {}
    recent: list[float] = []
    about_hours = 0.0
    for s in ok:
        day = s.date
        if day >= paced_from:
            key = month_key(day)
            monthly[key] = monthly.get(key, 0.0) + s.hours
        if day > year_ago:
            recent.append(s.hours)
            if s.details.get("about_giving_rsc"):
                about_hours += s.hours
    rate = weighted_rate(monthly, fc.as_of)
    if rate <= 0:
        fc.warnings.append("No eligible reflective supervision in the last 12 months")
        return fc.record(
            leaf_forecast(node, res, NO_PACE, None, "No recent reflective supervision")
        )
    recent_total = math.fsum(recent)
    about_share = about_hours / recent_total if recent_total else 0.0
    main = _main_provider(choice.sessions or tuple(ok))

    # One session a month at the recent pace, split by the recent share of sessions about the
    # supervision the clinician gives; the first 2 × m of them are the sessions of m months.
    # The quick bound reads their dates and hours; the sessions are made only for a search.
    shares = (rate * (1 - about_share), rate * about_share)
    extra_dates, extra_ends = _paced_dates(fc.as_of, hi)
    extra_hours = [*shares] * HORIZON_MONTHS
    extra_about = [0.0, shares[1]] * HORIZON_MONTHS
    ok_dates = [s.date for s in ok]
    ok_ends = [add_months(day, hi) for day in ok_dates]
    ok_hours = [s.hours for s in ok]
    ok_about = [s.hours if s.details.get("about_giving_rsc") else 0.0 for s in ok]
    extra: list[EvidenceItem] = []

    def could_meet_after(months: int) -> bool:
        count = 2 * months
        return _could_meet(
            [*ok_dates, *extra_dates[:count]],
            ok_hours + extra_hours[:count],
            ok_about + extra_about[:count],
            params,
            [*ok_ends, *extra_ends[:count]],
        )

    def met_after(months: int) -> bool:
        count = 2 * months
        for n in range(len(extra), count):
            m, about = n // 2 + 1, n % 2
            extra.append(
                EvidenceItem(
                    id=-2 * m - about,
                    kind="rsc",
                    date=extra_dates[n],
                    status="attested",
                    hours=shares[about],
                    provider_id=main,
                    details={"about_giving_rsc": bool(about)},
                )
            )
        return rsc_best(ok + extra[:count], params).progress >= 1.0

    months = _first_month(could_meet_after, met_after)
    day = None if months is None else add_months(fc.as_of, months)
    closes = add_months(choice.sessions[0].date, hi) if choice.sessions else None
    if closes is not None and closes > fc.as_of:
        if day is None or day > closes:
            # The months m in 1..hi with add_months(as_of, m) < closes: a sorted run of them.
            months_left = bisect.bisect_left(_months_after(fc.as_of), closes, hi=hi)
            reach = min(target, choice.hours + rate * months_left)
            fc.warnings.append(
                f"At this pace your RSC window closes on {closes.isoformat()} with "
                f"{fmt(reach)} of {fmt(target)} h"
            )
        # The pace still needed: what is left of this window, from today to the day it closes.
        left = _still_needed(choice.hours, choice.about, params)
        months = (closes - fc.as_of).days / DAYS_PER_MONTH
        if left > EPS and rate * months + EPS < left:
            fc.warnings.append(
                f"At {fmt(rate)} h a month you will not reach {fmt(target)} h of reflective "
                f"supervision before your window closes on {closes.isoformat()}: you need "
                f"{fmt(left / months, up=True)} h a month"
            )
    elif rate * hi + EPS < target:
        fc.warnings.append(
            f"At {fmt(rate)} h a month you cannot reach {fmt(target)} h of reflective "
            f"supervision within {hi} months: you need {fmt(target / hi, up=True)} h a month"
        )
    if day is None:
        return fc.record(
            leaf_forecast(node, res, NO_PACE, None, "Not reachable at the current pace")
        )
    return fc.record(
        leaf_forecast(node, res, ON_PACE, day, f"At your pace: around {day.isoformat()}")
    )


def _parse_window(ck: Checker, p: Mapping[str, Any], where: str) -> tuple[int, ...]:
    window = p.get("window_months", [12, 24])
    wpath = join(where, "window_months")
    if (
        not isinstance(window, list)
        or len(window) != 2
        or any(isinstance(w, bool) or not isinstance(w, int) for w in window)
    ):
        ck.add(wpath, f"must be a list of two whole numbers [shortest, longest], got {window!r}")
        window = [12, 24]
    elif window[0] > window[1]:
        ck.add(wpath, f"shortest span {window[0]} is longer than the longest {window[1]} months")
    elif window[0] < 0 or window[1] < 1 or window[1] > MAX_WINDOW_MONTHS:
        ck.add(
            wpath,
            f"must lie within 0..{MAX_WINDOW_MONTHS} months with a longest of at "
            f"least 1, got {window!r}",
        )
    return tuple(window)


def _hours(value: float) -> str:
    return f"{value:g} h"


class RscHours(Leaf):
    name = "rsc_hours"
    title = "Reflective supervision"
    kinds = ("rsc",)

    class Params(LeafParams):
        min: float = Field(ge=0, title="Hours at least")
        window_months: tuple[int, int] = Field(
            default=(12, 24), title="Span in months [shortest, longest]"
        )
        eligible: str | tuple[str, ...] | None = Field(
            default=None, title="Providers qualified as (a rsc_eligibility key or credentials)"
        )
        max_providers: int = Field(default=2, ge=1, title="Providers at most")
        majority_one_provider: bool = Field(default=True, title="Most hours from one provider")
        facilitated_groups_only: bool = Field(
            default=True, title="Groups count only with a facilitator"
        )
        about_giving_min: float | None = Field(
            default=None, ge=0, title="Hours about the supervision given, at least"
        )
        max_hours_per_month: float | None = Field(
            default=None,
            gt=0,
            title=f"Hours a month plans count on, at most ({MAX_HOURS_PER_MONTH:g} when empty)",
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(
            p,
            where,
            (
                "min",
                "window_months",
                "eligible",
                "max_providers",
                "majority_one_provider",
                "facilitated_groups_only",
                "about_giving_min",
                "max_hours_per_month",
                "label",
            ),
        )
        out: dict[str, Any] = {"min": ck.number(p, "min", where)}
        out["window_months"] = _parse_window(ck, p, where)
        if "eligible" in p:
            eligible = p["eligible"]
            epath = join(where, "eligible")
            if isinstance(eligible, str):
                if eligible not in ctx.eligibility_keys:
                    ck.add(epath, f"{eligible!r} is not a key of rsc_eligibility")
                out["eligible"] = eligible
            else:
                listed = ck.str_list(eligible, epath, nonempty=True)
                if listed:
                    for i, cred in enumerate(listed):
                        check_credential(ck, cred, f"{epath}[{i}]", ctx.categories)
                out["eligible"] = listed or ()
        else:
            code = ctx.category
            keys = ctx.eligibility_keys
            if code not in keys and not any(k.startswith(f"{code}:") for k in keys):
                ck.add(where, f"no rsc_eligibility entry for {code}; add one or set 'eligible'")
        providers = ck.number(p, "max_providers", where, required=False, integer=True, low=1)
        out["max_providers"] = providers if providers is not None else 2
        out["majority_one_provider"] = ck.boolean(p, "majority_one_provider", where, True)
        out["facilitated_groups_only"] = ck.boolean(p, "facilitated_groups_only", where, True)
        if "about_giving_min" in p:
            out["about_giving_min"] = ck.number(p, "about_giving_min", where)
        if "max_hours_per_month" in p:
            value = ck.number(p, "max_hours_per_month", where)
            if value is not None and value <= 0:
                ck.add(join(where, "max_hours_per_month"), f"must be more than 0, got {value!r}")
            out["max_hours_per_month"] = value
        return out

    def evaluate(self, node: Node, ctx: Context) -> Result:
        return evaluate_rsc(node, ctx)

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        return forecast_rsc(fc, node, res)

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        p = node.params
        low, high = p["window_months"]
        parts = [
            f"Reflective supervision/consultation: at least {_hours(p['min'])} "
            f"within {low}–{high} months",
            f"from at most {p['max_providers']} providers",
        ]
        if p["majority_one_provider"]:
            parts.append("most hours from one provider")
        if p["facilitated_groups_only"]:
            parts.append("groups count only with a facilitator")
        if "about_giving_min" in p:
            parts.append(f"at least {_hours(p['about_giving_min'])} about the RSC given")
        if p.get("max_hours_per_month") is not None:
            parts.append(f"plans count on at most {_hours(p['max_hours_per_month'])} a month")
        eligible = p.get("eligible")
        if isinstance(eligible, str):
            parts.append(f"providers qualified as for {eligible}")
        elif eligible:
            parts.append(f"providers endorsed as {', '.join(eligible)}")
        return ", ".join(parts)

    def explain(
        self, res: Result, items: Mapping[int, EvidenceItem], node: Node | None = None
    ) -> Explanation:
        """Add the window: its months and the day it closes after the first counted session."""
        out = explanation(res, items)
        if node is None:
            return out
        lo, hi = (int(m) for m in node.params["window_months"])
        closes = add_months(out.first, hi) if out.first else None
        return Explanation(out.counted, out.first, out.last, (lo, hi), closes, out.reasons)

    def chart(self, result: Result, summary: Summary) -> ChartSeries | None:
        """Hours of the sessions that count by month (those of the RSC figure), against the
        largest RSC target."""
        counted = {
            i for leaf in result.leaves() if leaf.type == self.name for i in leaf.evidence_ids
        }
        monthly: dict[str, float] = {}
        for item in summary.items:
            if item.kind == "rsc" and item.status in COUNTED and item.id in counted:
                key = month_key(item.date)
                monthly[key] = monthly.get(key, 0.0) + item.hours
        return ChartSeries("rsc", target_of(result, self.name), monthly)


TYPE = RscHours()
