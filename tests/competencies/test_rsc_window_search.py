"""The RSC window search against a plain reference written out in this file (hypothesis).

`competencies.nodes.rsc_hours` finds the best window with running per-provider totals in one
pass; the reference below tries every window and every provider combination from scratch, the
way the rule reads. Hours are quarter hours, so every sum is exact whatever order it is taken
in, and the two must agree exactly: the same window, the same providers, the same figures.
"""

from __future__ import annotations

import datetime
import math
import types
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from competencies.nodes.base import after
from competencies.nodes.result import EPS, add_months
from competencies.nodes.rsc_hours import (
    RscChoice,
    _hours_of,
    _search,
    _still_needed,
    _too_late,
    could_meet,
    current_window,
    max_per_month,
    rsc_best,
)
from competencies.types import EvidenceItem

D = datetime.date
DAY = datetime.timedelta(days=1)
FIRST = D(2022, 1, 1)


# --- the reference ---------------------------------------------------------------------------


def plain_progress(hours, about, first, last, params) -> float:
    """Progress of a window, as `_rsc_progress` defines it (hours 3/4, span 1/4)."""
    target, about_min = params["min"], params.get("about_giving_min")
    lo = params["window_months"][0]
    if target <= 0 and not about_min:
        return 1.0
    if first is None:
        return 0.0
    needed_end = add_months(first, lo)
    if last >= needed_end:
        span = 1.0
    else:
        span = min(0.99, (last - first).days / max(1, (needed_end - first).days))
    hp = 1.0 if hours + EPS >= target else max(0.0, min(1.0, hours / target))
    if about_min:
        ap = 1.0 if about + EPS >= about_min else max(0.0, min(1.0, about / about_min))
        return 0.5 * hp + 0.25 * ap + 0.25 * span
    return 0.75 * hp + 0.25 * span


def plain_search(sessions, params, opens_after):
    """Try every window (opened by a session's date) and every allowed set of providers."""
    hi, max_p = params["window_months"][1], params["max_providers"]
    majority = params["majority_one_provider"]
    best = late = best_key = late_key = None
    for i, opener in enumerate(sessions):
        if i and sessions[i - 1].date == opener.date:
            continue  # the same window as the one opened by the earlier session that day
        start, end = opener.date, add_months(opener.date, hi)
        window = [k for k, s in enumerate(sessions) if start <= s.date < end]
        j = window[-1] + 1
        providers = sorted(
            {sessions[k].provider_id for k in window}, key=lambda p: -1 if p is None else p
        )
        most = min(len(providers), max_p)
        sizes = range(most, 0, -1) if majority and max_p > 2 else [most]
        for size in sizes:
            for combo in combinations(providers, size):
                kept = [sessions[k] for k in window if sessions[k].provider_id in combo]
                per = [sum(s.hours for s in kept if s.provider_id == p) for p in combo]
                total = sum(per)
                if majority and size > 2 and total - max(per) > max(per) + EPS:
                    continue
                about = sum(s.hours for s in kept if s.details.get("about_giving_rsc"))
                prog = plain_progress(total, about, kept[0].date, kept[-1].date, params)
                key = (round(prog, 9), round(total, 9), round(about, 9), start)
                if best_key is None or key >= best_key:
                    best_key, best = key, (i, j, combo)
                late_one = opens_after is not None and start > opens_after
                if late_one and (late_key is None or key >= late_key):
                    late_key, late = key, (i, j, combo)
    return best, late


def plain_choice(sessions, params, found) -> RscChoice:
    if found is None:
        return RscChoice((), (), 0.0, 0.0, params["window_months"][0] == 0 or _free(params),
                         plain_progress(0.0, 0.0, None, None, params))  # fmt: skip
    i, j, combo = found
    window = tuple(sessions[i:j])
    kept = tuple(s for s in window if s.provider_id in combo)
    total = math.fsum(s.hours for s in kept)
    about = math.fsum(s.hours for s in kept if s.details.get("about_giving_rsc"))
    first, last = kept[0].date, kept[-1].date
    span_ok = _free(params) or last >= add_months(first, params["window_months"][0])
    return RscChoice(kept, window, total, about, span_ok,
                     plain_progress(total, about, first, last, params))  # fmt: skip


def _free(params) -> bool:
    return params["min"] <= 0 and not params.get("about_giving_min")


def plain_current_window(sessions, params, as_of):
    """The best window, unless it closed unmet: then the best one still open on `as_of`."""
    hi = params["window_months"][1]
    cutoff = as_of  # the last day a window may open and have closed by as_of
    while add_months(cutoff, hi) > as_of:
        cutoff -= DAY
    best, late = plain_search(sessions, params, cutoff)
    choice = plain_choice(sessions, params, best)
    if choice.progress >= 1.0 or not choice.sessions:
        return choice, None
    if add_months(choice.sessions[0].date, hi) > as_of:
        return choice, None
    return plain_choice(sessions, params, late), choice


# --- generated sessions and rules ------------------------------------------------------------

