"""Every CSV and ZIP download completes when a real gunicorn serves it.

A streamed response is read by the server after the view has returned. The per-request
connection (lms/db.py) must therefore outlive the view until the last byte is sent; closed at
the end of the view, the applications CSV broke off mid-download with "Cannot operate on a
closed database". One gunicorn (two sync workers) serves every export of a prepared
association; each download must arrive whole (every row, a ZIP whose every PDF is the stored
one byte for byte) and the server log must hold no traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import http.cookiejar
import io
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.conftest import PASSWORD, Database, start_gunicorn, stop

TODAY = dt.date.today()
CLINICIANS = 40
APPLICANTS = 30  # the others stay on their pathway (rows of the readiness report)
AGENCY_STAFF = 12
COMPLETIONS = 30  # on the transcript of the first clinician
CERTIFICATES = 55  # more than certificates.archive.BATCH: the ZIP spans two batches


def _seed() -> dict:
    """Create an association with applications, a transcript, certificates and an agency."""
    from certificates import issuing
    from competencies.models import Framework
    from competencies.pathways import declare_goal
    from competencies.rulesets import install_defaults
    from courses import completions, trainings
    from courses.models import Training
    from endorsement import applications
    from lms.accounts import create_user
    from lms.models import Agency, Association
    from lms.permissions import actor_for

    install_defaults()
    association = Association.create(code="EXP", name="Export Association")
    agency = Agency.create(association=association, name="North Clinic")
    coordinator = create_user(
        "coord@example.test",
        "Cora Coordinator",
        roles=("coordinator",),
        association=association,
        password=PASSWORD,
    )
    create_user(
        "boss@example.test",
        "Bo Manager",
        roles=("agency_manager",),
        association=association,
        agency=agency,
        password=PASSWORD,
    )
    clinicians = [
        create_user(
            f"clin{i:02d}@example.test",
            f"Clinician {i:02d}",
            association=association,
            agency=agency if i < AGENCY_STAFF else None,
            password=PASSWORD,
        )
        for i in range(CLINICIANS)
    ]
    application_ids = []
    for i, clinician in enumerate(clinicians):
        pathway = declare_goal(clinician, association, "IMHS", TODAY - dt.timedelta(days=100 + i))
        if i < APPLICANTS:
            application_ids.append(
                applications.submit(
                    pathway,
                    actor=clinician,
                    signed={"code_of_ethics", "endorsement_agreement"},
                    apply_anyway=True,
                ).id
            )
    coordinating = actor_for(coordinator)
    trainings.save_training(
        coordinating,
        association,
        {"code": "EXP-1", "title": "Exported training", "format": "in_service", "hours": 2.0},
    )
    training = Training.get(Training.code == "EXP-1")
    for n in range(COMPLETIONS):
        completions.record_completion(
            coordinating,
            clinician=clinicians[0],
            training=training,
            completed_on=TODAY - dt.timedelta(days=10 + n),
            hours=1.5,
            source="roster",
        )
    stored = {}
    for n in range(CERTIFICATES):
        cert = issuing.issue_transcript(clinicians[n % CLINICIANS], association)
        stored[cert.code] = bytes(cert.pdf)
    framework = Framework.select().order_by(Framework.id).first()
    return {
        "association_id": association.id,
        "applications": application_ids,
        "first_clinician": clinicians[0].id,
        "certificates": stored,
        "framework_id": framework.id,
    }


@dataclass
class Download:
    status: int
    content_type: str
    body: bytes
    complete: bool  # False: the server ended the response before its last chunk


class Browser:
    """A signed-in HTTP client (standard library) that reads each response to its end."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.get("/login").body.decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        form = {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
        signed_in = self.get("/login", data=urllib.parse.urlencode(form).encode())
        assert signed_in.status == 200, (email, signed_in.status)

    def get(self, path: str, data: bytes | None = None) -> Download:
        request = urllib.request.Request(self.base + path, data=data)
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as exc:
            body = exc.read()
            exc.close()
            return Download(exc.code, exc.headers.get_content_type(), body, True)
        with response:
            try:
                body, complete = response.read(), True
            except http.client.IncompleteRead as exc:
                body, complete = exc.partial, False
            return Download(response.status, response.headers.get_content_type(), body, complete)


def _csv(download: Download, what: str) -> list[list[str]]:
    assert download.status == 200, (what, download.status, download.body[:300])
    assert download.complete, f"{what} broke off after {len(download.body)} bytes"
    assert download.content_type == "text/csv", what
    return list(csv.reader(io.StringIO(download.body.decode("utf-8"))))


