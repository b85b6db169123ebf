"""Fixtures of the courses tests: people of the association, a catalogue, table counts."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date.today()


@pytest.fixture
def coordinator(make_user, defaults):
    return make_user("coord@example.test", roles=("coordinator",))


@pytest.fixture
def trainer(make_user, defaults):
    return make_user("trainer@example.test", roles=("trainer",))


@pytest.fixture
def clinician(make_user, defaults):
    return make_user("ana@example.test", display_name="Ana Ortiz")


@pytest.fixture
def actor():
    from lms.permissions import actor_for

    return actor_for


@pytest.fixture
def make_training(association, trainer, actor):
    from courses import trainings

    def make(code="NBO-101", hours=3.0, areas=("TF-DEV", "TF-ATTACH"), owner=None, **kw):
        values = {
            "code": code,
            "title": kw.pop("title", f"Training {code}"),
            "format": kw.pop("format", "in_service"),
            "hours": hours,
            "areas": areas if isinstance(areas, dict) else {a: None for a in areas},
            "tags": kw.pop("tags", ()),
            **kw,
        }
        prerequisites = values.pop("prerequisites", None)
        return trainings.save_training(
            actor(owner or trainer), association, values, prerequisites=prerequisites
        )

    return make


@pytest.fixture
def counts():
    """Return a function giving the row count of every table the plugin writes."""
    from competencies.models import Evidence
    from courses.models import MODELS
    from lms.models import AuditLog

    def count():
        return {m.__name__: m.select().count() for m in (*MODELS, Evidence, AuditLog)}

    return count
