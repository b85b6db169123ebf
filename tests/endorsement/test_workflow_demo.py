"""Demo data: applications in several statuses and an endorsee with a renewal due."""

from __future__ import annotations


def test_demo_creates_the_workflow_and_is_idempotent(app, runner):
    from competencies.models import Endorsement
    from endorsement.models import Application, Review
    from lms.models import User

    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    statuses = {a.category + ":" + a.status for a in Application.select()}
    assert statuses == {"IFA:submitted", "IFA:under_review", "IFS:on_hold"}
    waiting = Review.select().where(Review.completed_at.is_null())
    assert [r.reviewer.email for r in waiting] == ["reviewer@demo.example"]
    endorsee = User.by_email("clinician14@demo.example").get()
    endorsement = Endorsement.get(Endorsement.clinician == endorsee)
    assert endorsement.status == "active" and endorsement.renewal_due.year == (
        endorsement.awarded_on.year + 1
    )
    counts = (Application.select().count(), Review.select().count(), Endorsement.select().count())
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert counts == (
        Application.select().count(),
        Review.select().count(),
        Endorsement.select().count(),
    )
