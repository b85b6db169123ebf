"""Status-list indices: two endorsement certificates issued at the same moment may draw the same
random index; the later insert then collides with the unique (association, status_index) and
must draw again inside the issuing transaction instead of failing the issue."""

from __future__ import annotations

import itertools
import threading

import pytest

from certificates import issuing, status
from certificates.models import IssuedCertificate
from lms.db import db
from tests.certificates.conftest import TODAY
from tests.conftest import PG_URL

SAME = 4242


class RepeatingSource:
    """A random source that answers SAME to each thread's first draw, then fresh values."""

    def __init__(self, barrier: threading.Barrier | None = None):
        self.barrier = barrier
        self.first = threading.local()
        self.fresh = itertools.count(5000)
        self.lock = threading.Lock()

    def randbelow(self, n: int) -> int:
        if not getattr(self.first, "done", False):
            self.first.done = True
            if self.barrier is not None:
                self.barrier.wait(timeout=20)  # both issuers have drawn before either inserts
            return SAME
        with self.lock:
            return next(self.fresh)


@pytest.fixture
def two_endorsements(endorsement, association, coordinator, make_user):
    from competencies.endorsements import record_endorsement

    other = make_user("second@example.test", display_name="Second Endorsee")
    return endorsement, record_endorsement(other, association, "IMHS", TODAY, actor=coordinator)


def test_an_index_taken_after_the_check_is_drawn_again_not_a_failed_issue(
    two_endorsements, coordinator, monkeypatch
):
    """The other issuer's row is not visible to the check (not yet committed) but collides."""
    first, second = two_endorsements
    IssuedCertificate.update(status_index=SAME).where(
        IssuedCertificate.source_ref == f"endorsement:{first.id}"
    ).execute()
    monkeypatch.setattr(status, "secrets", RepeatingSource())
    monkeypatch.setattr(status, "index_taken", lambda association, index: False)

    cert = issuing.issue_endorsement(second, issuer=coordinator)

    assert cert.status_index == 5000
    assert IssuedCertificate.get_by_id(cert.id).status == "valid"
    indices = [
        c.status_index
        for c in IssuedCertificate.select().where(IssuedCertificate.status_index.is_null(False))
    ]
    assert len(indices) == len(set(indices))


@pytest.mark.parametrize("backend", ["postgresql"] if PG_URL else [])
def test_two_issuers_drawing_the_same_index_at_once_both_succeed(
    app, two_endorsements, coordinator, monkeypatch
):
    """PostgreSQL (SQLite's IMMEDIATE transactions never run two issues at once)."""
    endorsements = two_endorsements
    monkeypatch.setattr(status, "secrets", RepeatingSource(threading.Barrier(2)))
    results: dict[int, object] = {}

    def issue(endorsement):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                results[endorsement.id] = issuing.issue_endorsement(endorsement, issuer=coordinator)
            except Exception as exc:  # noqa: BLE001 - reported below
                results[endorsement.id] = exc
            finally:
                db.close()

    threads = [threading.Thread(target=issue, args=(e,)) for e in endorsements]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    errors = [r for r in results.values() if isinstance(r, Exception)]
    assert errors == [] and len(results) == 2
    indices = sorted(r.status_index for r in results.values())
    assert indices[0] == SAME and indices[1] >= 5000
