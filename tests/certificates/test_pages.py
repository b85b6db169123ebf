"""Signed-in pages: who may issue, download, revoke and export; ZIP contents and memory."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile

import pytest

from certificates import archive, issuing
from certificates.codes import display, new_code
from certificates.models import IssuedCertificate
from lms.models import AuditLog
from tests.certificates.conftest import TODAY


def test_clinician_issues_progress_and_transcript_from_the_page(client, auth, on_pathway):
    auth.login("clinician@example.test")
    page = client.get("/certificates/").get_data(as_text=True)
    assert "Issue a progress certificate" in page and "Issue a training transcript" in page

    done = client.post("/certificates/progress", data={"category": "IMHS"}, follow_redirects=True)
    client.post("/certificates/transcript")

    kinds = sorted(c.kind for c in IssuedCertificate.select())
    assert kinds == ["progress", "transcript"]
    cert = IssuedCertificate.get(IssuedCertificate.kind == "progress")
    assert display(cert.code) in done.get_data(as_text=True)
    pdf = client.get(f"/certificates/{cert.id}/pdf")
    assert pdf.status_code == 200 and pdf.data == bytes(cert.pdf)


def test_unknown_pathway_is_a_form_error_and_nothing_is_written(client, auth, on_pathway):
    auth.login("clinician@example.test")
    response = client.post("/certificates/progress", data={"category": "IFS"})

    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert IssuedCertificate.select().count() == 0


def test_a_clinician_cannot_download_another_holders_certificate(
    client, auth, on_pathway, association, make_user, make_association
):
    cert = issuing.issue_transcript(on_pathway, association)
    make_user("other@example.test")
    other_assoc = make_association("OH")
    make_user("far-coordinator@example.test", roles=("coordinator",), assoc=other_assoc)

    auth.login("other@example.test")
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 404
    assert client.get(f"/certificates/{cert.id + 999}/pdf").status_code == 404
    auth.logout()
    auth.login("far-coordinator@example.test")
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 404
    assert client.get(f"/certificates/{cert.id}/revoke").status_code == 404


def test_coordinator_revokes_with_a_reason_form_keeps_input(
    client, auth, on_pathway, association, coordinator
):
    cert = issuing.issue_transcript(on_pathway, association)
    auth.login("coordinator@example.test")
    assert "Issued certificates" in client.get("/certificates/manage").get_data(as_text=True)

    empty = client.post(f"/certificates/{cert.id}/revoke", data={"reason": "  "})
    assert empty.status_code == 400 and "Give the reason" in empty.get_data(as_text=True)
    assert IssuedCertificate.get_by_id(cert.id).status == "valid"
    long = client.post(f"/certificates/{cert.id}/revoke", data={"reason": "x" * 501})
    assert long.status_code == 400 and "x" * 501 in long.get_data(as_text=True)

    client.post(f"/certificates/{cert.id}/revoke", data={"reason": "Wrong person"})
    assert IssuedCertificate.get_by_id(cert.id).status == "revoked"


def test_clinician_may_not_revoke_or_export(client, auth, on_pathway, association):
    cert = issuing.issue_transcript(on_pathway, association)
    auth.login("clinician@example.test")

    assert client.post(f"/certificates/{cert.id}/revoke", data={"reason": "x"}).status_code == 403
    assert client.get("/certificates/manage/zip").status_code == 403


def test_coordinator_issues_endorsement_certificate_again_and_the_old_one_is_superseded(
    client, auth, endorsement
):
    first = IssuedCertificate.get(IssuedCertificate.kind == "endorsement")
    auth.login("coordinator@example.test")
    client.post(f"/certificates/endorsements/{endorsement.id}")

    assert IssuedCertificate.get_by_id(first.id).status == "superseded"
    newest = IssuedCertificate.select().order_by(IssuedCertificate.id.desc()).get()
    assert newest.kind == "endorsement" and newest.status == "valid"
    credential = client.get(f"/certificates/{newest.id}/credential.json")
    assert credential.status_code == 200 and b"OpenBadgeCredential" in credential.data


def test_trainer_issues_completion_only_for_own_trainings(
    client, auth, make_user, on_pathway, association
):
    from competencies import ledger

    trainer = make_user("trainer@example.test", roles=("trainer",))
    make_user("other-trainer@example.test", roles=("trainer",))
    row = ledger.record(
        clinician=on_pathway,
        association=association,
        kind="training",
        occurred_on=TODAY - dt.timedelta(days=3),
        status="verified",
        source="courses",
        hours=6,
        label="Reflective practice",
        actor=trainer,
    )

    auth.login("other-trainer@example.test")
    assert client.post(f"/certificates/completions/{row.id}").status_code == 404
    auth.logout()
    auth.login("trainer@example.test")
    assert "Reflective practice" in client.get("/certificates/completions").get_data(as_text=True)
    client.post(f"/certificates/completions/{row.id}")

    cert = IssuedCertificate.get(IssuedCertificate.kind == "completion")
    assert cert.source_ref == f"evidence:{row.id}" and cert.issuer_id == trainer.id
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 200


def test_zip_holds_the_stored_pdfs_of_the_kind_and_period(
    client, auth, on_pathway, association, coordinator
):
    transcripts = [issuing.issue_transcript(on_pathway, association) for _ in range(3)]
    issuing.issue_progress(on_pathway, association)
    auth.login("coordinator@example.test")

    response = client.get(
        "/certificates/manage/zip",
        query_string={"kind": "transcript", "start": TODAY.isoformat(), "end": TODAY.isoformat()},
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        names = zf.namelist()
        assert len(names) == 3 and all("_transcript_" in n for n in names)
        stored = {display(c.code): bytes(c.pdf) for c in transcripts}
        for name in names:
            code = name.removesuffix(".pdf").rsplit("_", 1)[1]
            assert zf.read(name) == stored[code]


def test_zip_form_errors_name_the_field(client, auth, coordinator):
    auth.login("coordinator@example.test")
    response = client.get(
        "/certificates/manage/zip",
        query_string={"kind": "transcript", "start": "2026-05-01", "end": "2026-04-01"},
    )

    assert response.status_code == 400
    assert "The end date is before the start date." in response.get_data(as_text=True)


def _bulk(count: int, holder, association, size: int = 40_000) -> list[int]:
    blob = bytes(range(256)) * (size // 256)
    rows = [
        {
            "kind": "transcript",
            "holder": holder.id,
            "association": association.id,
            "code": new_code(),
            "sha256": "0" * 64,
            "pdf": blob,
            "title": "Training transcript",
            "issued_on": TODAY,
            "created_at": dt.datetime(2026, 1, 1),
        }
        for _ in range(count)
    ]
    IssuedCertificate.insert_many(rows).execute()
    return archive.selection(None, "transcript", TODAY, TODAY)


def _peak(ids) -> tuple[int, int]:
    tracemalloc.start()
    total = sum(len(chunk) for chunk in archive.stream_zip(ids))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return total, peak


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_zip_of_1000_certificates_streams_with_flat_memory(clinician, association):
    ids = _bulk(1000, clinician, association)
    total_100, peak_100 = _peak(ids[:100])
    total_1000, peak_1000 = _peak(ids)

    assert total_1000 > 40_000_000  # forty megabytes went through
    assert peak_1000 < 6_000_000  # never more than a batch of PDFs in memory
    assert peak_1000 < 2 * peak_100 + 1_000_000


def test_issuing_is_audited_from_the_page(client, auth, on_pathway):
    auth.login("clinician@example.test")
    client.post("/certificates/transcript")

    assert AuditLog.select().where(AuditLog.action == "certificate.issue").count() == 1
