"""Education, work and membership items carry a document (issue 16, point 8): stored typed by
its content, all or nothing with the item, listed on the clinician's record and the
verification queue, and handed to reviewers through the `evidence_files` signal."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest

from competencies import evidence_documents
from competencies.ledger import EvidenceError
from competencies.models import Evidence, EvidenceDocument
from lms import uploads
from lms.errors import NotFound
from lms.models import AuditLog
from lms.permissions import actor_for

TODAY = dt.date.today()
PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120  # a Windows program
ELEVEN_MB = b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)


def multipart(fields: dict, files: dict) -> dict:
    """Encode a form in memory (the test client would spool big files to unclosed temp files)."""
    boundary = "----documentsboundary8"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (content, filename) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return {"data": b"".join(parts), "content_type": f"multipart/form-data; boundary={boundary}"}


EDUCATION = {"level": "master", "label": "Social work, Wayne State", "occurred_on": "2015-05-20"}


def upload(data: bytes = PDF, name: str = "diploma.pdf") -> uploads.Upload:
    return evidence_documents.read(io.BytesIO(data), name)


@pytest.fixture
def counts():
    """Return the row counts of the tables an item and its document write."""

    def count():
        return {m.__name__: m.select().count() for m in (Evidence, EvidenceDocument, AuditLog)}

    return count


@pytest.fixture
def education(clinician, association):
    """The clinician's own education item, pending, with no document yet."""
    return evidence_documents.record_own(
        clinician,
        association,
        kind="education",
        occurred_on=TODAY - dt.timedelta(days=2000),
        details={"level": "master", "field": "Social work"},
        label="Master: Social work",
    )


# --- the reader (lms.uploads) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (b"\xff\xd8\xff\xe0JFIF", "image/jpeg")],
)
def test_documents_are_typed_by_their_content_not_their_name(data, expected):
    read = upload(data, "renamed.txt")
    assert (read.content_type, read.data, read.filename) == (expected, data, "renamed.txt")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (EXE, "This file is a program, not a document."),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 20, "This file is a program, not a document."),
        (b"#!/bin/sh\nrm -rf /\n", "This file is a program, not a document."),
        (b"", "The document file is empty."),
        (ELEVEN_MB, "The document is larger than 10 MB."),
        (b"GIF89a" + b"\x00" * 20, "The document must be a PDF, PNG or JPEG file."),
        (b"<html><script>alert(1)</script>", "The document must be a PDF, PNG or JPEG file."),
    ],
)
def test_bad_files_are_refused_naming_the_field(data, message):
    with pytest.raises(EvidenceError) as caught:
        upload(data, "diploma.pdf")
    assert (caught.value.field, caught.value.message) == ("document", message)


def test_the_reader_reads_no_more_than_the_limit():
    class Endless(io.RawIOBase):
        asked: list[int] = []

        def read(self, size=-1):
            self.asked.append(size)
            return b"%PDF-" + b"0" * (size - 5)

    with pytest.raises(EvidenceError, match="larger than 10 MB"):
        evidence_documents.read(Endless(), "endless.pdf")
    assert Endless.asked == [uploads.MAX_BYTES + 1]


def test_the_name_shown_is_only_the_file_name():
    assert uploads.display_name("C:\\Users\\me\\diploma.pdf") == "diploma.pdf"
    assert uploads.display_name("../../etc/passwd") == "passwd"
    assert uploads.display_name("", "document") == "document"
    assert len(uploads.display_name("x" * 500 + ".pdf")) == 200


# --- storing -----------------------------------------------------------------------------------


def test_an_item_is_recorded_with_its_document(clinician, association, counts):
    before = counts()
    row = evidence_documents.record_own(
        clinician,
        association,
        kind="education",
        occurred_on=TODAY - dt.timedelta(days=900),
        details={"level": "bachelor", "field": "Psychology"},
        label="Bachelor: Psychology",
        document=upload(PDF, "BA diploma.pdf"),
    )
    document = EvidenceDocument.get()
    assert (document.evidence_id, document.uploaded_by_id) == (row.id, clinician.id)
    assert (document.filename, document.content_type, document.size) == (
        "BA diploma.pdf",
        "application/pdf",
        len(PDF),
    )
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert bytes(document.data) == PDF
    assert row.status == "pending" and row.source == "self"
    audit = AuditLog.get(AuditLog.action == "evidence.document")
    assert audit.object_id == str(document.id) and audit.association_id == association.id
    assert hashlib.sha256(PDF).hexdigest() in audit.after
    after = counts()
    assert (after["Evidence"], after["EvidenceDocument"]) == (
        before["Evidence"] + 1,
        before["EvidenceDocument"] + 1,
    )


