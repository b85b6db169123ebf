"""`competencies.reevaluate`: the one function every batch writer calls after its commit."""

from __future__ import annotations

import datetime as dt

import pytest

from competencies import reevaluate
from lms import jobs
from lms.db import db
from tests.kept_rows import is_current, keep_all, rewritten, wait_for_jobs

TODAY = dt.date.today()


@pytest.fixture
def two(make_user, association, defaults):
    """Ana and Ben work toward IFA; their rows are kept."""
    from competencies.pathways import declare_goal

    users, pathways = [], []
    for email in ("ana@example.test", "ben@example.test"):
        user = make_user(email)
        users.append(user)
        pathways.append(declare_goal(user, association, "IFA", TODAY - dt.timedelta(days=90)).id)
    return users, pathways


def test_only_the_named_clinicians_are_evaluated(two, association, add_evidence):
    (ana, ben), (ana_pathway, ben_pathway) = two
    kept = keep_all(association)
    add_evidence(ana, hours=3)
    add_evidence(ben, hours=3)
    said = reevaluate.after_commit([(association.id, ana.id)], background=False)
    assert said.startswith("Readiness: 1 open pathways current, 1 evaluated")
    assert rewritten(kept, [ana_pathway])
    assert not is_current(ben_pathway)  # written, but not named: a report will evaluate it


def test_rows_already_current_are_not_evaluated_again(two, association):
    (ana, ben), _ = two
    keep_all(association)
    done = reevaluate.reevaluate([(association.id, ana.id), (association.id, ben.id)])
    assert (done.pathways, done.evaluated) == (2, 0)


def test_parts_across_associations(two, association, make_association, make_user, add_evidence):
    from competencies import ledger
    from competencies.pathways import declare_goal

    (ana, ben), pathways = two
    other = make_association("B")
    carl = make_user("carl@example.test", assoc=other)
    pathways.append(declare_goal(carl, other, "IFA", TODAY - dt.timedelta(days=90)).id)
    kept = keep_all(association) | keep_all(other)
    for who in (ana, ben):
        add_evidence(who, hours=2)
    ledger.record(clinician=carl, association=other, kind="training", source="test",
                  occurred_on=TODAY, status="verified", hours=2)  # fmt: skip
    pairs = [(association.id, ana.id), (association.id, ben.id), (other.id, carl.id)]
    done = reevaluate.reevaluate(pairs * 2)  # repeated pairs count once; a part an association
    assert (done.pathways, done.evaluated) == (3, 3)
    assert rewritten(kept, pathways)


def test_a_background_job_says_what_it_did(app, two, association, add_evidence):
    (ana, _), (ana_pathway, _) = two
    kept = keep_all(association)
    add_evidence(ana, hours=3)
    job_id = reevaluate.after_commit([(association.id, ana.id)], background=True, owner_id=ana.id)
    done = jobs.wait(job_id, timeout=60)
    assert (done.status, done.done, done.total, done.owner_id) == ("done", 1, 1, ana.id)
    assert done.message == "Readiness re-evaluated: 1 pathway(s)."
    assert rewritten(kept, [ana_pathway])


def test_nobody_written_nothing_started(app, two):
    assert reevaluate.after_commit([], background=True) == ""
    assert reevaluate.after_commit([], background=False) == ""
    assert wait_for_jobs(app) == []


def test_refused_inside_the_writers_transaction(two, association):
    (ana, _), _ = two
    with db.atomic(), pytest.raises(RuntimeError, match="committed"):
        reevaluate.after_commit([(association.id, ana.id)], background=False)


def test_a_job_asked_inside_a_transaction_starts_when_it_commits(app, two, association,
                                                                 add_evidence):  # fmt: skip
    (ana, _), (ana_pathway, _) = two
    kept = keep_all(association)
    with db.atomic():
        add_evidence(ana, hours=3)
        assert reevaluate.after_commit([(association.id, ana.id)], background=True) == ""
        assert wait_for_jobs(app) == []  # nothing queued before the commit
    assert [job.status for job in wait_for_jobs(app)] == ["done"]
    assert rewritten(kept, [ana_pathway])


def test_a_job_asked_inside_a_transaction_rolled_back_never_starts(app, two, association):
    (ana, _), _ = two

    class Undo(Exception):
        pass

    with pytest.raises(Undo), db.atomic():
        reevaluate.after_commit([(association.id, ana.id)], background=True)
        raise Undo
    assert wait_for_jobs(app) == []
