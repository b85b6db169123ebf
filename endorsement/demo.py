"""Demo data of the workflow: applications in several statuses, reviewers, a renewal due."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from lms.models import Association, User

REVIEWERS = (
    ("reviewer2@demo.example", "Robin Okafor"),
    ("reviewer3@demo.example", "Sam Lindqvist"),
)
# email, name, category, what happens to the application
CLINICIANS = (
    ("clinician11@demo.example", "Avery Brooks", "IFA", "submitted"),
    ("clinician12@demo.example", "Jordan Reyes", "IFA", "under_review"),
    ("clinician13@demo.example", "Maya Chen", "IFS", "on_hold"),
    ("clinician14@demo.example", "Noah Patel", "IFA", "endorsed"),
)


def _user(email: str, name: str, role: str, association: Association, password: str) -> User:
    from lms.accounts import create_user

    user = User.by_email(email).first()
    if user is None:
        agency = association.agencies.first()
        user = create_user(
            email, name, roles=(role,), association=association, agency=agency, password=password
        )
    return user


def on_demo(
    app: Flask, *, association: Association, users: dict[str, User], password: str, **_: object
) -> None:
    from competencies.endorsements import record_endorsement
    from competencies.models import Endorsement
    from competencies.rulesets import install_defaults

    install_defaults()
    today = dt.date.today()
    reviewers = [users["reviewer"]] if "reviewer" in users else []
    reviewers += [_user(e, n, "reviewer", association, password) for e, n in REVIEWERS]
    for i, reviewer in enumerate(reviewers):
        if not Endorsement.select().where(Endorsement.clinician == reviewer).exists():
            record_endorsement(
                reviewer,
                association,
                "IMHM-C" if i == 0 else "IMHS",
                min(today, dt.date(today.year, 1, 2)),
                actor=users.get("coordinator"),
            )
    coordinator = users.get("coordinator")
    for email, name, category, outcome in CLINICIANS:
        clinician = _user(email, name, "clinician", association, password)
        _demo_application(association, clinician, category, outcome, coordinator, reviewers)


def _demo_application(association, clinician, category, outcome, coordinator, reviewers) -> None:
    from competencies import ledger
    from competencies.endorsements import record_endorsement
    from competencies.models import Endorsement, Pathway
    from competencies.pathways import declare_goal
    from endorsement import applications, references, registry, reviews
    from endorsement.models import Review

    if (
        Pathway.select().where(Pathway.clinician == clinician).exists()
        or Endorsement.select().where(Endorsement.clinician == clinician).exists()
    ):
        return
    today = dt.date.today()
    if outcome == "endorsed":
        record_endorsement(
            clinician, association, category, dt.date(today.year - 1, 6, 1), actor=coordinator
        )
        registry.set_listing(clinician, show_city=True)
        clinician.city = "Lakeshore"
        clinician.save()
        ledger.record(
            clinician=clinician,
            association=association,
            kind="training",
            occurred_on=dt.date(today.year, 1, 15) if today.month > 1 else today,
            status="verified",
            source="demo",
            hours=6,
            label="Relationship-based practice refresher",
        )
        return
    pathway = declare_goal(clinician, association, category, today - dt.timedelta(days=300))
    ledger.record(
        clinician=clinician,
        association=association,
        kind="training",
        occurred_on=today - dt.timedelta(days=100),
        status="verified",
        source="demo",
        hours=12,
        areas=["TF-PREG", "TF-DEV", "COM-LISTEN"],
        label="Foundations of infant mental health",
    )
    issued = references.ask(
        pathway,
        email=f"rater.{clinician.id}@demo.example",
        name="Pat Rater",
        role="supervisor",
        actor=clinician,
    )
    areas = references.areas_to_rate(pathway)
    references.rate(issued.token, {a.id: "demonstrated" for a in areas})
    application = applications.submit(
        pathway,
        actor=clinician,
        signed={"code_of_ethics", "endorsement_agreement"},
        apply_anyway=True,
    )
    if outcome == "on_hold":
        applications.transition(
            application,
            "on_hold",
            actor=coordinator,
            role=applications.COORDINATOR,
            note="Membership proof missing",
        )
    elif outcome == "under_review":
        for reviewer in reviewers[:2]:
            reviews.assign(application, reviewer, actor=coordinator)
        reviewers = reviewers[:2]
        # The second reviewer has sent their review; the first one (the demo reviewer) has not.
        second = Review.get_or_none(
            (Review.application == application) & (Review.reviewer == reviewers[-1])
        )
        if second is not None and len(reviewers) > 1:
            reviews.complete(
                second,
                actor=reviewers[1],
                areas_met=[a.id for a in areas],
                recommendation="endorsed",
                comment="Strong reference and clear reflective practice.",
            )