def test_a_document_that_is_not_what_it_says_writes_no_item(clinician, association, counts):
    before = counts()
    forged = uploads.Upload(EXE, "application/pdf", "diploma.pdf")  # a caller that did not read
    with pytest.raises(EvidenceError) as caught:
        evidence_documents.record_own(
            clinician,
            association,
            kind="education",
            occurred_on=TODAY - dt.timedelta(days=900),
            details={"level": "bachelor"},
            label="Bachelor",
            document=forged,
        )
    assert caught.value.field == "document"
    assert counts() == before


def test_items_that_take_no_document_refuse_one(clinician, association, counts):
    before = counts()
    with pytest.raises(EvidenceError, match="takes no document"):
        evidence_documents.record_own(
            clinician,
            association,
            kind="reference",
            occurred_on=TODAY,
            details={"void": False, "rater_role": "supervisor"},
            label="Reference",
            document=upload(),
        )
    assert counts() == before


def test_a_document_is_added_to_an_own_item_later(clinician, education):
    evidence_documents.attach(clinician, education.id, upload(PNG, "card.png"))
    evidence_documents.attach(clinician, education.id, upload(PDF, "transcript.pdf"))
    listed = evidence_documents.by_evidence([education.id])[education.id]
    assert [(d.filename, d.content_type) for d in listed] == [
        ("card.png", "image/png"),
        ("transcript.pdf", "application/pdf"),
    ]


def test_nobody_adds_a_document_to_someone_elses_item(make_user, education, counts):
    other = make_user("other@example.test")
    before = counts()
    with pytest.raises(NotFound):
        evidence_documents.attach(other, education.id, upload())
    assert counts() == before


def test_a_void_or_rejected_item_takes_no_document(clinician, education, make_user, counts):
    from competencies import ledger

    coordinator = make_user("coord@example.test", roles=("coordinator",))
    ledger.decide(education, accept=False, actor=coordinator, reason="Not a degree")
    before = counts()
    with pytest.raises(EvidenceError, match="no longer counts") as caught:
        evidence_documents.attach(clinician, education.id, upload())
    assert caught.value.field == "document" and counts() == before


def test_trainings_and_references_take_no_document(clinician, add_evidence):
    training = add_evidence(clinician, "training", hours=3)
    with pytest.raises(NotFound):
        evidence_documents.own_item(clinician, training.id)


# --- who reads ---------------------------------------------------------------------------------


def test_the_owner_and_staff_with_the_capability_read_it(
    clinician, education, make_user, make_association
):
    document = evidence_documents.attach(clinician, education.id, upload())
    elsewhere = make_association("OH", "Elsewhere")
    allowed = [
        clinician,
        make_user("rev@example.test", roles=("reviewer",)),
        make_user("coord@example.test", roles=("coordinator",)),
        make_user("admin@example.test", roles=("admin",), assoc=None),
    ]
    refused = [
        make_user("peer@example.test"),
        make_user("trainer@example.test", roles=("trainer",)),
        make_user("manager@example.test", roles=("agency_manager",)),
        make_user("provider@example.test", roles=("rsc_provider",)),
        make_user("oh.coord@example.test", roles=("coordinator",), assoc=elsewhere),
        make_user("oh.rev@example.test", roles=("reviewer",), assoc=elsewhere),
    ]
    for user in allowed:
        found = evidence_documents.readable(actor_for(user), education.id, document.id)
        assert found.id == document.id, user.email
    for user in refused:
        with pytest.raises(NotFound):
            evidence_documents.readable(actor_for(user), education.id, document.id)
    with pytest.raises(NotFound):  # the document asked for through another row
        evidence_documents.readable(actor_for(clinician), education.id + 1, document.id)


def test_reviewers_are_offered_the_documents_through_the_signal(app, clinician, education):
    from lms.signals import evidence_files

    document = evidence_documents.attach(clinician, education.id, upload())
    answers = [files for _, files in evidence_files.send(app, evidence_ids=[education.id])]
    offered = [f for files in answers for f in files or ()]
    assert [(f.evidence_id, f.key, f.filename) for f in offered] == [
        (education.id, f"competencies-document-{document.id}", "diploma.pdf")
    ]
    assert offered[0].load() == PDF and offered[0].sha256 == document.sha256
    assert [f for _, files in evidence_files.send(app, evidence_ids=[0]) for f in files] == []


# --- the pages ---------------------------------------------------------------------------------


