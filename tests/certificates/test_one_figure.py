"""One figure everywhere: every count and total shown for a clinician comes from the same
evaluation of the same day, on the transcript, the pathway page, its chart, the RSC page, the
progress PDF, the readiness report and the API (issue 16.5).

The demo clinician has mixed evidence: trainings from the roster and from the association's
records, one self-reported training still pending, attested sessions inside and outside what
counts (a peer group), a reference, a pending session logged for the provider to attest.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask import g
from pypdf import PdfReader

from competencies import readiness
from competencies.figures import headline, percent
from competencies.pathways import evaluate_pathways, open_pathways
from lms.demo import DEV_PASSWORD
from lms.models import Association, User
from supervision import rules
from supervision import services as rsc
from supervision.models import RscSession


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("&#39;", "'")
    return re.sub(r"\s+", " ", text)


def _forget_actor() -> None:
    # The test holds one app context for all its requests: forget who the last one was.
    for name in ("lms_actor", "_login_user", "api_token"):
        g.pop(name, None)


def _h(value: float) -> str:
    return f"{value:g}"


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    clinician = User.by_email("clinician@demo.example").get()
    provider = User.by_email("rsc_provider@demo.example").get()
    association = Association.get(Association.code == "DEMO")
    logged = rsc.log_session(
        clinician,
        association,
        provider,
        rules.SessionInput(occurred_on=dt.date.today() - dt.timedelta(days=3), hours=1.0),
    )
    # A reference asked for and not yet rated: requested, not received.
    from competencies.pathways import open_pathways as pathways_of
    from endorsement import references

    references.ask(
        list(pathways_of(clinician))[0],
        email="rater.one@example.test",
        name="Rae Rater",
        role="supervisor",
        actor=clinician,
    )
    return clinician, provider, association, logged


def test_every_page_shows_the_figures_of_one_evaluation(demo, client, auth, api_token):
    clinician, provider, association, logged = demo
    today = dt.date.today()
    (ev,) = evaluate_pathways(list(open_pathways(clinician)), today)
    figures = headline(ev)
    leaves = {leaf.type: leaf for leaf in ev.result.leaves()}
    training, rsc_leaf, refs = leaves["training_hours"], leaves["rsc_hours"], leaves["references"]
    # The evidence is mixed: something of each kind does not count.
    assert ev.result.all_not_counted(), "the scenario must hold evidence that does not count"
    assert figures.training_hours == training.figures.value
    assert figures.rsc_hours == rsc_leaf.figures.value
    assert figures.references == refs.figures.value
    pct = percent(ev.result.progress, bool(ev.result.ready))

    assert auth.login(clinician.email, DEV_PASSWORD).status_code == 302

    transcript = _text(client.get("/courses/transcript").get_data(as_text=True))
    assert f"{_h(figures.training_hours)} clock hours count" in transcript
    assert f"{figures.training_count} trainings" in transcript

    pathway = _text(client.get("/competencies/").get_data(as_text=True))
    assert training.figures.text in pathway and rsc_leaf.figures.text in pathway
    assert refs.figures.text in pathway
    assert f"You are {pct} % of the way" in pathway
    # The chart under it: the same hours of training and of reflective supervision.
    assert (
        f"{_h(figures.training_hours)} h of counted training and "
        f"{_h(figures.rsc_hours)} h of reflective supervision that counts" in pathway
    )

    asked = _text(
        client.get(f"/endorsement/pathways/{ev.pathway.id}/references").get_data(as_text=True)
    )
    assert refs.figures.text + " count toward" in asked
    assert "1 asked here: 0 rated, 1 waiting" in asked

    page = client.get("/supervision/").get_data(as_text=True)
    supervision = _text(page)
    assert rsc_leaf.figures.text in supervision
    assert "No sessions yet" not in supervision
    listed = re.findall(r'data-rsc-row="(\d+)"', page)
    assert {int(i) for i in listed} >= set(rsc_leaf.evidence_ids)
    assert f"{figures.rsc_sessions} sessions count" in supervision
    # The pending session: who must attest it and since when.
    assert f"Waiting for {provider.display_name} to attest since {logged.created_at:%Y-%m-%d}" in (
        supervision
    )

    issued = client.post("/certificates/progress", data={"category": ev.pathway.category})
    assert issued.status_code == 302
    from certificates.models import IssuedCertificate

    cert = IssuedCertificate.select().order_by(IssuedCertificate.id.desc()).get()
    pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(cert.pdf))).pages).replace(
        "\n", " "
    )
    assert f"Overall progress: {pct}%" in pdf
    assert f"{_h(figures.training_hours)} of {_h(training.figures.target)} h" in pdf
    assert f"{_h(figures.rsc_hours)} of {_h(rsc_leaf.figures.target)} h" in pdf
    assert f"{_h(figures.references)} of {_h(refs.figures.target)} ratings" in pdf

    # The transcript PDF: its total is the pathway's training figure.
    assert client.post("/certificates/transcript").status_code == 302
    cert = IssuedCertificate.select().order_by(IssuedCertificate.id.desc()).get()
    transcript_pdf = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(bytes(cert.pdf))).pages
    ).replace("\n", " ")
    assert f"Total counted hours: {_h(figures.training_hours)}" in transcript_pdf

    report = readiness.association_report(association, today, per_page=200)
    (row,) = [r for r in report.matching if r.pathway_id == ev.pathway.id]
    assert row.percent == pct

    _forget_actor()
    coordinator = User.by_email("coordinator@demo.example").get()
    headers = api_token(coordinator)
    body = client.get(f"/api/v1/clinicians/{clinician.id}/readiness", headers=headers).get_json()
    (api_pathway,) = body["pathways"]
    api_leaves = {}
    stack = [api_pathway["result"]]
    while stack:
        node = stack.pop()
        stack.extend(node.get("children", ()))
        if not node.get("children"):
            api_leaves[node["type"]] = node
    assert api_leaves["training_hours"]["figures"]["value"] == figures.training_hours
    assert api_leaves["rsc_hours"]["figures"]["value"] == figures.rsc_hours
    assert api_leaves["references"]["figures"]["value"] == figures.references
    assert api_pathway["percent"] == pct
    listing = client.get(
        f"/api/v1/associations/{association.code}/readiness?per_page=100", headers=headers
    ).get_json()
    (api_row,) = [r for r in listing["rows"] if r["pathway_id"] == ev.pathway.id]
    assert api_row["percent"] == pct

    # The pending session logged above is on its provider's page, as the RSC page says.
    assert auth.logout().status_code == 302
    assert auth.login(provider.email, DEV_PASSWORD).status_code == 302
    _forget_actor()
    provider_page = client.get("/supervision/provider").get_data(as_text=True)
    assert f'value="{logged.id}"' in provider_page
    assert RscSession.get_by_id(logged.id).status == "pending"