def _start_gunicorn(database: Database, log: Path) -> tuple[subprocess.Popen, str]:
    return start_gunicorn(database.env(LMS_LOGIN_LIMIT_PER_IP="1000 per minute"), log, 2)


def test_every_csv_and_zip_export_downloads_whole_through_gunicorn(database: Database, tmp_path):
    seeded = _seed()
    database.release()
    log = tmp_path / "gunicorn.log"
    server, base = _start_gunicorn(database, log)
    try:
        coordinator = Browser(base, "coord@example.test")
        clinician = Browser(base, "clin00@example.test")
        manager = Browser(base, "boss@example.test")
        first = seeded["first_clinician"]
        period = urllib.parse.urlencode(
            {"kind": "transcript", "start": TODAY.isoformat(), "end": TODAY.isoformat()}
        )
        downloads = {
            "applications": coordinator.get("/endorsement/workflow.csv"),
            "readiness counts": coordinator.get("/endorsement/workflow/readiness.csv"),
            "readiness report": coordinator.get("/competencies/readiness.csv"),
            "staff readiness": manager.get("/competencies/staff.csv"),
            "transcript, own": clinician.get("/courses/transcript.csv"),
            "transcript, coordinator": coordinator.get(
                f"/courses/clinicians/{first}/transcript.csv"
            ),
            "framework": coordinator.get(
                f"/competencies/frameworks/{seeded['framework_id']}/export.csv"
            ),
            "certificates": coordinator.get(f"/certificates/manage/zip?{period}"),
        }
    finally:
        stop(server)
    server_log = log.read_text(errors="replace")
    database.reopen()
    broken = {what: len(d.body) for what, d in downloads.items() if not d.complete}
    assert not broken, f"broke off (bytes received): {broken}\n{server_log[-3000:]}"

    applications = _csv(downloads["applications"], "applications")
    assert applications[0][0] == "application"
    assert sorted(int(row[0]) for row in applications[1:]) == sorted(seeded["applications"])

    _check_readiness(downloads)

    for what in ("transcript, own", "transcript, coordinator"):
        transcript = _csv(downloads[what], what)
        assert transcript[0][0] == "completed_on"
        assert len(transcript) == 1 + COMPLETIONS, what
        assert {row[1] for row in transcript[1:]} == {"EXP-1"}

    from competencies.frameworks import framework_doc
    from competencies.frameworks_io import dump_moodle_csv
    from competencies.models import Framework

    framework = _csv(downloads["framework"], "framework")
    expected = dump_moodle_csv(framework_doc(Framework.get_by_id(seeded["framework_id"])))
    assert framework == list(csv.reader(io.StringIO(expected.decode("utf-8"))))

    archive = downloads["certificates"]
    assert archive.status == 200 and archive.content_type == "application/zip"
    assert archive.complete, f"the ZIP broke off after {len(archive.body)} bytes"
    with zipfile.ZipFile(io.BytesIO(archive.body)) as zf:
        assert zf.testzip() is None
        pdfs = {
            name.removesuffix(".pdf").rsplit("_", 1)[1]: zf.read(name) for name in zf.namelist()
        }
    from certificates.codes import display

    assert pdfs == {display(code): pdf for code, pdf in seeded["certificates"].items()}

    assert "Traceback" not in server_log, server_log[-3000:]
    assert "closed database" not in server_log


def _check_readiness(downloads: dict[str, Download]) -> None:
    """The readiness exports hold a row for every open pathway the report counts."""
    from competencies import readiness
    from lms.models import Agency, Association

    association = Association.get(Association.code == "EXP")
    report = readiness.association_report(association, TODAY, per_page=readiness.MAX_PER_PAGE)
    assert report.total == CLINICIANS - APPLICANTS or report.total == CLINICIANS

    rows = _csv(downloads["readiness report"], "readiness report")
    assert sorted(r[1] for r in rows[1:]) == sorted(r.email for r in report.matching)

    agency = Agency.get(Agency.name == "North Clinic")
    staff = readiness.association_report(association, TODAY, scope_agency_id=agency.id)
    rows = _csv(downloads["staff readiness"], "staff readiness")
    assert sorted(r[1] for r in rows[1:]) == sorted(r.email for r in staff.matching)
    assert len(rows) > 1

    counts = _csv(downloads["readiness counts"], "readiness counts")
    assert counts[-1][0] == "all" and int(counts[-1][-1]) == report.total
