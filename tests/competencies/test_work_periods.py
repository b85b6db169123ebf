"""Work experience as periods (issue 15, point 7): the pure evaluator on dated periods."""

from __future__ import annotations

import datetime

import pytest

from competencies.evaluator import evaluate
from competencies.forecast import forecast
from competencies.rules import load_rule_set
from competencies.types import EvidenceItem, Summary

D = datetime.date
AS_OF = D(2025, 6, 1)
_ids = iter(range(1, 10**6))


def item(kind: str, date: D, status: str = "verified", **kw) -> EvidenceItem:
    kw.setdefault("id", next(_ids))
    return EvidenceItem(kind=kind, date=date, status=status, **kw)


def job(start: D, end: D | None, kind: str = "paid_infant_family", **details) -> EvidenceItem:
    details = {"kind": kind, "start": start.isoformat(), **details}
    details["end"] = end.isoformat() if end else None
    return item("work", start, details=details, id=details.pop("id", next(_ids)))


def degree(day: D, level: str = "bachelor", status: str = "verified") -> EvidenceItem:
    return item("education", day, status, details={"level": level})


def run(node: dict, items=(), as_of: D = AS_OF, family: str = "infant"):
    doc = {
        "name": "Test rules",
        "version": "9",
        "effective": "2020-01-01",
        "categories": {"IFS": {"name": "Cat", "family": family, "rank": 2, "requires": node}},
    }
    return evaluate(load_rule_set(doc), "IFS", Summary.from_items(1, items), as_of)


def reasons(result) -> dict[int, str]:
    return {nc.evidence_id: nc.reason.split(": ", 1)[1] for nc in result.not_counted}


def test_overlapping_periods_count_once():
    node = {"work_experience": {"years": 2, "kind": "paid_infant_family"}}
    a = job(D(2022, 1, 1), D(2023, 12, 31))  # two years
    b = job(D(2023, 1, 1), D(2023, 6, 30))  # inside a: adds nothing
    r = run(node, [a, b])
    assert r.figures.value == pytest.approx(2.0, abs=0.01)
    assert r.met
    assert set(r.evidence_ids) == {a.id, b.id}
    # two jobs at the same time for a year are one year, not two
    c = job(D(2024, 1, 1), D(2024, 12, 31))
    d = job(D(2024, 1, 1), D(2024, 12, 31))
    r = run(node, [c, d])
    assert r.figures.value == pytest.approx(1.0, abs=0.01)
    assert not r.met


def test_an_ongoing_period_runs_to_the_evaluation_date_and_nothing_after_it_counts():
    node = {"work_experience": {"years": 2, "kind": "dyadic_clinical"}}
    ongoing = job(D(2023, 6, 1), None, "dyadic_clinical")
    assert run(node, [ongoing]).figures.value == pytest.approx(2.0, abs=0.01)
    assert run(node, [ongoing], as_of=D(2024, 6, 1)).figures.value == pytest.approx(1, abs=0.01)
    later = job(D(2024, 1, 1), D(2026, 1, 1), "dyadic_clinical")  # ends after as_of
    r = run(node, [later], as_of=D(2025, 1, 1))
    assert r.figures.value == pytest.approx(1.0, abs=0.01)


def test_unpaid_work_does_not_count_where_paid_work_is_required():
    node = {"work_experience": {"years": 1, "kind": "paid_infant_family", "paid": True}}
    unpaid = job(D(2023, 1, 1), D(2024, 12, 31), "unpaid_infant_family", paid=False)
    flagged = job(D(2023, 1, 1), D(2024, 12, 31), paid=False)
    r = run(node, [unpaid, flagged])
    assert r.figures.value == 0 and not r.met
    assert reasons(r) == {
        unpaid.id: "unpaid work does not count: this requirement asks for paid work",
        flagged.id: "unpaid work does not count: this requirement asks for paid work",
    }


def test_unpaid_infant_family_work_is_a_kind_of_its_own():
    node = {"work_experience": {"years": 1, "kind": "unpaid_infant_family"}}
    r = run(node, [job(D(2023, 1, 1), D(2024, 6, 30), "unpaid_infant_family", paid=False)])
    assert r.met
    assert "unpaid work with infants and families" in r.label


def test_post_degree_work_is_counted_from_the_degree_date():
    node = {
        "work_experience": {"years": 2, "kind": "paid_infant_family", "after_degree": "bachelor"}
    }
    work = job(D(2021, 1, 1), None)  # 4.4 years, but the degree came in mid 2024
    r = run(node, [work, degree(D(2024, 6, 1))])
    assert r.figures.value == pytest.approx(1.0, abs=0.01)
    assert not r.met
    assert any("2024-06-01" in note for note in r.notes)
    # an earlier degree at a higher level counts too (master's is above bachelor's)
    r = run(node, [work, degree(D(2024, 6, 1)), degree(D(2022, 6, 1), "master")])
    assert r.met


