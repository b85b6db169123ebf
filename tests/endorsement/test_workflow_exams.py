"""Exams: sittings, registration, scores 0-100, the pass mark and the retake interval."""

from __future__ import annotations

import datetime as dt

import pytest

from endorsement import applications, exams
from endorsement.errors import WorkflowError
from endorsement.models import Application, ExamRegistration

TODAY = dt.date.today()


@pytest.fixture
def approved(clinician, association, coordinator):
    from competencies.pathways import declare_goal

    pathway = declare_goal(clinician, association, "IMHM-C", TODAY - dt.timedelta(days=500))
    application = applications.submit(
        pathway,
        actor=clinician,
        signed={"code_of_ethics", "endorsement_agreement"},
        apply_anyway=True,
    )
    for status in ("under_review", "approved_for_exam"):
        applications.transition(application, status, actor=coordinator, role="coordinator")
    return application


def _sitting(association, coordinator, days_from_now):
    """Create a sitting as if scheduled ahead of time (dates in the past are refused now)."""
    return exams.create_sitting(
        association,
        held_on=TODAY + dt.timedelta(days=days_from_now),
        location="Lansing",
        capacity=10,
        actor=coordinator,
        today=TODAY + dt.timedelta(days=min(days_from_now, 0)),
    )


@pytest.mark.parametrize("score", [101, -5, float("nan"), True])
def test_out_of_range_scores_are_refused_and_nothing_is_written(
    approved, association, coordinator, score
):
    from competencies.models import Evidence

    sitting = _sitting(association, coordinator, -1)
    registration = exams.register(approved, sitting, actor=coordinator, today=sitting.held_on)
    with pytest.raises(WorkflowError) as exc:
        exams.record_result(registration, score, actor=coordinator)
    assert exc.value.field == "score"
    assert ExamRegistration.get_by_id(registration.id).score is None
    assert not Evidence.select().where(Evidence.kind == "exam").exists()
    assert Application.get_by_id(approved.id).status == "approved_for_exam"


def test_pass_at_the_rule_sets_mark_then_endorse(approved, association, coordinator):
    from competencies.models import Evidence
    from endorsement import reviews

    assert exams.needs_exam(approved) and exams.pass_mark(approved) == 80
    sitting = _sitting(association, coordinator, -1)
    registration = exams.register(approved, sitting, actor=coordinator, today=sitting.held_on)
    done = exams.record_result(registration, 80, actor=coordinator)
    assert done.passed is True
    assert Evidence.get_by_id(done.evidence_id).details == {"score": 80.0}
    assert Application.get_by_id(approved.id).status == "exam_passed"
    with pytest.raises(WorkflowError, match="endorse"):
        reviews.decide(approved, "deferred", actor=coordinator)
    # It applied anyway with requirements unmet: endorsing it takes a written override reason.
    with pytest.raises(WorkflowError, match="override reason"):
        reviews.decide(approved, "endorsed", actor=coordinator)
    reviews.decide(
        approved, "endorsed", actor=coordinator, override_reason="Equivalent work abroad, checked"
    )
    assert Application.get_by_id(approved.id).status == "endorsed"


def test_failed_exam_retake_only_after_the_interval(approved, association, coordinator):
    first = _sitting(association, coordinator, -30)
    registration = exams.register(approved, first, actor=coordinator, today=first.held_on)
    assert exams.record_result(registration, 79.5, actor=coordinator).passed is False
    assert Application.get_by_id(approved.id).status == "exam_failed"
    too_soon = _sitting(association, coordinator, 200)
    with pytest.raises(WorkflowError, match="retake is possible from"):
        exams.register(approved, too_soon, actor=coordinator)
    assert Application.get_by_id(approved.id).status == "exam_failed"
    later = _sitting(association, coordinator, 340)
    exams.register(approved, later, actor=coordinator)
    assert Application.get_by_id(approved.id).status == "retake"


def test_only_approved_applications_register(submitted, association, coordinator):
    sitting = _sitting(association, coordinator, 10)
    with pytest.raises(WorkflowError, match="approved for the exam"):
        exams.register(submitted, sitting, actor=coordinator)


def test_sitting_in_the_past_is_refused(association, coordinator):
    with pytest.raises(WorkflowError) as exc:
        exams.create_sitting(
            association,
            held_on=TODAY - dt.timedelta(days=1),
            location="X",
            capacity=5,
            actor=coordinator,
        )
    assert exc.value.field == "held_on"


def test_exam_page_refuses_101_with_a_message(client, auth, approved, association, coordinator):
    sitting = _sitting(association, coordinator, -1)
    registration = exams.register(approved, sitting, actor=coordinator, today=sitting.held_on)
    auth.login(coordinator.email)
    assert client.get("/endorsement/exams").status_code == 200
    response = client.post(
        f"/endorsement/exams/registrations/{registration.id}/result", data={"score": "101"}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "percentage from 0 to 100" in text and 'value="101"' in text
    response = client.post(
        f"/endorsement/exams/registrations/{registration.id}/result", data={"score": "92.5"}
    )
    assert response.status_code == 302
    assert ExamRegistration.get_by_id(registration.id).score == 92.5
