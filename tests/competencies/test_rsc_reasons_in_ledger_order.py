"""An RSC requirement lists what did not count, and what counted, in ledger order (hypothesis).

Sessions refused by the screen (status, format, provider) and sessions left out of the best
window are made in two lists; the result gives each session once, by (date, id), and the
counted ids by (date, id) too, however the rows arrived.
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
