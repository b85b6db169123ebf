"""Review: reviewer eligibility and conflicts, two agreeing reviews, coordinators decide."""

from __future__ import annotations

import pytest

from endorsement import reviews
from endorsement.errors import NotVisible, WorkflowError
from endorsement.models import Application, Review


def _areas(application):
    from competencies.rulesets import bound_rule_set

    return [a.id for a in bound_rule_set(application.rule_set).areas_for(application.category)]


def test_only_endorsed_reviewers_without_conflict_are_eligible(
    submitted, make_reviewer, make_user, add_evidence, clinician, association, coordinator
):
    from competencies.endorsements import record_endorsement
    from endorsement import references

    ok = make_reviewer("ok@example.test", "IFS")  # same family, higher rank
    make_reviewer("early@example.test", "ECMHS")  # other family
    plain = make_user("plain@example.test", roles=("reviewer",))  # not endorsed
    supervisor = make_reviewer("rsc@example.test", "IMHS")
    add_evidence(clinician, "rsc", hours=2, provider=supervisor, details={"format": "individual"})
    rater = make_reviewer("rater@example.test", "IMHS")
    references.ask(
        submitted.pathway, email=rater.email, name="R", role="colleague", actor=clinician
    )
    lapsed = make_reviewer("lapsed@example.test", "IMHS")
    from competencies.models import Endorsement

    Endorsement.update(status="lapsed").where(Endorsement.clinician == lapsed).execute()
    assert [u.email for u in reviews.eligible_reviewers(submitted)] == [ok.email]
    assert reviews.conflict(submitted, supervisor) == "gave the applicant reflective supervision"
    assert "reference rating" in reviews.conflict(submitted, rater)
    assert "not endorsed" in reviews.conflict(submitted, plain)
    assert "not endorsed" in reviews.conflict(submitted, lapsed)
    for person in (supervisor, rater, plain):
        with pytest.raises(WorkflowError) as exc:
            reviews.assign(submitted, person, actor=coordinator)
        assert exc.value.field == "reviewer"
    assert not Review.select().exists()
    assert Application.get_by_id(submitted.id).status == "submitted"
    # The applicant is never their own reviewer, even when endorsed and a reviewer.
    record_endorsement(
        clinician, association, "IMHS", submitted.submitted_at.date(), actor=coordinator
    )
    assert reviews.conflict(submitted, clinician) == "is the applicant"


def test_two_reviews_agree_then_the_coordinator_endorses(submitted, make_reviewer, coordinator):
    from competencies.models import Endorsement, Pathway
    from lms.signals import endorsement_awarded

    a, b = make_reviewer("a@example.test"), make_reviewer("b@example.test")
    ra = reviews.assign(submitted, a, actor=coordinator)
    assert Application.get_by_id(submitted.id).status == "under_review"
    rb = reviews.assign(submitted, b, actor=coordinator)
    c = make_reviewer("c@example.test")
    with pytest.raises(WorkflowError, match="third one"):
        reviews.assign(submitted, c, actor=coordinator)
    with pytest.raises(WorkflowError, match="0 of 2"):
        reviews.decide(submitted, "endorsed", actor=coordinator)
    areas = _areas(submitted)
    reviews.complete(ra, actor=a, areas_met=areas, recommendation="endorsed")
    with pytest.raises(NotVisible):
        reviews.complete(rb, actor=a, areas_met=areas, recommendation="endorsed")
    reviews.complete(rb, actor=b, areas_met=areas[:3], recommendation="endorsed")
    with pytest.raises(WorkflowError, match="recommend"):
        reviews.decide(submitted, "deferred", actor=coordinator)
    heard = []

    def listener(sender, **kw):
        heard.append(sender)

    endorsement_awarded.connect(listener)
    try:
        reviews.decide(submitted, "endorsed", actor=coordinator)
    finally:
        endorsement_awarded.disconnect(listener)
    application = Application.get_by_id(submitted.id)
    assert application.status == "endorsed"
    endorsement = Endorsement.get_by_id(application.endorsement_id)
    assert endorsement.pathway_id == submitted.pathway_id and heard == [endorsement]
    assert Pathway.get_by_id(submitted.pathway_id).status == "endorsed"


