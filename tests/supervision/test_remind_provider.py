"""The RSC page's "remind my provider": who must attest since when, one email a day per
pending session, each reminder audited (issue 16.5)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lms.models import AuditLog
from supervision import reminders, services
from tests.conftest import PASSWORD, csrf_token_from

TODAY = dt.date.today()


@pytest.fixture
def outbox(monkeypatch):
    sent = []
    monkeypatch.setattr(
        reminders, "send_mail", lambda to, subject, body: sent.append((to, subject, body))
    )
    return sent


def _remind(client, session_id):
    page = client.get("/supervision/").get_data(as_text=True)
    return client.post(
        f"/supervision/sessions/{session_id}/remind",
        data={"csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )


def test_rsc_page_names_the_provider_and_the_day_it_waits_since(client, auth, clinician, log):
    session = log(days_ago=4)
    auth.login(clinician.email)
    page = client.get("/supervision/").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert f"Waiting for Pat Provider to attest since {session.created_at:%Y-%m-%d}" in text
    assert f'action="/supervision/sessions/{session.id}/remind"' in page


def test_remind_emails_the_provider_once_a_day_and_audits_it(
    client, auth, clinician, provider, log, outbox
):
    session = log(days_ago=4)
    auth.login(clinician.email)
    first = _remind(client, session.id)
    assert first.status_code == 200
    assert "Pat Provider is reminded by email." in first.get_data(as_text=True)
    ((to, subject, body),) = outbox
    assert to == provider.email and "Zoë Ñúñez" in subject
    assert session.occurred_on.isoformat() in body and "/supervision/provider" in body
    audits = AuditLog.select().where(AuditLog.action == "rsc_session.remind")
    assert [(a.actor_id, a.object_id) for a in audits] == [(clinician.id, str(session.id))]

    again = _remind(client, session.id)
    assert "reminded of this session today already" in again.get_data(as_text=True)
    assert len(outbox) == 1 and audits.count() == 1
    # Tomorrow another reminder may go.
    reminders.remind_provider(session, clinician, today=TODAY + dt.timedelta(days=1))
    assert len(outbox) == 2 and audits.count() == 2


def test_remind_refuses_attested_and_others_sessions(
    client, auth, clinician, provider, log, make_user, outbox
):
    signed = log(days_ago=9)
    services.attest([signed], provider=provider, password=PASSWORD)
    auth.login(clinician.email)
    refused = _remind(client, signed.id)
    assert "not waiting for attestation any more" in refused.get_data(as_text=True)
    other = make_user("other@example.test")
    theirs = log(days_ago=3, who=other)
    auth.logout()
    auth.login(clinician.email)
    page = client.get("/supervision/").get_data(as_text=True)
    response = client.post(
        f"/supervision/sessions/{theirs.id}/remind", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 404
    assert outbox == []
    assert not AuditLog.select().where(AuditLog.action == "rsc_session.remind").exists()
