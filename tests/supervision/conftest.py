"""Fixtures of the supervision tests: rules, a clinician with a goal, an eligible provider."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date.today()


@pytest.fixture
def coordinator(make_user):
    return make_user("coord@example.test", roles=("coordinator",))


@pytest.fixture
def clinician(make_user, defaults, association):
    from competencies.pathways import declare_goal

    user = make_user("clinician@example.test", display_name="Zoë Ñúñez")
    declare_goal(user, association, "IMHS", TODAY - dt.timedelta(days=400))
    return user


@pytest.fixture
def provider(make_user, association, coordinator, defaults):
    from supervision.credentials import record_credential

    user = make_user("provider@example.test", roles=("rsc_provider",), display_name="Pat Provider")
    record_credential(user, association, "IMHS", TODAY - dt.timedelta(days=2000), actor=coordinator)
    return user


@pytest.fixture
def session_input():
    from supervision.rules import SessionInput

    def make(days_ago=10, hours=1.5, fmt="individual", **kw):
        return SessionInput(TODAY - dt.timedelta(days=days_ago), hours, fmt, **kw)

    return make


@pytest.fixture
def log(clinician, provider, association, session_input):
    """Log a pending session of the clinician with the provider."""
    from supervision.services import log_session

    def make(days_ago=10, hours=1.5, fmt="individual", who=None, with_=None, **kw):
        return log_session(
            who or clinician,
            association,
            with_ or provider,
            session_input(days_ago, hours, fmt, **kw),
        )

    return make