def test_disagreement_needs_a_third_reviewer(submitted, make_reviewer, coordinator):
    a, b, c = (make_reviewer(f"{n}@example.test") for n in "abc")
    ra = reviews.assign(submitted, a, actor=coordinator)
    rb = reviews.assign(submitted, b, actor=coordinator)
    reviews.complete(ra, actor=a, areas_met=[], recommendation="endorsed")
    reviews.complete(rb, actor=b, areas_met=[], recommendation="deferred")
    assert reviews.needs_third(submitted)
    with pytest.raises(WorkflowError, match="disagree"):
        reviews.decide(submitted, "endorsed", actor=coordinator)
    rc = reviews.assign(submitted, c, actor=coordinator)
    reviews.complete(rc, actor=c, areas_met=[], recommendation="deferred")
    reviews.decide(submitted, "deferred", actor=coordinator)
    assert Application.get_by_id(submitted.id).status == "deferred"


def test_a_reviewer_posting_a_decision_gets_403_and_nothing_changes(
    client, auth, submitted, make_reviewer, coordinator
):
    a, b = make_reviewer("a@example.test"), make_reviewer("b@example.test")
    for person in (a, b):
        review = reviews.assign(submitted, person, actor=coordinator)
        reviews.complete(review, actor=person, areas_met=[], recommendation="endorsed")
    auth.login(a.email)
    response = client.post(
        f"/endorsement/applications/{submitted.id}/decide", data={"outcome": "endorsed"}
    )
    assert response.status_code == 403
    assert Application.get_by_id(submitted.id).status == "under_review"
    auth.logout()
    auth.login(coordinator.email)
    response = client.post(
        f"/endorsement/applications/{submitted.id}/decide", data={"outcome": "endorsed"}
    )
    assert response.status_code == 302
    assert Application.get_by_id(submitted.id).status == "endorsed"


def test_reviewer_pages_show_snapshot_and_ratings_side_by_side(
    client, auth, submitted, make_reviewer, coordinator
):
    a = make_reviewer("a@example.test")
    review = reviews.assign(submitted, a, actor=coordinator)
    other = make_reviewer("other@example.test")
    auth.login(other.email)
    assert client.get(f"/endorsement/reviews/{review.id}").status_code == 404
    assert client.get(f"/endorsement/applications/{submitted.id}").status_code == 404
    auth.logout()
    auth.login(a.email)
    page = client.get(f"/endorsement/reviews/{review.id}").get_data(as_text=True)
    assert "The evaluator&#39;s reasons" in page or "The evaluator's reasons" in page
    assert "Ratings by Rater 0" in page and "Demonstrated" in page
    response = client.post(f"/endorsement/reviews/{review.id}", data={"recommendation": "maybe"})
    assert response.status_code == 400
    assert Review.get_by_id(review.id).completed_at is None
    response = client.post(
        f"/endorsement/reviews/{review.id}",
        data={"recommendation": "endorsed", "areas_met": _areas(submitted)[:2]},
    )
    assert response.status_code == 302
    assert Review.get_by_id(review.id).areas_met == sorted(_areas(submitted)[:2])


def test_coordinator_of_another_association_gets_404(
    client, auth, submitted, make_user, make_association
):
    elsewhere = make_association("OH")
    outsider = make_user("oh@example.test", roles=("coordinator",), assoc=elsewhere)
    auth.login(outsider.email)
    assert client.get(f"/endorsement/applications/{submitted.id}").status_code == 404
    response = client.post(
        f"/endorsement/applications/{submitted.id}/decide", data={"outcome": "on_hold"}
    )
    assert response.status_code == 404
    assert Application.get_by_id(submitted.id).status == "submitted"
