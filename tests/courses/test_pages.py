"""The courses pages: catalogue, training forms, roster, import, self-report, transcript."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from courses.models import CertificateFile, Completion, Session, Training
from tests.conftest import csrf_token_from
from tests.courses.conftest import TODAY

DAY = (TODAY - dt.timedelta(days=3)).isoformat()
PDF = b"%PDF-1.7\n" + b"0" * 100
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100


def multipart(fields: dict, files: dict) -> dict:
    """Encode a form in memory (the test client would spool big files to unclosed temp files)."""
    boundary = "----coursesboundary7"
    parts = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            parts.append(f"{head}{v}\r\n".encode())
    for name, (content, filename) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return {"data": b"".join(parts), "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def catalogue(make_training):
    make_training("DEI-110", hours=3, areas=("TF-CULTURE",), tags=("dei",), format="online")
    return make_training("NBO-101", hours=3)


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", {"DEI-110", "NBO-101"}),
        ("?tag=dei", {"DEI-110"}),
        ("?area=TF-DEV", {"NBO-101"}),
        ("?format=online", {"DEI-110"}),
        ("?q=nbo", {"NBO-101"}),
    ],
)
def test_catalogue_filters(client, auth, clinician, catalogue, query, codes):
    auth.login(clinician.email)
    html = client.get(f"/courses/{query}").get_data(as_text=True)
    assert set(re.findall(r"\((DEI-110|NBO-101)\)", html)) == codes


def test_catalogue_date_filter_and_bad_date(client, auth, trainer, catalogue, actor):
    from courses import trainings

    trainings.add_session(
        actor(trainer), catalogue, starts_on=TODAY + dt.timedelta(days=5), online=True
    )
    auth.login(trainer.email)
    html = client.get(f"/courses/?from={TODAY.isoformat()}").get_data(as_text=True)
    assert "(NBO-101)" in html and "(DEI-110)" not in html
    response = client.get("/courses/?from=03/04/2024")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.get_data(as_text=True)


def test_trainer_creates_a_training_and_a_session(client, auth, trainer, defaults):
    auth.login(trainer.email)
    assert client.get("/courses/trainings/new").status_code == 200
    response = client.post(
        "/courses/trainings/new",
        data={
            "code": "ATT-200",
            "title": "Attachment",
            "format": "in_service",
            "hours": "6",
            "areas": ["TF-ATTACH", "TF-DEV"],
            "area_hours": "TF-ATTACH=4",
            "tags": "dei, rsc-topic",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    training = Training.get(code="ATT-200")
    assert training.areas == {"TF-ATTACH": 4.0, "TF-DEV": None}
    assert training.tag_list == ["dei", "rsc-topic"] and training.owner_id == trainer.id
    response = client.post(
        f"/courses/trainings/{training.id}/sessions/new",
        data={"starts_on": DAY, "location": "Room 2", "capacity": "20"},
    )
    assert response.status_code == 302
    assert Session.get().trainers.get().trainer_id == trainer.id


def test_training_form_keeps_input_and_names_the_field(client, auth, trainer, catalogue):
    auth.login(trainer.email)
    response = client.post(
        "/courses/trainings/new",
        data={"code": "NBO-101", "title": "Typed title", "format": "online", "hours": "2"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already used" in html and 'value="Typed title"' in html
    assert Training.select().count() == 2


def test_roster_flags_prerequisites_and_records_ticked(
    client, auth, trainer, clinician, make_training, actor
):
    from courses import trainings

    base = make_training("BASE-1")
    training = make_training("ADV-1", prerequisites=[base.id])
    session = trainings.add_session(actor(trainer), training, starts_on=DAY, location="Room 1")
    auth.login(trainer.email)
    html = client.get(f"/courses/sessions/{session.id}/roster?q=ortiz").get_data(as_text=True)
    assert "Ana Ortiz" in html and "Prerequisite missing: Training BASE-1" in html
    response = client.post(
        f"/courses/sessions/{session.id}/roster", data={"attendee": [str(clinician.id)]}
    )
    assert response.status_code == 302
    completion = Completion.get()
    assert (completion.session_id, completion.source, completion.completed_on.isoformat()) == (
        session.id,
        "roster",
        DAY,
    )


def test_import_preview_then_commit(client, auth, coordinator, clinician, catalogue, app):
    auth.login(coordinator.email)
    data = f"email,training_code,date,hours\r\nana@example.test,NBO-101,{DAY},3\r\n".encode()
    response = client.post(
        "/courses/import",
        data={"file": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 new completion of 1 row" in html
    assert Completion.select().count() == 0  # the preview writes nothing
    token = re.search(r"/courses/import/([0-9a-f]{32})", html).group(1)
    response = client.post(f"/courses/import/{token}")
    assert response.status_code == 302
    assert Completion.select().count() == 1
    # the kept file is gone: committing again changes nothing
    assert client.post(f"/courses/import/{token}").status_code == 302
    assert Completion.select().count() == 1


def test_import_preview_lists_bad_rows(client, auth, coordinator, clinician, catalogue):
    auth.login(coordinator.email)
    data = f"email,training_code,date,hours\r\nana@example.test,NBO-101,{DAY},=2+2\r\n".encode()
    response = client.post(
        "/courses/import",
        data={"file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved" in html and "formulas are not accepted" in html
    assert "/courses/import/" not in html.replace('action="/courses/import"', "")


def test_fifty_megabyte_import_is_413(client, auth, coordinator, catalogue):
    auth.login(coordinator.email)
    big = b"email,training_code,date,hours\r\n" + b"x" * (50 * 1024 * 1024)
    response = client.post("/courses/import", **multipart({}, {"file": (big, "big.csv")}))
    assert response.status_code == 413
    assert Completion.select().count() == 0


def _report(client, content: bytes, name="cert.pdf", **extra):
    fields = {
        "training": "0",
        "title": "Infant massage",
        "provider": "Elsewhere",
        "completed_on": DAY,
        "hours": "2",
        **extra,
    }
    return client.post("/courses/report", **multipart(fields, {"certificate": (content, name)}))


def test_self_report_with_certificate(client, auth, clinician, coordinator):
    auth.login(clinician.email)
    response = _report(client, PDF)
    assert response.status_code == 302, response.get_data(as_text=True)
    completion = Completion.get()
    assert (
        completion.status == "pending" and CertificateFile.get().content_type == "application/pdf"
    )
    auth.logout()
    auth.login(coordinator.email)
    assert "Infant massage" in client.get("/courses/verify").get_data(as_text=True)
    download = client.get(f"/courses/completions/{completion.id}/certificate")
    assert download.status_code == 200 and download.data == PDF
    client.post(
        f"/courses/completions/{completion.id}/decide",
        data={"decision": "reject", "reason": "Certificate unreadable"},
    )
    auth.logout()
    auth.login(clinician.email)
    html = client.get("/courses/transcript").get_data(as_text=True)
    assert "Rejected: Certificate unreadable" in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (ELF, "This file is a program"),
        (b"MZ\x90\x00" + b"\x00" * 64, "This file is a program"),
        (b"%PDF-" + b"0" * (11 * 1024 * 1024), "larger than 10 MB"),
    ],
)
def test_bad_certificates_are_refused_and_nothing_written(
    client, auth, clinician, counts, content, message
):
    auth.login(clinician.email)
    before = counts()
    response = _report(client, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert 'value="Infant massage"' in html  # the form keeps what was typed
    assert counts() == before


def test_transcript_csv_is_formula_safe(client, auth, clinician, make_training, trainer, actor):
    from courses import completions

    training = make_training("F-1", title='=HYPERLINK("http://x")')
    completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=TODAY, source="api"
    )
    auth.login(clinician.email)
    response = client.get("/courses/transcript.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert '"\'=HYPERLINK(""http://x"")"' in text
    assert text.splitlines()[0].startswith("completed_on,code,title")


def test_home_panel_shows_missing_prerequisites(
    client, auth, clinician, make_training, trainer, actor
):
    from courses import completions

    base = make_training("BASE-1")
    advanced = make_training("ADV-1", prerequisites=[base.id])
    completions.record_completion(
        actor(trainer), clinician=clinician, training=advanced, completed_on=TODAY, source="api"
    )
    auth.login(clinician.email)
    html = client.get("/").get_data(as_text=True)
    assert "Prerequisite missing for Training ADV-1: Training BASE-1" in html


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/courses/import", "clinician", 403),
        ("/courses/verify", "clinician", 403),
        ("/courses/trainings/new", "clinician", 403),
        ("/courses/report", "trainer", 403),
        ("/courses/import", "trainer", 200),
        ("/courses/report", "clinician", 200),
        ("/courses/transcript", "clinician", 200),
        ("/courses/", "reviewer", 200),
    ],
)
def test_permission_matrix(client, auth, make_user, defaults, path, role, status):
    user = make_user(f"{role}@example.test", roles=(role,))
    auth.login(user.email)
    assert client.get(path).status_code == status


def test_another_association_gets_404(
    client, auth, make_user, make_association, catalogue, clinician
):
    far = make_user("far@example.test", roles=("coordinator",), assoc=make_association("FAR"))
    auth.login(far.email)
    assert client.get(f"/courses/trainings/{catalogue.id}").status_code == 404
    assert client.get(f"/courses/clinicians/{clinician.id}/transcript").status_code == 404


def test_import_with_csrf_protection_on(csrf_app, make_training, make_user):
    from lms.accounts import create_user
    from lms.models import Association

    association = Association.create(code="C", name="C")
    create_user(
        "c@example.test",
        "C",
        roles=("coordinator",),
        association=association,
        password="correct horse battery staple",
    )
    client = csrf_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": "c@example.test",
            "password": "correct horse battery staple",
            "csrf_token": csrf_token_from(login),
        },
    )
    page = client.get("/courses/import").get_data(as_text=True)
    big = b"email,training_code,date,hours\r\n" + b"x@y.z,T,2024-01-01,1\r\n" * 700_000  # ~15 MB
    response = client.post(
        "/courses/import",
        **multipart({"csrf_token": csrf_token_from(page)}, {"file": (big, "big.csv")}),
    )
    assert response.status_code == 400  # parsed (not 413): unknown clinicians listed
    assert "no clinician with this email" in response.get_data(as_text=True)