def test_the_education_form_takes_a_document_and_the_record_links_it(client, auth, clinician):
    auth.login(clinician.email)
    form = client.get("/competencies/evidence/new/education").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    response = client.post(
        "/competencies/evidence/new/education",
        **multipart(EDUCATION, {"document": (PDF, "MSW diploma.pdf")}),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = Evidence.get(Evidence.kind == "education")
    document = EvidenceDocument.get()
    assert document.evidence_id == row.id and bytes(document.data) == PDF
    page = client.get("/competencies/evidence").get_data(as_text=True)
    url = f"/competencies/evidence/{row.id}/documents/{document.id}"
    assert f'href="{url}"' in page and "MSW diploma.pdf" in page
    assert f'href="{url}?download=1"' in page
    opened = client.get(url)
    assert opened.status_code == 200 and opened.get_data() == PDF
    assert opened.mimetype == "application/pdf"


@pytest.mark.parametrize("kind", ["work", "membership"])
def test_work_and_membership_forms_take_a_document(client, auth, clinician, kind):
    auth.login(clinician.email)
    fields = {
        "work": {
            "label": "Home visitor, Lakeshore",
            "kind": "dyadic_clinical",
            "occurred_on": "2019-01-01",
            "end": "2020-12-31",
            "paid": "y",
        },
        "membership": {
            "occurred_on": (TODAY - dt.timedelta(days=30)).isoformat(),
            "valid_until": (TODAY + dt.timedelta(days=300)).isoformat(),
        },
    }[kind]
    response = client.post(
        f"/competencies/evidence/new/{kind}",
        **multipart(fields, {"document": (PNG, "card.png")}),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = Evidence.get(Evidence.kind == kind)
    assert EvidenceDocument.get().evidence_id == row.id


def test_the_document_is_optional(client, auth, clinician):
    auth.login(clinician.email)
    response = client.post("/competencies/evidence/new/education", data=EDUCATION)
    assert response.status_code == 302
    assert Evidence.select().count() == 1 and EvidenceDocument.select().count() == 0
    page = client.get("/competencies/evidence").get_data(as_text=True)
    row = Evidence.get()
    assert f'href="/competencies/evidence/{row.id}/documents/new"' in page


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXE, "diploma.pdf", "This file is a program, not a document."),
        (b"", "empty.pdf", "The document file is empty."),
        (ELEVEN_MB, "big.pdf", "The document is larger than 10 MB."),
    ],
    ids=["renamed-exe", "empty", "eleven-mb"],
)
def test_a_bad_file_is_a_form_error_and_writes_nothing(
    client, auth, clinician, counts, content, name, message
):
    auth.login(clinician.email)
    before = counts()
    response = client.post(
        "/competencies/evidence/new/education",
        **multipart(EDUCATION, {"document": (content, name)}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<div id="document-error" class="invalid-feedback d-block">{message}</div>' in html
    assert 'aria-invalid="true"' in html and 'href="#document"' in html  # the error summary
    assert 'value="Social work, Wayne State"' in html  # what was typed is kept
    assert counts() == before


def test_a_document_is_attached_to_an_existing_item(client, auth, clinician, education, counts):
    auth.login(clinician.email)
    url = f"/competencies/evidence/{education.id}/documents/new"
    assert client.get(url).status_code == 200
    before = counts()
    bad = client.post(url, **multipart({}, {"document": (EXE, "transcript.pdf")}))
    assert bad.status_code == 400 and "This file is a program" in bad.get_data(as_text=True)
    assert counts() == before
    missing = client.post(url, data={})
    assert missing.status_code == 400 and "Choose the file." in missing.get_data(as_text=True)
    response = client.post(url, **multipart({}, {"document": (PDF, "transcript.pdf")}))
    assert response.status_code == 302
    assert EvidenceDocument.get().evidence_id == education.id
    assert "transcript.pdf" in client.get(url).get_data(as_text=True)  # already attached


def test_only_the_owner_attaches(client, auth, education, make_user):
    other = make_user("other@example.test")
    auth.login(other.email)
    url = f"/competencies/evidence/{education.id}/documents/new"
    assert client.get(url).status_code == 404
    assert client.post(url, **multipart({}, {"document": (PDF, "x.pdf")})).status_code == 404
    assert EvidenceDocument.select().count() == 0


def test_the_verification_queue_links_the_document(client, auth, clinician, education, make_user):
    document = evidence_documents.attach(clinician, education.id, upload(PDF, "MSW.pdf"))
    coordinator = make_user("coord@example.test", roles=("coordinator",))
    auth.login(coordinator.email)
    page = client.get("/competencies/verify").get_data(as_text=True)
    url = f"/competencies/evidence/{education.id}/documents/{document.id}"
    assert f'href="{url}"' in page and "MSW.pdf" in page
    assert client.get(url).get_data() == PDF


def test_checking_says_the_file_must_be_chosen_again(client, auth, clinician):
    auth.login(clinician.email)
    response = client.post(
        "/competencies/evidence/new/education",
        **multipart(
            {**EDUCATION, "check": "Check whether it counts"}, {"document": (PDF, "a.pdf")}
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Will it count?" in html
    assert "Choose the file again before you add the item" in html
    assert Evidence.select().count() == 0 and EvidenceDocument.select().count() == 0
