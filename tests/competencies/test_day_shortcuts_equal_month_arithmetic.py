"""The days the engine works out once per evaluation day equal the month arithmetic they stand
for: the last day a window closes by a day (`_closed_by`), the paced sessions' days and the
days their windows close (`_paced_dates`), the months a pace is measured over (`_rate_months`),
and the days a report row turns idle or due soon (`first_reaching`, `_first_day`), the months left
before a window closes (a bisection of `_months_after`).
"""

from __future__ import annotations

import bisect
import datetime

from competencies.nodes.base import HORIZON_MONTHS, _rate_months, month_key
from competencies.nodes.result import add_months
from competencies.nodes.rsc_hours import _closed_by, _months_after, _paced_dates
from competencies.readiness_rows import (
    IDLE_MONTHS,
    SOON_MONTHS,
    _first_day,
    first_reaching,
)

D = datetime.date
DAY = datetime.timedelta(days=1)
# Two years of days, a leap day and every month's end among them.
DAYS = [D(2023, 1, 1) + DAY * n for n in range(0, 800, 3)] + [
    D(2024, 2, 29),
    D(2024, 8, 31),
    D(2023, 12, 31),
]


def test_a_window_closes_by_a_day_exactly_when_it_opened_on_or_before_the_cutoff():
    for as_of in DAYS:
        for hi in (1, 6, 12, 24):
            cutoff = _closed_by(as_of, hi)
            for n in range(-40, 40):
                day = cutoff + DAY * n
                assert (add_months(day, hi) <= as_of) == (day <= cutoff), (as_of, hi, day)


def test_the_paced_days_are_two_a_month_and_their_windows_close_hi_months_later():
    for as_of in DAYS[::7]:
        for hi in (6, 24):
            days, ends = _paced_dates(as_of, hi)
            expected = [add_months(as_of, m) for m in range(1, HORIZON_MONTHS + 1) for _ in (0, 1)]
            assert list(days) == expected
            assert list(ends) == [add_months(day, hi) for day in expected]


def test_the_pace_reads_the_twelve_months_up_to_the_day():
    for as_of in DAYS:
        first = as_of.replace(day=1)
        recent, older = _rate_months(as_of)
        assert recent == tuple(month_key(add_months(first, -k)) for k in range(6))
        assert older == tuple(month_key(add_months(first, -k)) for k in range(6, 12))


def plain_first_day(turns, guess, as_of):
    """The day search a report row made: the first day from a week before `guess` (and after
    `as_of`) on which `turns` holds."""
    day = max(as_of + DAY, guess - DAY * 7)
    while not turns(day):
        day += DAY
    return day


def test_the_days_a_row_turns_idle_or_due_soon_are_the_ones_a_day_by_day_search_finds():
    for as_of in DAYS[::5]:
        for offset in range(-250, 200, 11):
            last = as_of + DAY * offset
            idle = first_reaching(last, -IDLE_MONTHS)
            assert _first_day(idle, add_months(last, IDLE_MONTHS), as_of) == plain_first_day(
                lambda d, last=last: last <= add_months(d, -IDLE_MONTHS),
                add_months(last, IDLE_MONTHS),
                as_of,
            )
            soon = first_reaching(last, SOON_MONTHS)
            assert _first_day(soon, add_months(last, -SOON_MONTHS), as_of) == plain_first_day(
                lambda d, last=last: last <= add_months(d, SOON_MONTHS),
                add_months(last, -SOON_MONTHS),
                as_of,
            )


def test_the_first_day_reaching_a_target_is_the_first_of_all():
    for target in DAYS:
        for months in (-12, -6, -1, 1, 3, 6):
            day = first_reaching(target, months)
            assert add_months(day, months) >= target > add_months(day - DAY, months)


def test_the_months_left_before_a_window_closes_are_counted_as_month_by_month():
    for as_of in DAYS[::4]:
        months = _months_after(as_of)
        for hi in (1, 6, 24, 60):
            for offset in range(0, 1900, 37):
                closes = as_of + DAY * offset
                plain = sum(1 for m in range(1, hi + 1) if add_months(as_of, m) < closes)
                assert bisect.bisect_left(months, closes, hi=hi) == plain
