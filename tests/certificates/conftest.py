"""Fixtures of the certificates tests: a clinician on a pathway with evidence, a coordinator."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

TODAY = dt.date.today()
NAME = "Zoë Ñúñez-Łukasiewicz"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def clinician(make_user, defaults):
    return make_user("clinician@example.test", display_name=NAME)


@pytest.fixture
def on_pathway(clinician, association, add_evidence):
    """The clinician works toward IMHS and has two counted trainings (9 h)."""
    from competencies.pathways import declare_goal

    declare_goal(clinician, association, "IMHS", TODAY - dt.timedelta(days=400))
    add_evidence(
        clinician,
        days_ago=300,
        hours=6,
        areas=["TF-PREG", "TF-DEV"],
        label="Pregnancy and the first year",
        source="courses",
    )
    add_evidence(
        clinician, days_ago=100, hours=3, areas=["LAW-ETHICS"], label="Ethics in home visiting"
    )
    return clinician


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator@example.test", roles=("coordinator",))


@pytest.fixture
def endorsement(on_pathway, association, coordinator):
    """An IMHS endorsement awarded today (its certificate is issued by the signal)."""
    from competencies.endorsements import record_endorsement

    return record_endorsement(on_pathway, association, "IMHS", TODAY, actor=coordinator)