def test_post_graduate_work_needs_a_graduate_degree_on_record():
    node = {"work_experience": {"years": 2, "kind": "dyadic_clinical", "after_degree": "master"}}
    work = job(D(2019, 1, 1), D(2024, 12, 31), "dyadic_clinical")
    r = run(node, [work, degree(D(2015, 6, 1), "bachelor")])
    assert r.figures.value == 0 and not r.met
    assert reasons(r) == {
        work.id: "counts only after a master's degree or higher, and none is on your record yet"
    }
    before = job(D(2010, 1, 1), D(2012, 12, 31), "dyadic_clinical")
    r = run(node, [before, degree(D(2015, 6, 1), "master")])
    assert reasons(r) == {before.id: "ended before your master's degree of 2015-06-01"}
    # the clinician said it was not post-graduate work: it does not count either
    said_no = job(D(2016, 1, 1), D(2019, 12, 31), "dyadic_clinical", post_degree=False)
    r = run(node, [said_no, degree(D(2015, 6, 1), "master")])
    assert reasons(r) == {said_no.id: "recorded as work before the degree"}


def test_a_pending_degree_does_not_date_post_degree_work():
    node = {
        "work_experience": {"years": 1, "kind": "paid_infant_family", "after_degree": "bachelor"}
    }
    work = job(D(2020, 1, 1), D(2024, 12, 31))
    r = run(node, [work, degree(D(2015, 6, 1), status="pending")])
    assert not r.met and work.id in reasons(r)


def test_old_single_date_items_still_count_their_years():
    node = {"work_experience": {"years": 2, "kind": "dyadic_clinical", "families": 3}}
    old = item("work", D(2025, 1, 1), details={"kind": "dyadic_clinical", "years": 1.5})
    new = job(D(2023, 1, 1), D(2023, 12, 31), "dyadic_clinical", families=3)
    r = run(node, [old])
    assert r.figures.value == pytest.approx(1.5)
    # the old record covers mid-2023 to 2025: the 2023 job overlaps half a year of it
    r = run(node, [old, new])
    assert r.figures.value == pytest.approx(2.0, abs=0.01)
    assert r.met


def test_families_wording_follows_the_rule_data():
    node = {
        "work_experience": {
            "years": 1,
            "kind": "paid_infant_family",
            "families": 10,
            "families_of": "young children",
        }
    }
    r = run(node, [job(D(2023, 1, 1), D(2024, 12, 31), families=9)], family="early_childhood")
    assert r.missing == ("Work with 1 more family of young children",)


def test_missing_years_use_singular_and_plural():
    node = {"work_experience": {"years": 2, "kind": "paid_infant_family"}}
    r = run(node, [job(D(2024, 6, 1), None)])
    assert r.missing == ("Record 1 more year of paid work with infants and families",)


def test_forecast_accrues_only_while_a_period_is_ongoing():
    node = {"work_experience": {"years": 2, "kind": "dyadic_clinical"}}
    rs = load_rule_set(
        {
            "name": "T",
            "version": "1",
            "effective": "2020-01-01",
            "categories": {"IMHS": {"name": "C", "family": "infant", "rank": 4, "requires": node}},
        }
    )

    def leaf(items):
        summary = Summary.from_items(1, items)
        result = evaluate(rs, "IMHS", summary, AS_OF)
        return forecast(rs, "IMHS", summary, result, AS_OF).leaves[0]

    assert leaf([job(D(2024, 6, 1), None, "dyadic_clinical")]).status == "on_pace"
    ended = leaf([job(D(2023, 6, 1), D(2024, 6, 1), "dyadic_clinical")])
    assert ended.status == "needs_action"


@pytest.mark.parametrize(
    ("params", "where", "message"),
    [
        ({"after_degree": "phd"}, "after_degree", "unknown education level 'phd'"),
        ({"paid": "yes"}, "paid", "must be true or false"),
    ],
)
def test_bad_period_parameters_are_refused_with_their_path(params, where, message):
    from competencies.rules import RuleSetError

    node = {"work_experience": {"years": 1, "kind": "paid_infant_family", **params}}
    with pytest.raises(RuleSetError) as caught:
        run(node)
    (problem,) = caught.value.errors
    assert problem.where.endswith(f"work_experience.{where}")
    assert message in problem.message
