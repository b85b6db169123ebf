"""Demo data of the competencies plugin: defaults, a framework, goals and evidence."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from lms.models import Association, User


def on_demo(app: Flask, *, association: Association, users: dict[str, User], **_: object) -> None:
    from competencies.rulesets import install_defaults

    install_defaults()
    clinician = users.get("clinician")
    if clinician is not None:
        _demo_clinician(association, clinician, users)


def _demo_clinician(association: Association, clinician: User, users: dict[str, User]) -> None:
    from competencies import ledger
    from competencies.models import Evidence, Pathway
    from competencies.pathways import declare_goal

    today = dt.date.today()
    if not Pathway.select().where(Pathway.clinician == clinician).exists():
        declare_goal(clinician, association, "IMHS", today - dt.timedelta(days=420))
    if Evidence.select().where(Evidence.clinician == clinician).exists():
        return

    def add(kind: str, days_ago: int, **kw: object) -> None:
        ledger.record(
            clinician=clinician,
            association=association,
            kind=kind,
            occurred_on=today - dt.timedelta(days=days_ago),
            source="demo",
            **kw,
        )

    add(
        "education",
        2000,
        status="verified",
        details={"level": "master", "field": "Social work"},
        label="Master of Social Work",
    )
    add(  # a period still going on, begun after the master's degree above
        "work",
        940,
        status="verified",
        label="Home visiting clinician",
        details={
            "kind": "dyadic_clinical",
            "start": (today - dt.timedelta(days=940)).isoformat(),
            "end": None,
            "paid": True,
            "post_degree": True,
            "families": 24,
        },
    )
    add(
        "membership",
        60,
        status="verified",
        label="Association membership",
        details={"valid_until": (today + dt.timedelta(days=300)).isoformat()},
    )
    add(
        "agreement",
        400,
        status="verified",
        label="Code of Ethics",
        details={"document": "code_of_ethics"},
    )
    add(
        "reference",
        90,
        status="verified",
        label="Reference from supervisor",
        details={"void": False, "rater_role": "supervisor"},
        areas=["REF-CONTEMPLATE", "WWO-RELATIONSHIPS", "THK-JUDGE"],
    )
    trainings = [
        (380, 6, ["TF-PREG", "TF-DEV"], [], "Pregnancy and the first year"),
        (330, 6, ["TF-ATTACH", "TF-CULTURE"], ["dei"], "Attachment across cultures"),
        (300, 3, ["LAW-ETHICS", "LAW-AGENCY"], [], "Ethics in home visiting"),
        (240, 6, ["DSS-OBSERVE", "DSS-SCREEN", "DSS-SAFETY"], [], "Observation and screening"),
        (170, 3, ["TF-RELPRACTICE", "TF-FAMILY"], [], "Relationship-focused practice"),
        (120, 4, ["COM-LISTEN", "COM-SPEAK", "THK-ANALYSE"], [], "Listening and analysing"),
        (45, 3, ["SYS-DELIVERY", "SYS-RESOURCES"], [], "Service systems for families"),
    ]
    for days_ago, hours, areas, tags, title in trainings:
        add(
            "training",
            days_ago,
            status="verified",
            hours=hours,
            areas=areas,
            tags=tags,
            label=title,
        )
    provider = users.get("rsc_provider")
    for days_ago in range(400, 20, -30):
        add(
            "rsc",
            days_ago,
            status="attested",
            hours=2,
            provider=provider,
            label="Reflective supervision",
            details={
                "format": "individual",
                "provider_credentials": ["IMHS"],
                "provider_name": provider.display_name if provider else "",
            },
        )
    add(
        "rsc",
        50,
        status="attested",
        hours=3,
        label="Peer consultation group",
        details={"format": "peer", "facilitated": False, "provider_credentials": []},
    )
    # The session waiting for attestation is logged by supervision's demo, on the provider's
    # page: a pending ledger row without a logged session would wait for nobody.
