"""The RSC forecast's month is the first month a plain scan of every month finds (hypothesis).

`forecast_rsc` asks its quick bound for the first month it allows, then searches fully from
there (`_first_month`); the plain scan below tries the full search on every month in turn.
"""

from __future__ import annotations

import datetime
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from competencies.evaluator import evaluate
from competencies.forecast import forecast
from competencies.nodes import rsc_hours
from competencies.types import Summary
from tests.competencies.rulekit import rsc, rules

D = datetime.date
DAY = datetime.timedelta(days=1)
AS_OF = D(2025, 6, 1)


def plain_first_month(could, met, horizon=rsc_hours.HORIZON_MONTHS):
    """The first month after which the full search meets the requirement, trying each."""
    return next((m for m in range(1, horizon + 1) if met(m)), None)


def test_the_search_finds_the_first_month_of_every_pair_of_thresholds():
    horizon = 12
    for bound in range(1, horizon + 2):
        for need in range(bound, horizon + 3):
            asked = []

            def could(m, bound=bound):
                return m >= bound

            def met(m, need=need, asked=asked):
                asked.append(m)
                return m >= need

            expected = need if need <= horizon else None
            assert rsc_hours._first_month(could, met, horizon) == expected
            assert all(m >= bound for m in asked)  # no full search where the bound says no


session = st.tuples(
    st.integers(0, 600),  # days before AS_OF
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 4.0]),
    st.sampled_from([7, 8, 9]),
    st.booleans(),  # about the supervision the clinician gives
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(session, min_size=1, max_size=30),
    target=st.sampled_from([10, 24, 50, 90]),
    window=st.sampled_from([[0, 6], [6, 12], [12, 24], [24, 48]]),
    providers=st.integers(1, 3),
    about_min=st.sampled_from([None, 4.0]),
)
def test_the_forecast_month_is_the_first_month_of_a_plain_scan(
    rows, target, window, providers, about_min
):
    node = {
        "rsc_hours": {
            "min": target,
            "window_months": window,
            "max_providers": providers,
            **({} if about_min is None else {"about_giving_min": about_min}),
        }
    }
    items = [
        rsc(AS_OF - DAY * days, hours=hours, provider=provider, about_giving_rsc=about)
        for days, hours, provider, about in rows
    ]
    rs, summary = rules(node), Summary.from_items(1, items)
    result = evaluate(rs, "IMHS", summary, AS_OF)
    fast = forecast(rs, "IMHS", summary, result, AS_OF)
    with mock.patch.object(rsc_hours, "_first_month", plain_first_month):
        plain = forecast(rs, "IMHS", summary, result, AS_OF)
    assert fast == plain
