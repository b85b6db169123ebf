"""A clinician sees, on their own transcript, the certificate of each training they reported
(issue 16, point 8): a link that opens it; trainings a trainer recorded carry none."""

from __future__ import annotations

import datetime as dt

from tests.courses.conftest import TODAY

PDF = b"%PDF-1.7\n%certificate of the reported training\n%%EOF\n"


def test_the_own_transcript_links_each_reported_certificate(
    client, auth, clinician, coordinator, make_training, trainer, actor
):
    from courses import completions, self_reports

    reported = self_reports.report_training(
        actor(clinician),
        training=None,
        title="Infant massage",
        provider="Elsewhere",
        completed_on=TODAY - dt.timedelta(days=3),
        hours=2,
        areas=[],
        certificate=PDF,
        filename="massage.pdf",
        content_type="application/pdf",
    )
    recorded, _ = completions.record_completion(
        actor(trainer),
        clinician=clinician,
        training=make_training(),
        completed_on=TODAY - dt.timedelta(days=5),
        source="api",
    )
    auth.login(clinician.email)
    page = client.get("/courses/transcript").get_data(as_text=True)
    link = f'href="/courses/completions/{reported.id}/certificate"'
    assert link in page
    assert f'href="/courses/completions/{recorded.id}/certificate"' not in page
    assert page.count(">Certificate<") == 1
    opened = client.get(f"/courses/completions/{reported.id}/certificate")
    assert opened.status_code == 200 and opened.get_data() == PDF
    # Served as every stored document is (lms.uploads), as SECURITY.md promises.
    assert opened.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-{reported.id}.pdf"'
    )
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert opened.headers["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in opened.headers["Content-Security-Policy"]
    auth.logout()
    auth.login(coordinator.email)  # staff read the transcript; they open certificates to verify
    staff_view = client.get(f"/courses/clinicians/{clinician.id}/transcript")
    assert staff_view.status_code == 200 and link not in staff_view.get_data(as_text=True)
