"""Fixtures of the competencies tests: the shipped rules and a clinician with a goal."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date.today()


@pytest.fixture
def defaults(app):
    from competencies.rulesets import install_defaults

    return install_defaults()


@pytest.fixture
def clinician(make_user, defaults):
    return make_user("clinician@example.test", display_name="Zoë Ñúñez")


@pytest.fixture
def add_evidence(association):
    """Record a ledger row for a clinician (verified by default)."""
    from competencies import ledger

    def add(clinician, kind="training", days_ago=30, status="verified", **kw):
        kw.setdefault("source", "test")
        return ledger.record(
            clinician=clinician,
            association=association,
            kind=kind,
            occurred_on=TODAY - dt.timedelta(days=days_ago),
            status=status,
            **kw,
        )

    return add
