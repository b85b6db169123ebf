"""A document behind a clinician's item is served only to those who may see the item: the
clinician, and staff of the item's association who verify and review (the capability
`competencies:view_evidence_files`). Everyone else, staff of another association included,
gets 404 and not one byte; a visitor who is not signed in goes to the sign-in page. What is
served is never run: typed by its stored content, `nosniff`, no script, kept by no cache."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.conftest import PASSWORD

TODAY = dt.date.today()
PDF = b"%PDF-1.7\n%private diploma of the owner\n%%EOF\n"


@pytest.fixture
def document(app, make_user, make_association, association):
    """An education item of a clinician of MI with a PDF document, and people around it."""
    from competencies import evidence_documents

    owner = make_user("owner@example.test")
    row = evidence_documents.record_own(
        owner,
        association,
        kind="education",
        occurred_on=TODAY - dt.timedelta(days=1000),
        details={"level": "master", "field": "Social work"},
        label="Master: Social work",
        document=evidence_documents.read(io.BytesIO(PDF), "MSW diploma.pdf"),
    )
    elsewhere = make_association("OH", "Elsewhere")
    people = {
        "owner": owner,
        "reviewer": make_user("reviewer@example.test", roles=("reviewer",)),
        "coordinator": make_user("coordinator@example.test", roles=("coordinator",)),
        "other_coordinator": make_user(
            "oh.coordinator@example.test", roles=("coordinator",), assoc=elsewhere
        ),
        "other_reviewer": make_user(
            "oh.reviewer@example.test", roles=("reviewer",), assoc=elsewhere
        ),
        "other_clinician": make_user("peer@example.test"),
        "trainer": make_user("trainer@example.test", roles=("trainer",)),
        "agency_manager": make_user("manager@example.test", roles=("agency_manager",)),
    }
    url = f"/competencies/evidence/{row.id}/documents/{row.documents.get().id}"
    return url, people


def _get(app, email, url, **kw):
    client = app.test_client()
    if email:
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client.get(url, **kw)


@pytest.mark.parametrize("who", ["owner", "reviewer", "coordinator"])
def test_the_owner_and_their_associations_reviewers_open_it(app, document, who):
    url, people = document
    response = _get(app, people[who].email, url)
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline; ")
    assert "private" in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    download = _get(app, people[who].email, url + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment; ")
    assert download.get_data() == PDF


@pytest.mark.parametrize(
    "who",
    ["other_coordinator", "other_reviewer", "other_clinician", "trainer", "agency_manager"],
)
def test_anyone_else_is_told_there_is_nothing_here(app, document, who):
    url, people = document
    response = _get(app, people[who].email, url)
    assert response.status_code == 404
    assert PDF not in response.get_data()
    assert "MSW diploma" not in response.get_data(as_text=True)


def test_a_visitor_goes_to_the_sign_in_page(app, document):
    url, _ = document
    response = _get(app, None, url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert PDF not in response.get_data()


def test_the_address_names_the_item_too(app, document):
    """A document asked for under another item (even one of the owner's) is not there."""
    from competencies.models import Evidence

    url, people = document
    owner = people["owner"]
    other_row = Evidence.create(
        clinician=owner,
        association=Evidence.get().association,
        kind="work",
        occurred_on=TODAY,
        status="pending",
        source="self",
    )
    evidence_id, document_id = url.split("/")[3], url.split("/")[5]
    assert evidence_id != str(other_row.id)
    moved = f"/competencies/evidence/{other_row.id}/documents/{document_id}"
    assert _get(app, owner.email, moved).status_code == 404
    assert _get(app, owner.email, url.replace(document_id, "999999")).status_code == 404


def test_bytes_that_are_not_what_was_stored_are_only_a_download(app, document):
    """Whatever is in the table, a page is never served as HTML (or anything that runs)."""
    from competencies.models import EvidenceDocument

    url, people = document
    EvidenceDocument.update(data=b"<html><script>alert(1)</script>").execute()
    response = _get(app, people["coordinator"].email, url)
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["Content-Disposition"].endswith('.bin"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
