"""Reviewers open the files behind the frozen evidence; nobody else does, and nothing runs."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib

import pytest

from endorsement import applications, reviews
from lms.signals import EvidenceFile, evidence_files

TODAY = dt.date.today()
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def self_report(coordinator):
    """Return a function: a clinician reports a training with a certificate, a coordinator
    verifies it, and the certificate file is returned."""
    from courses import completions, self_reports
    from courses.models import CertificateFile
    from lms.permissions import actor_for

    def report(clinician, title="Parent–infant observation", data=PDF, days_ago=20):
        completion = self_reports.report_training(
            actor_for(clinician),
            training=None,
            title=title,
            provider="Northern Institute",
            completed_on=TODAY - dt.timedelta(days=days_ago),
            hours=3,
            areas=[],
            certificate=data,
            filename='<b>certificate".pdf',
            content_type="application/pdf",
        )
        completions.decide(actor_for(coordinator), completion, accept=True)
        return CertificateFile.get(CertificateFile.completion == completion.id)

    return report


@pytest.fixture
def with_file(ready_pathway, clinician, self_report):
    """Return (application, certificate file): the file's training counted when submitted."""
    certificate = self_report(clinician)
    application = applications.submit(
        ready_pathway, actor=clinician, signed={"code_of_ethics", "endorsement_agreement"}
    )
    return application, certificate


def _url(application, certificate) -> str:
    return f"/endorsement/applications/{application.id}/files/courses-certificate-{certificate.id}"


def test_an_assigned_reviewer_opens_the_file_next_to_the_snapshot(
    client, auth, with_file, make_reviewer, coordinator
):
    application, certificate = with_file
    reviewer = make_reviewer("a@example.test")
    review = reviews.assign(application, reviewer, actor=coordinator)
    auth.login(reviewer.email)
    page = client.get(f"/endorsement/reviews/{review.id}").get_data(as_text=True)
    url = _url(application, certificate)
    assert f'href="{url}"' in page and f'href="{url}?download=1"' in page
    assert "&lt;b&gt;certificate&#34;.pdf" in page and "<b>certificate" not in page
    assert "The evaluator" in page  # the reasons on the same page
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="evidence-courses-certificate-{certificate.id}.pdf"'
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-SHA256"] == certificate.sha256
    download = client.get(url + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment; ")


def test_the_coordinator_sees_the_files_on_the_application_page(
    client, auth, with_file, coordinator
):
    application, certificate = with_file
    auth.login(coordinator.email)
    page = client.get(f"/endorsement/applications/{application.id}").get_data(as_text=True)
    assert f'href="{_url(application, certificate)}"' in page
    assert client.get(_url(application, certificate)).get_data() == PDF


def test_nobody_else_gets_the_file(
    client, auth, with_file, clinician, make_reviewer, make_user, make_association, coordinator
):
    application, certificate = with_file
    url = _url(application, certificate)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login(clinician.email)  # the applicant sees the application, not the reviewers' view
    assert client.get(url).status_code == 403
    page = client.get(f"/endorsement/applications/{application.id}").get_data(as_text=True)
    assert url not in page
    auth.logout()
    unassigned = make_reviewer("b@example.test")
    auth.login(unassigned.email)
    assert client.get(url).status_code == 404
    auth.logout()
    elsewhere = make_association("OH", "Elsewhere")
    outsider = make_user("oh@example.test", roles=("coordinator",), assoc=elsewhere)
    auth.login(outsider.email)
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(coordinator.email)
    base = f"/endorsement/applications/{application.id}/files/"
    for key in ("courses-certificate-999999", "..%2F..%2Fetc", "COURSES-CERTIFICATE-1"):
        assert client.get(base + key).status_code == 404


def test_only_files_of_the_frozen_evidence_are_served(
    client, auth, with_file, clinician, make_user, self_report, coordinator
):
    application, certificate = with_file
    later = self_report(clinician, title="Added after submitting", days_ago=1)
    other = self_report(make_user("other@example.test"), title="Someone else's")
    auth.login(coordinator.email)
    page = client.get(f"/endorsement/applications/{application.id}").get_data(as_text=True)
    assert f"courses-certificate-{certificate.id}" in page
    for stray in (later, other):
        assert f"courses-certificate-{stray.id}" not in page
        assert client.get(_url(application, stray)).status_code == 404


def test_a_file_whose_bytes_do_not_match_its_type_is_only_a_download(
    app, client, auth, with_file, coordinator
):
    application, _ = with_file
    evidence_id = application.snapshot["evidence"][0]["id"]

    def forged(sender, **_):
        return [
            EvidenceFile(
                evidence_id=evidence_id,
                key="test-forged-1",
                filename="photo.png",
                content_type="image/png",
                size=30,
                sha256="0" * 64,
                load=lambda: b"<html><script>alert(1)</script>",
            )
        ]

    evidence_files.connect(forged, sender=app, weak=False)
    try:
        auth.login(coordinator.email)
        response = client.get(f"/endorsement/applications/{application.id}/files/test-forged-1")
    finally:
        evidence_files.disconnect(forged, sender=app)
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="evidence-test-forged-1.bin"'
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_competencies_reaches_the_files_only_through_the_signal():
    """DESIGN.md: competencies imports only lms; later plugins answer through lms/signals.py."""
    root = pathlib.Path(__file__).resolve().parents[2] / "competencies"
    later = {"courses", "supervision", "endorsement", "certificates", "lti"}
    assert (root / "evaluator.py").is_file(), root
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] in later], path
