"""An RSC requirement lists what did not count, and what counted, in ledger order (hypothesis).

Sessions refused by the screen (status, format, provider) and sessions left out of the best
window are made in two lists; the result gives each session once, by (date, id), and the
counted ids by (date, id) too, however the rows arrived. The screen gives each refused session
the first reason the rule reads (status, peer group, format, facilitator, provider).
"""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from competencies.evaluator import evaluate
from competencies.types import EvidenceItem, Summary
from tests.competencies.rulekit import rules

D = datetime.date
DAY = datetime.timedelta(days=1)
AS_OF = D(2025, 6, 1)

row = st.tuples(
    st.integers(0, 1200),  # days before AS_OF
    st.sampled_from(["attested", "attested", "attested", "pending", "rejected"]),
    st.sampled_from(["individual", "individual", "group", "peer"]),
    st.sampled_from([("IMHS",), ("IMHS",), ("IFS",)]),
    st.sampled_from([7, 8, 9]),
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(row, max_size=30), shuffle=st.randoms())
def test_reasons_and_counted_ids_follow_the_ledger_order(rows, shuffle):
    items = [
        EvidenceItem(
            id=1000 - n,  # ids against the date order now and then
            kind="rsc",
            date=AS_OF - DAY * days,
            status=status,
            hours=1.5,
            provider_id=provider,
            details={"format": form, "provider_credentials": list(creds)},
        )
        for n, (days, status, form, creds, provider) in enumerate(rows)
    ]
    shuffle.shuffle(items)
    node = {"rsc_hours": {"min": 12, "window_months": [6, 12]}}
    leaf = evaluate(rules(node), "IMHS", Summary.from_items(1, items), AS_OF)
    order = {it.id: (it.date, it.id) for it in items}
    refused = [nc.evidence_id for nc in leaf.not_counted]
    assert refused == sorted(refused, key=order.__getitem__)
    assert leaf.evidence_ids == tuple(sorted(leaf.evidence_ids, key=order.__getitem__))
    assert sorted(refused + list(leaf.evidence_ids)) == sorted(order)  # each session once


def plain_reason(status, form, facilitated, creds, facilitated_only):
    """Why the screen refuses a session, checked in the order the rule reads (None: may count)."""
    if status not in ("attested", "verified"):
        return "status"
    if form == "peer":
        return "peer group without facilitator"
    if form not in ("individual", "group"):
        return f"unknown session format {form!r}"
    if form == "group" and facilitated_only and not facilitated:
        return "group without facilitator"
    if "IMHS" not in creds:
        return "provider not endorsed as"
    return None


screened = st.tuples(
    st.sampled_from(["attested", "pending", "verified", "void"]),
    st.sampled_from(["individual", "group", "peer", "webinar", None]),
    st.sampled_from([None, True, False]),  # facilitated (None: not said)
    st.sampled_from([("IMHS",), ("IFS",), ()]),
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(screened, min_size=1, max_size=20), facilitated_only=st.booleans())
def test_the_screen_refuses_each_session_for_the_first_reason_the_rule_gives(
    rows, facilitated_only
):
    items = []
    for n, (status, form, facilitated, creds) in enumerate(rows):
        details = {"provider_credentials": list(creds)}
        if form is not None:
            details["format"] = form
        if facilitated is not None:
            details["facilitated"] = facilitated
        items.append(
            EvidenceItem(
                n + 1, "rsc", AS_OF - DAY * (n + 1), status, 1.0, provider_id=7, details=details
            )  # fmt: skip
        )
    node = {
        "rsc_hours": {
            "min": 12,
            "window_months": [6, 12],
            "eligible": ["IMHS"],
            "facilitated_groups_only": facilitated_only,
        }
    }
    leaf = evaluate(rules(node), "IMHS", Summary.from_items(1, items), AS_OF)
    why = {nc.evidence_id: nc.reason.split(": ", 1)[1] for nc in leaf.not_counted}
    for it, (status, form, facilitated, creds) in zip(items, rows, strict=True):
        expected = plain_reason(status, form or "individual", facilitated, creds, facilitated_only)
        if expected is None:
            assert it.id in leaf.evidence_ids or why[it.id].startswith("outside the best")
        elif expected == "status":
            assert it.id in why and it.id not in leaf.evidence_ids
            assert not why[it.id].startswith(("peer", "unknown", "group", "provider"))
        else:
            assert why[it.id].startswith(expected), (why[it.id], expected)
