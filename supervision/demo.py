"""Demo data: the demo provider's credential, supervisees with attested, pending and rejected
sessions, and one clinician whose RSC window closes short of hours."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from lms.models import Agency, Association, User, utcnow

DEMO_CLINICIANS = {
    "clinician3@demo.example": "Demo Clinician Three (on track)",
    "clinician4@demo.example": "Demo Clinician Four (window closing)",
}


def on_demo(
    app: Flask, *, association: Association, users: dict[str, User], password: str, **_: object
) -> None:
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user
    from supervision.credentials import record_credential
    from supervision.models import ProviderCredential

    provider = users.get("rsc_provider")
    coordinator = users.get("coordinator")
    if provider is None:
        return
    install_defaults()
    today = dt.date.today()
    if not ProviderCredential.select().where(ProviderCredential.provider == provider).exists():
        record_credential(
            provider,
            association,
            "IMHS",
            today - dt.timedelta(days=3000),
            actor=coordinator or provider,
        )
    agency = Agency.select().where(Agency.association == association).first()
    people = {}
    for email, name in DEMO_CLINICIANS.items():
        user = User.by_email(email).first()
        if user is None:
            user = create_user(
                email,
                name,
                roles=("clinician",),
                association=association,
                agency=agency,
                password=password,
            )
        people[email] = user
    _on_track(association, people["clinician3@demo.example"], provider, password, today)
    clinician = users.get("clinician")
    if clinician is not None and not _has_sessions(clinician):
        # Waits for the demo provider, who sees it on their page.
        _log(clinician, association, provider, today - dt.timedelta(days=10), 1.5)
    _window_closing(association, people["clinician4@demo.example"], provider, password, today)


def _has_sessions(user: User) -> bool:
    from supervision.models import RscSession

    return RscSession.select().where(RscSession.clinician == user).exists()


def _goal(user: User, association: Association, started: dt.date) -> None:
    from competencies.models import Pathway
    from competencies.pathways import declare_goal

    if not Pathway.select().where(Pathway.clinician == user).exists():
        declare_goal(user, association, "IMHS", started)


def _log(user, association, provider, day, hours, fmt="individual", **kw):
    from supervision.rules import SessionInput
    from supervision.services import log_session

    group = kw.pop("group_size", None)
    return log_session(
        user,
        association,
        provider,
        SessionInput(day, hours, fmt, kw.pop("facilitated", False), group, **kw),
        today=dt.date.today(),
    )


def _on_track(association, user, provider, password, today) -> None:
    from supervision import services
    from supervision.models import RscSession

    _goal(user, association, today - dt.timedelta(days=430))
    if _has_sessions(user):
        return
    attested = [
        _log(user, association, provider, today - dt.timedelta(days=d), 2.0)
        for d in range(400, 29, -30)
    ]
    services.attest(attested, provider=provider, password=password)
    old = _log(
        user,
        association,
        provider,
        today - dt.timedelta(days=12),
        1.5,
        private_note="Talked about the Jones family visit; felt stuck.",
    )
    # Logged twelve days ago: the reminder command has something to send.
    RscSession.update(created_at=utcnow() - dt.timedelta(days=12)).where(
        RscSession.id == old.id
    ).execute()
    _log(
        user,
        association,
        provider,
        today - dt.timedelta(days=3),
        1.5,
        "group",
        facilitated=True,
        group_size=5,
    )
    wrong = _log(user, association, provider, today - dt.timedelta(days=20), 3.0)
    services.reject(
        wrong, provider=provider, reason="I did not see you that day; the session was 1 hour."
    )


def _window_closing(association, user, provider, password, today) -> None:
    from supervision import services

    _goal(user, association, today - dt.timedelta(days=700))
    if _has_sessions(user):
        return
    attested = [
        _log(user, association, provider, today - dt.timedelta(days=d), 2.0)
        for d in range(680, 289, -30)
    ]
    services.attest(attested, provider=provider, password=password)
    _log(
        user,
        association,
        provider,
        today - dt.timedelta(days=150),
        2.0,
        "peer",
        group_size=4,
    )
