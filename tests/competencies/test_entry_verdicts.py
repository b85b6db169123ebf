"""Adding education, work or membership says at once whether and why it will not count
(issue 15, point 12), and the work form records a period (point 7)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.competencies.conftest import TODAY


@pytest.fixture
def imhs(client, auth, clinician, add_evidence):
    """A clinician working toward IMHS with a verified master's degree, signed in."""
    auth.login(clinician.email)
    started = (TODAY - dt.timedelta(days=200)).isoformat()
    response = client.post("/competencies/goals", data={"category": "IMHS", "started_on": started})
    assert response.status_code == 302
    add_evidence(
        clinician,
        kind="education",
        days_ago=2000,
        details={"level": "master"},
        label="Master's degree",
    )
    return client


def _count():
    from competencies.models import Evidence

    return Evidence.select().where(Evidence.status != "void").count()


WORK = {"label": "Home visitor, county CMH", "kind": "dyadic_clinical", "families": "5"}


def test_the_work_form_records_a_period(imhs, clinician):
    from competencies.models import Evidence

    start = (TODAY - dt.timedelta(days=700)).isoformat()
    response = imhs.post(
        "/competencies/evidence/new/work",
        data={**WORK, "occurred_on": start, "paid": "y", "post_degree": "yes"},
    )
    assert response.status_code == 302
    row = Evidence.get(Evidence.kind == "work")
    assert row.occurred_on.isoformat() == start and row.status == "pending"
    assert row.details == {
        "kind": "dyadic_clinical",
        "start": start,
        "end": None,
        "paid": True,
        "post_degree": True,
        "families": 5,
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"occurred_on": "2024-05-01", "end": "2024-01-01"}, "The end must be after the start"),
        ({"occurred_on": "2024-05-01", "end": "2099-01-01"}, "This date is in the future"),
        (
            {"occurred_on": "2024-05-01", "kind": "unpaid_infant_family", "paid": "y"},
            "Unpaid work cannot be paid",
        ),
    ],
)
def test_bad_work_periods_are_refused_and_nothing_is_written(imhs, extra, message):
    before = _count()
    response = imhs.post("/competencies/evidence/new/work", data={**WORK, **extra})
    assert response.status_code == 400
    assert message in response.text
    assert _count() == before


def test_checking_work_before_the_degree_says_why_it_will_not_count(imhs):
    before = _count()
    start = (TODAY - dt.timedelta(days=4000)).isoformat()
    end = (TODAY - dt.timedelta(days=3000)).isoformat()
    degree = (TODAY - dt.timedelta(days=2000)).isoformat()
    response = imhs.post(
        "/competencies/evidence/new/work",
        data={**WORK, "occurred_on": start, "end": end, "paid": "y", "check": "1"},
    )
    assert response.status_code == 200
    page = response.text
    assert "Will it count?" in page
    assert "Infant Mental Health Specialist (IMHS)" in page and "✗ No" in page
    assert f"ended before your master&#39;s degree of {degree}" in page
    assert _count() == before  # a check writes nothing


def test_checking_work_the_category_asks_for_says_yes(imhs):
    start = (TODAY - dt.timedelta(days=1000)).isoformat()
    response = imhs.post(
        "/competencies/evidence/new/work",
        data={**WORK, "occurred_on": start, "paid": "y", "check": "1"},
    )
    assert "✓ Yes" in response.text
    said_no = imhs.post(
        "/competencies/evidence/new/work",
        data={**WORK, "occurred_on": start, "post_degree": "no", "paid": "y", "check": "1"},
    )
    assert "✗ No</strong> — recorded as work before the degree" in said_no.text


def test_checking_a_kind_of_work_the_category_does_not_ask_for(imhs):
    start = (TODAY - dt.timedelta(days=1000)).isoformat()
    response = imhs.post(
        "/competencies/evidence/new/work",
        data={**WORK, "kind": "policy_leadership", "occurred_on": start, "check": "1"},
    )
    assert "asks for no work of this kind" in response.text


def test_checking_education_below_the_category_says_why(imhs):
    response = imhs.post(
        "/competencies/evidence/new/education",
        data={
            "level": "associate_related",
            "label": "AA",
            "occurred_on": "2010-06-01",
            "check": "1",
        },
    )
    assert response.status_code == 200
    assert "✗ No" in response.text
    assert "related associate degree does not meet this requirement" in response.text


def test_checking_an_ended_membership_says_it_ended(imhs):
    response = imhs.post(
        "/competencies/evidence/new/membership",
        data={"occurred_on": "2023-01-01", "valid_until": "2023-12-31", "check": "1"},
    )
    assert response.status_code == 200
    assert "it ended on 2023-12-31" in response.text


def test_saving_says_at_once_whether_it_will_count(imhs):
    before = _count()
    response = imhs.post(
        "/competencies/evidence/new/education",
        data={"level": "bachelor", "label": "BA", "occurred_on": "2010-06-01"},
        follow_redirects=True,
    )
    assert _count() == before + 1  # saved: it may still serve another goal
    assert "IMHS: will not count — bachelor" in response.text
