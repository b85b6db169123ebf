"""Fixtures of the workflow tests: endorsed reviewers, a ready clinician.

The workflow is part of the competencies plugin: its public blueprint and demo receiver are
fields of competencies' Plugin, registered by the loader on every app.
"""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date.today()


@pytest.fixture
def coordinator(make_user, defaults):
    return make_user("coord@example.test", roles=("coordinator",), display_name="Cora Coordinator")


@pytest.fixture
def make_reviewer(make_user, association, coordinator):
    """Create a reviewer endorsed (active) in a category of the association."""
    from competencies.endorsements import record_endorsement

    def make(email, category="IMHS", roles=("reviewer",)):
        user = make_user(email, roles=roles, display_name=email.split("@")[0].title())
        record_endorsement(user, association, category, TODAY, actor=coordinator)
        return user

    return make


@pytest.fixture
def clinician(make_user, defaults):
    return make_user("clin@example.test", display_name="Zoë Ñúñez")


@pytest.fixture
def pathway(clinician, association):
    from competencies.pathways import declare_goal

    return declare_goal(clinician, association, "IFA", TODAY - dt.timedelta(days=200))


@pytest.fixture
def ready_pathway(pathway, clinician, add_evidence):
    """Make the IFA pathway ready except for the agreements (signed when applying)."""
    from competencies.rulesets import bound_rule_set
    from endorsement import references

    areas = [a.id for a in bound_rule_set(pathway.rule_set).areas_for("IFA")]
    add_evidence(
        clinician,
        "education",
        days_ago=900,
        details={"level": "bachelor", "field": "Psychology"},
        label="BA",
    )
    add_evidence(clinician, "training", hours=32, areas=areas, label="Foundations")
    add_evidence(
        clinician,
        "membership",
        details={"valid_until": (TODAY + dt.timedelta(days=300)).isoformat()},
        label="Membership",
    )
    for i in range(3):
        issued = references.ask(
            pathway,
            email=f"rater{i}@example.test",
            name=f"Rater {i}",
            role="supervisor",
            actor=clinician,
        )
        references.rate(issued.token, dict.fromkeys(areas, "demonstrated"))
    return pathway


@pytest.fixture
def submitted(ready_pathway, clinician):
    from endorsement import applications

    return applications.submit(
        ready_pathway, actor=clinician, signed={"code_of_ethics", "endorsement_agreement"}
    )
