"""The days the engine works out once per evaluation day equal the month arithmetic they stand
for: the last day a window closes by a day (`_closed_by`), the paced sessions' days and the
days their windows close (`_paced_dates`), the months a pace is measured over (`_rate_months`).
"""

from __future__ import annotations

import datetime

from competencies.nodes.base import HORIZON_MONTHS, _rate_months, month_key
from competencies.nodes.result import add_months
from competencies.nodes.rsc_hours import _closed_by, _paced_dates

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
