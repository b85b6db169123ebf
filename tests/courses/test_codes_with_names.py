"""Every code a person reads comes with its name (issue 16.9): areas, statuses, categories."""

from __future__ import annotations

import datetime as dt

from tests.courses.conftest import TODAY


def test_catalogue_shows_each_area_code_with_its_name(client, auth, clinician, make_training):
    make_training("DEI-110", hours=3, areas=("TF-CULTURE", "TF-DEV"))
    auth.login(clinician.email)
    html = client.get("/courses/").get_data(as_text=True)
    assert "Cultural competence (TF-CULTURE)" in html
    assert "Infant/very young child development &amp; behaviour (TF-DEV)" in html


def test_ledger_shows_kind_and_status_by_name(app, client, auth, clinician, association):
    from competencies import ledger

    ledger.record(
        clinician=clinician,
        association=association,
        kind="education",
        occurred_on=TODAY - dt.timedelta(days=400),
        status="pending",
        details={"level": "master"},
        label="MSW, State University",
        source="self",
    )
    auth.login(clinician.email)
    html = client.get("/competencies/evidence").get_data(as_text=True)
    assert "Education record" in html and "Waiting for verification" in html


def test_completion_status_words_are_the_ledgers(app):
    from competencies.vocabulary import EVIDENCE_STATUS_LABELS
    from courses.transcript import STATUS_WORDS
    from lms import vocabulary

    assert STATUS_WORDS == EVIDENCE_STATUS_LABELS
    assert vocabulary.label("void", "evidence_status") == "Withdrawn"