session = st.tuples(
    st.integers(0, 900),  # days after FIRST
    st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0]),
    st.sampled_from([None, 1, 2, 3, 4]),
    st.booleans(),  # about the supervision the clinician gives
)


def sessions_of(rows) -> list[EvidenceItem]:
    """Sessions sorted by (date, id), as the evaluator hands them to the search."""
    items = [
        EvidenceItem(
            id=n + 1,
            kind="rsc",
            date=FIRST + DAY * day,
            status="attested",
            hours=hours,
            provider_id=provider,
            details={"format": "individual", "about_giving_rsc": about},
        )
        for n, (day, hours, provider, about) in enumerate(rows)
    ]
    return sorted(items, key=lambda it: (it.date, it.id))


params_st = st.builds(
    lambda target, window, providers, majority, about: {
        "min": target,
        "window_months": window,
        "max_providers": providers,
        "majority_one_provider": majority,
        "facilitated_groups_only": True,
        **({} if about is None else {"about_giving_min": about}),
    },
    st.sampled_from([0.0, 0.5, 3.0, 10.0, 40.0]),
    st.sampled_from([1, 3, 6, 12, 24]).flatmap(
        lambda hi: st.tuples(st.sampled_from([m for m in (0, 1, 3, 6, 12) if m <= hi]), st.just(hi))
    ),
    st.integers(1, 4),
    st.booleans(),
    st.sampled_from([None, 0.0, 1.0, 5.0]),
)


# --- the properties --------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    rows=st.lists(session, max_size=40),
    params=params_st,
    opens_after=st.none() | st.integers(-30, 930).map(lambda d: FIRST + DAY * d),
)
def test_the_search_finds_the_window_and_providers_the_plain_reference_finds(
    rows, params, opens_after
):
    sessions = sessions_of(rows)
    assert _search(sessions, params, opens_after) == plain_search(sessions, params, opens_after)
    assert rsc_best(sessions, params) == plain_choice(
        sessions, params, plain_search(sessions, params, None)[0]
    )


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(session, max_size=40),
    params=params_st,
    as_of=st.integers(0, 1000).map(lambda d: FIRST + DAY * d),
)
def test_the_current_window_is_the_plain_one(rows, params, as_of):
    sessions = [s for s in sessions_of(rows) if s.date <= as_of]
    assert current_window(sessions, params, as_of) == plain_current_window(sessions, params, as_of)


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(session, max_size=40), params=params_st)
def test_a_window_set_aside_by_the_quick_bound_would_not_have_been_met(rows, params):
    sessions = sessions_of(rows)
    met = plain_choice(sessions, params, plain_search(sessions, params, None)[0]).progress >= 1
    if met:
        assert could_meet(sessions, params)


def test_sessions_on_one_day_open_one_window_and_the_latest_best_window_wins():
    rows = [(0, 2.0, 1, False), (0, 1.0, 2, False), (200, 2.0, 1, False), (200, 1.0, 2, False)]
    params = {"min": 3.0, "window_months": (0, 6), "max_providers": 2,
              "majority_one_provider": True, "facilitated_groups_only": True}  # fmt: skip
    sessions = sessions_of(rows)
    best, _ = _search(sessions, params, None)
    assert best == plain_search(sessions, params, None)[0] == (2, 4, (1, 2))


def plain_earliest_plan(sessions, choice, params, as_of):
    """Try every opening (each later session's date up to `as_of`, then a new window)."""
    lo, hi = params["window_months"]
    pace = max_per_month(params)
    best = None
    first = choice.sessions[0].date
    for start in [*sorted({s.date for s in sessions if first < s.date <= as_of}), None]:
        opens = start or as_of
        hours, about = _hours_of([s for s in sessions if start and s.date >= start], params)
        left = _still_needed(hours, about, params)
        day = max(add_months(opens, lo), after(as_of, left / pace) if left else as_of)
        if day < add_months(opens, hi) and (best is None or day < best[0]):
            best = (day, start, hours, left)
    return best


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(session, min_size=1, max_size=40),
    params=params_st,
    as_of=st.integers(0, 1000).map(lambda d: FIRST + DAY * d),
    pace=st.sampled_from([None, 0.5, 4.0]),
)
def test_the_too_late_plan_is_the_earliest_of_every_opening(rows, params, as_of, pace):
    if pace is not None:
        params = {**params, "max_hours_per_month": pace}
    sessions = [s for s in sessions_of(rows) if s.date <= as_of]
    choice, _ = current_window(sessions, params, as_of)
    if not choice.sessions:
        return
    text = _too_late(sessions, choice, params, types.SimpleNamespace(as_of=as_of))
    best = plain_earliest_plan(sessions, choice, params, as_of)
    if best is None:
        assert "cannot be received within" in text
    else:
        assert f"at the earliest by {best[0].isoformat()}" in text
        if best[1] is not None:
            assert f"Counting from {best[1].isoformat()}" in text
        else:
            assert "Start a new window" in text
