"""A training dated after today is scheduled, not counted: the transcript page, its PDF and
competencies.figures leave it out of every total and say so (issue 16.5)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from tests.courses.conftest import TODAY

PAST = TODAY - dt.timedelta(days=3)
AHEAD = TODAY + dt.timedelta(days=10)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def mixed(association, clinician, trainer, make_training, actor):
    """3 h done three days ago, and 5 h recorded ahead (dated ten days from now)."""
    from competencies.models import Evidence
    from courses import completions
    from courses.models import Completion

    done = make_training("DONE-1", hours=3, title="Attachment basics")
    ahead = make_training("AHEAD-1", hours=5, title="Reflective practice")
    completions.record_completion(
        actor(trainer), clinician=clinician, training=done, completed_on=PAST, source="api"
    )
    later, _ = completions.record_completion(
        actor(trainer), clinician=clinician, training=ahead, completed_on=PAST, source="api"
    )
    # Dated ahead as a server whose clock runs ahead (or a day's time zone) would write it:
    # the services refuse a future date against their own clock, not against the reader's.
    Completion.update(completed_on=AHEAD).where(Completion.id == later.id).execute()
    Evidence.update(occurred_on=AHEAD).where(Evidence.id == later.evidence_id).execute()
    return clinician


def _pdf_text(client) -> str:
    from certificates.models import IssuedCertificate

    response = client.post("/certificates/transcript")
    assert response.status_code == 302, response.get_data(as_text=True)
    cert = IssuedCertificate.select().order_by(IssuedCertificate.id.desc()).get()
    pages = PdfReader(io.BytesIO(bytes(cert.pdf))).pages
    return " ".join(p.extract_text() for p in pages).replace("\n", " ")


def test_the_pdf_total_leaves_out_a_training_dated_ahead(client, auth, association, mixed):
    from competencies.figures import headline
    from competencies.pathways import declare_goal, evaluate_pathways

    pathway = declare_goal(mixed, association, "IFA", TODAY - dt.timedelta(days=100))
    (ev,) = evaluate_pathways([pathway], TODAY)
    assert headline(ev).training_hours == 3  # the figure every page shows

    auth.login(mixed.email)
    pdf = _pdf_text(client)
    assert "Total counted hours: 3" in pdf
    assert "1 counted trainings" in pdf or "1 counted training " in pdf
    assert f"Scheduled, not yet counted (dated after {TODAY.isoformat()})" in pdf
    assert "Reflective practice" in pdf

    page = _text(client.get("/courses/transcript").get_data(as_text=True))
    assert "1 training, 3 clock hours count toward" in page
    assert f"Scheduled for {AHEAD.isoformat()}: not yet counted" in page


def test_without_a_pathway_the_page_total_leaves_it_out_too(client, auth, mixed):
    auth.login(mixed.email)
    page = _text(client.get("/courses/transcript").get_data(as_text=True))
    assert "1 verified training, 3 clock hours." in page
    assert "not yet counted" in page


def test_the_csv_says_scheduled(client, auth, mixed):
    auth.login(mixed.email)
    csv_text = client.get("/courses/transcript.csv").get_data(as_text=True)
    (line,) = [row for row in csv_text.splitlines() if "AHEAD-1" in row]
    assert "Scheduled, not yet counted" in line
