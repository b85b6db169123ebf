"""Demo data of the courses plugin: a dozen trainings, sessions, completions, LMS accounts."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from lms.models import Association, User

# code, title, format, hours, areas, tags, prerequisite code, xAPI activity
TRAININGS = (
    (
        "TF-101",
        "Foundations of infant development",
        "college_course",
        15,
        ("TF-PREG", "TF-DEV"),
        (),
        None,
        None,
    ),
    (
        "TF-201",
        "Attachment, separation and loss",
        "in_service",
        6,
        ("TF-ATTACH", "TF-FAMILY"),
        (),
        "TF-101",
        None,
    ),
    (
        "DEI-110",
        "Culture and equity in infant mental health",
        "in_service",
        3,
        ("TF-CULTURE",),
        ("dei",),
        None,
        None,
    ),
    (
        "LAW-120",
        "Ethics and mandated reporting",
        "in_service",
        3,
        ("LAW-ETHICS", "LAW-GOV"),
        (),
        None,
        None,
    ),
    (
        "SYS-130",
        "Navigating early childhood systems",
        "conference",
        4,
        ("SYS-DELIVERY", "SYS-COLLAB"),
        (),
        None,
        None,
    ),
    (
        "DSS-140",
        "Observation and developmental screening",
        "in_service",
        6,
        ("DSS-OBSERVE", "DSS-SCREEN"),
        (),
        None,
        None,
    ),
    (
        "DSS-240",
        "Safety planning with families",
        "online",
        2,
        ("DSS-SAFETY", "DSS-PLAN"),
        (),
        None,
        "https://lms.demo.example/course/240",
    ),
    (
        "WWO-150",
        "Partnering with families and colleagues",
        "in_service",
        3,
        ("WWO-RELATIONSHIPS", "WWO-COLLAB"),
        (),
        None,
        None,
    ),
    (
        "COM-160",
        "Writing and speaking about infants",
        "online",
        2,
        ("COM-WRITE", "COM-SPEAK"),
        (),
        None,
        None,
    ),
    (
        "THK-170",
        "Clinical reasoning in home visiting",
        "in_service",
        4,
        ("THK-ANALYSE", "THK-SOLVE"),
        (),
        None,
        None,
    ),
    (
        "RSC-300",
        "Reflective supervision in practice",
        "conference",
        15,
        ("REF-CONTEMPLATE", "REF-PARALLEL"),
        ("rsc-topic",),
        "TF-201",
        None,
    ),
    (
        "REF-180",
        "Self-awareness and emotional response",
        "in_service",
        3,
        ("REF-SELF", "REF-EMOTION"),
        (),
        None,
        None,
    ),
)
# A minimal one-page PDF, enough for the verification queue to show a certificate.
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXTRA = (
    ("clinician2@demo.example", "Demo Clinician Two (new)", ()),
    ("clinician3@demo.example", "Demo Clinician Three", ("TF-101", "TF-201", "DSS-140", "LAW-120")),
    ("clinician4@demo.example", "Demo Clinician Four", ("DEI-110", "RSC-300")),
)
# The demo's learning platform (DSS-240's activity lives there) names learners by user id, as
# Moodle does; xAPI statements with these accounts find the clinicians.
LMS_HOME_PAGE = "https://lms.demo.example"
LMS_ACCOUNTS = (("clinician@demo.example", "1001"), ("clinician3@demo.example", "1003"))


def on_demo(
    app: Flask, *, association: Association, users: dict[str, User], password: str, **_: object
) -> None:
    from courses import completions, lms_accounts, self_reports, trainings
    from courses.models import Completion, Session, Training
    from lms.accounts import create_user
    from lms.permissions import actor_for

    trainer, coordinator = users.get("trainer"), users.get("coordinator")
    if trainer is None or coordinator is None:
        return
    today = dt.date.today()
    by_trainer = actor_for(trainer)
    by_code: dict[str, Training] = {}
    for code, title, fmt, hours, areas, tags, prereq, iri in TRAININGS:
        found = Training.get_or_none(
            (Training.association == association) & (Training.code == code)
        )
        if found is None:
            found = trainings.save_training(
                by_trainer,
                association,
                {
                    "code": code,
                    "title": title,
                    "provider": "Demo Infant Mental Health Association",
                    "format": fmt,
                    "hours": hours,
                    "areas": {a: None for a in areas},
                    "tags": tags,
                    "activity_iri": iri,
                    "hours_from_duration": iri is not None,
                },
                prerequisites=[by_code[prereq].id] if prereq else [],
            )
            trainings.add_session(
                by_trainer,
                found,
                starts_on=today - dt.timedelta(days=60),
                location="" if fmt == "online" else "Lakeshore Family Services, Room 2",
                online=fmt == "online",
                capacity=30,
            )
            trainings.add_session(
                by_trainer,
                found,
                starts_on=today + dt.timedelta(days=30),
                location="" if fmt == "online" else "Riverbend Community Mental Health",
                online=fmt == "online",
                capacity=25,
            )
        by_code[code] = found

    def complete(clinician: User, code: str, days_ago: int) -> None:
        training = by_code[code]
        session = (
            Session.select()
            .where((Session.training == training) & (Session.starts_on <= today))
            .first()
        )
        completions.record_completion(
            by_trainer,
            clinician=clinician,
            training=training,
            completed_on=today - dt.timedelta(days=days_ago),
            source="roster",
            session=session,
        )

    clinician = users.get("clinician")
    if clinician is not None:
        for code in ("TF-101", "DEI-110", "RSC-300"):  # RSC-300 without TF-201: flagged
            complete(clinician, code, 58)
    people: dict[str, User] = {}
    for email, name, codes in EXTRA:
        user = User.by_email(email).first() or create_user(
            email, name, roles=("clinician",), association=association, password=password
        )
        people[email] = user
        for code in codes:
            complete(user, code, 58)
    by_coordinator = actor_for(coordinator)
    for email, name in LMS_ACCOUNTS:  # a link already made is returned, not made again
        lms_accounts.link_for(by_coordinator, association, email, LMS_HOME_PAGE, name)
    reporter = clinician or people["clinician2@demo.example"]
    if (
        not Completion.select()
        .where((Completion.clinician == reporter) & (Completion.source == "self-report"))
        .exists()
    ):
        self_reports.report_training(
            actor_for(reporter),
            training=None,
            title="Infant massage for caregivers",
            provider="Northern Parenting Institute",
            completed_on=today - dt.timedelta(days=20),
            hours=2,
            areas=["DSS-PLAN"],
            certificate=DEMO_PDF,
            filename="infant-massage.pdf",
            content_type="application/pdf",
        )
    rejected = people["clinician4@demo.example"]
    if (
        not Completion.select()
        .where((Completion.clinician == rejected) & (Completion.source == "self-report"))
        .exists()
    ):
        row = self_reports.report_training(
            actor_for(rejected),
            training=None,
            title="Weekend wellness retreat",
            provider="Spa Lakeshore",
            completed_on=today - dt.timedelta(days=40),
            hours=6,
            areas=[],
            certificate=DEMO_PDF,
            filename="retreat.pdf",
            content_type="application/pdf",
        )
        completions.decide(
            actor_for(coordinator),
            row,
            accept=False,
            reason="Not about infants and families; it cannot count toward the Endorsement.",
        )
