"""A not-counted entry whose text is written when first read is the entry written at once.

`not_counted` leaves the "<what> on <date>: " text until a page reads it (a report reads none);
the entry must compare, hash, print, pickle and copy as the pair (evidence_id, reason), stay
immutable, and read the same text from any number of threads.
"""

from __future__ import annotations

import copy
import datetime
import pickle
import threading

import pytest

from competencies.nodes.result import NotCounted, not_counted
from competencies.types import EvidenceItem

D = datetime.date


def _pair():
    it = EvidenceItem(5, "rsc", D(2024, 3, 1), "pending", hours=1.25)
    written = NotCounted(5, "1.2 h on 2024-03-01: not yet attested")
    return not_counted(it, "not yet attested"), written


def test_a_late_entry_equals_hashes_and_prints_as_the_written_one():
    late, written = _pair()
    assert late == written and written == late
    assert hash(_pair()[0]) == hash(written)
    assert (
        repr(late)
        == repr(written)
        == ("NotCounted(evidence_id=5, reason='1.2 h on 2024-03-01: not yet attested')")
    )
    assert late.evidence_id == 5
    assert late != NotCounted(5, "something else") and late != NotCounted(6, late.reason)
    assert {late, written} == {written}
    assert (late == (5, late.reason)) is False  # another type compares unequal, as before


def test_a_kind_without_hours_is_named():
    it = EvidenceItem(9, "education", D(2020, 5, 1), "rejected")
    assert not_counted(it, "rejected").reason == "Education record on 2020-05-01: rejected"


def test_a_late_entry_pickles_and_copies_as_its_text():
    late, written = _pair()
    for again in (pickle.loads(pickle.dumps(late)), copy.copy(late), copy.deepcopy(late)):
        assert again == written and again.reason == written.reason


def test_an_entry_cannot_be_changed():
    late, _ = _pair()
    with pytest.raises(AttributeError):
        late.reason = "other"
    with pytest.raises(AttributeError):
        late.evidence_id = 6
    with pytest.raises(AttributeError):
        late.extra = 1


def _entries():
    return [
        not_counted(EvidenceItem(n, "rsc", D(2024, 1, 1), "attested", hours=n / 4), "outside")
        for n in range(200)
    ]


def test_threads_reading_a_late_entry_read_one_text():
    entries = _entries()
    seen: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def read(out):
        start.wait()
        out.extend(e.reason for e in entries)

    threads = [threading.Thread(target=read, args=(out,)) for out in seen]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [e.reason for e in _entries()]  # read once, by this thread alone
    assert all(out == expected for out in seen)
    assert [e.reason for e in entries] == expected
    assert entries[5].reason == "1.2 h on 2024-01-01: outside"
