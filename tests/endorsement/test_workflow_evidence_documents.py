"""Reviewers see the documents behind an application's education, work and membership items
(issue 16, point 8): competencies answers `evidence_files`, the application page lists them."""

from __future__ import annotations

import io

import pytest

from endorsement import applications, reviews

PDF = b"%PDF-1.7\n%the applicant's MSW diploma\n%%EOF\n"


@pytest.fixture
def with_document(ready_pathway, clinician):
    """Return (application, education row, document): the diploma attached before submitting."""
    from competencies import evidence_documents
    from competencies.models import Evidence

    education = Evidence.get((Evidence.clinician == clinician) & (Evidence.kind == "education"))
    diploma = evidence_documents.read(io.BytesIO(PDF), "MSW diploma.pdf")
    document = evidence_documents.attach(clinician, education.id, diploma)
    application = applications.submit(
        ready_pathway, actor=clinician, signed={"code_of_ethics", "endorsement_agreement"}
    )
    return application, education, document


def test_the_reviewer_sees_and_opens_the_education_document(
    client, auth, with_document, make_reviewer, coordinator
):
    application, education, document = with_document
    assert education.id in [e["id"] for e in application.snapshot["evidence"]]
    reviewer = make_reviewer("a@example.test")
    review = reviews.assign(application, reviewer, actor=coordinator)
    auth.login(reviewer.email)
    url = f"/endorsement/applications/{application.id}/files/competencies-document-{document.id}"
    for page in (
        f"/endorsement/reviews/{review.id}",
        f"/endorsement/applications/{application.id}",
    ):
        html = client.get(page).get_data(as_text=True)
        assert f'href="{url}"' in html and "MSW diploma.pdf" in html, page
    opened = client.get(url)
    assert opened.status_code == 200 and opened.get_data() == PDF
    assert opened.mimetype == "application/pdf"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    direct = f"/competencies/evidence/{education.id}/documents/{document.id}"
    assert client.get(direct).get_data() == PDF  # a reviewer of the association


def test_a_reviewer_of_another_association_gets_404(
    client, auth, with_document, make_user, make_association, coordinator, make_reviewer
):
    application, education, document = with_document
    reviews.assign(application, make_reviewer("a@example.test"), actor=coordinator)
    elsewhere = make_association("OH", "Elsewhere")
    outsider = make_user("oh.reviewer@example.test", roles=("reviewer",), assoc=elsewhere)
    auth.login(outsider.email)
    for url in (
        f"/endorsement/applications/{application.id}/files/competencies-document-{document.id}",
        f"/endorsement/applications/{application.id}",
        f"/competencies/evidence/{education.id}/documents/{document.id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert PDF not in response.get_data()
