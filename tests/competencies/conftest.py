"""Fixtures of the competencies tests: the shipped rules and a clinician with a goal."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date.today()


@pytest.fixture
def clinician(make_user, defaults):
    return make_user("clinician@example.test", display_name="Zoë Ñúñez")


FAR = (TODAY + dt.timedelta(days=700)).isoformat()


@pytest.fixture
def ifa_areas(defaults):
    from competencies.rulesets import bound_rule_set

    return [a.id for a in bound_rule_set(defaults[-1]).areas_for("IFA")]


@pytest.fixture
def make_ifa(make_user, association, ifa_areas):
    """Create a clinician working toward IFA with controlled evidence; return the user."""
    from competencies import ledger
    from competencies.pathways import declare_goal

    def make(
        name,
        *,
        started=100,
        trainings=((60, 20), (20, 5)),
        refs=3,
        member_until=FAR,
        base_days=100,
        agency=None,
        category="IFA",
        **kw,
    ):
        email = name.lower().replace(" ", ".").replace('"', "").replace("=", "") + "@example.test"
        user = make_user(email[-60:], display_name=name, agency=agency, **kw)

        def add(kind, days, **extra):
            extra.setdefault("status", "verified")
            ledger.record(
                clinician=user,
                association=association,
                kind=kind,
                occurred_on=TODAY - dt.timedelta(days=days),
                source="test",
                **extra,
            )

        add("education", max(base_days, 900), details={"level": "bachelor"})
        for _ in range(refs):
            add("reference", base_days, details={"void": False})
        for doc in ("code_of_ethics", "endorsement_agreement"):
            add("agreement", base_days, details={"document": doc})
        add("membership", base_days, details={"valid_until": member_until})
        for i, (days, hours) in enumerate(trainings):
            add("training", days, hours=hours, areas=ifa_areas if i == 0 else ())
        declare_goal(user, association, category, TODAY - dt.timedelta(days=started))
        return user

    return make


@pytest.fixture
def cohort(make_ifa, make_user, association):
    """One clinician per bucket (two ways each to be at risk and stalled)."""
    from lms.models import Agency

    north = Agency.create(association=association, name="North Clinic")
    south = Agency.create(association=association, name="South Clinic")
    soon_date = (TODAY + dt.timedelta(days=30)).isoformat()
    return {
        "ready": make_ifa("Ana Ready", trainings=((30, 30),), agency=north),
        "soon": make_ifa("Ben Soon", agency=north),
        "track": make_ifa("Cara Track", trainings=((60, 10),), agency=south),
        "late": make_ifa("Dev Late", trainings=((60, 10),), started=400, agency=south),
        "warned": make_ifa("Eli Warned", member_until=soon_date, agency=south),
        "idle": make_ifa("Fay Idle", trainings=((200, 25),), base_days=200, agency=north),
        "noref": make_ifa("Gus Noref", refs=0),
    }
