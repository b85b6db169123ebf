"""A kept summary altered in the database cannot make the app run code: the unpickler accepts
only the summary's own classes, dates and frozensets; anything else, or damaged bytes, is
refused and the summary is built again from the ledger."""

from __future__ import annotations

import datetime as dt
import pickle
import zlib

TODAY = dt.date.today()


RAN: list[str] = []


def _run(what: str) -> str:
    RAN.append(what)
    return what


class _Calls:
    """Pickles as a call of `_run`: loading it with a plain unpickler calls it."""

    def __reduce__(self):
        return (_run, ("code from the database",))


def test_a_foreign_or_damaged_row_is_refused_and_rebuilt(make_user, association, add_evidence):
    from competencies import kept_summaries
    from competencies.models import KeptSummary
    from competencies.summaries import build_summaries

    clinician = make_user("kept@example.test")
    add_evidence(clinician, days_ago=3, hours=2)
    _, generations = kept_summaries.load(association.id, [clinician.id], TODAY)
    summaries = build_summaries(
        as_of=TODAY, clinician_ids=[clinician.id], association_id=association.id
    )
    kept_summaries.keep(association.id, summaries, generations, TODAY, {})
    assert kept_summaries.load(association.id, [clinician.id], TODAY)[0] == summaries

    good = kept_summaries.dumps(summaries[clinician.id])
    oversized = good + b"\0" * kept_summaries.MAX_BYTES
    foreign = pickle.dumps(_Calls())
    pickle.loads(foreign)
    assert RAN == ["code from the database"]  # what a plain unpickler would do
    RAN.clear()
    squeezed = zlib.compress(foreign)  # not a pickle either
    for data in (foreign, good[: len(good) // 2], b"not a pickle", oversized, squeezed):
        KeptSummary.update(data=data).execute()
        assert kept_summaries.loads(data) is None
        assert kept_summaries.load(association.id, [clinician.id], TODAY)[0] == {}
    assert RAN == []
