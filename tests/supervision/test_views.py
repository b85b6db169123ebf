"""Pages, API and commands of the supervision plugin, and its permission matrix."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from competencies.models import Evidence
from supervision import credentials, services
from supervision.models import RscSession
from tests.conftest import PASSWORD

TODAY = dt.date.today()
ROLES = (
    "clinician",
    "trainer",
    "rsc_provider",
    "agency_manager",
    "reviewer",
    "coordinator",
    "admin",
    "anonymous",
)
CLINICIAN = {"clinician": 200}
PROVIDER = {"rsc_provider": 200}
COORD = {"coordinator": 200, "admin": 200}

# (method, url template, {role: status}); unlisted signed-in roles get 403, anonymous 302.
ROUTES = [
    ("GET", "/supervision/", CLINICIAN),
    ("GET", "/supervision/sessions/new", CLINICIAN),
    ("GET", "/supervision/sessions/{session}", CLINICIAN),
    ("POST", "/supervision/sessions/{session}/withdraw", {"clinician": 302}),
    ("POST", "/supervision/sessions/{session}/remind", {"clinician": 302}),
    ("GET", "/supervision/provider", PROVIDER),
    ("POST", "/supervision/provider/attest", {"rsc_provider": 400}),
    ("POST", "/supervision/provider/sessions/{session}/reject", {"rsc_provider": 400}),
    ("GET", "/supervision/provider/enter", PROVIDER),
    ("GET", "/supervision/providers", COORD),
    ("GET", "/supervision/providers/{provider}", COORD),
    ("POST", "/supervision/credentials/{credential}/revoke", {"coordinator": 302, "admin": 302}),
]


@pytest.fixture
def world(clinician, provider, coordinator, log, make_user):
    from supervision.models import ProviderCredential

    people = {"clinician": clinician, "rsc_provider": provider, "coordinator": coordinator}
    for role in ("trainer", "agency_manager", "reviewer", "admin"):
        people[role] = make_user(f"{role}@example.test", roles=(role,))
    return {
        "people": people,
        "session": log().id,
        "provider": provider.id,
        "credential": ProviderCredential.select().first().id,
    }


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(app, client, auth, world, api_token, role):
    """Every supervision route and the API, for one role (one app per role keeps it quick)."""
    people = world["people"]
    headers = {} if role == "anonymous" else api_token(people[role])
    if role != "anonymous":
        auth.login(people[role].email)
    got, expected = {}, {}
    for method, url, allowed in ROUTES:  # state-changing routes come last
        got[url] = client.open(url.format(**world), method=method).status_code
        expected[url] = allowed.get(role, 302 if role == "anonymous" else 403)
    got["api"] = client.get("/api/v1/rsc-sessions", headers=headers).status_code
    expected["api"] = {"clinician": 200, "anonymous": 401}.get(role, 403)
    assert got == expected


def _form(provider, **kw):
    data = {
        "provider": provider.id,
        "occurred_on": (TODAY - dt.timedelta(days=3)).isoformat(),
        "hours": "1.5",
        "format": "individual",
        "group_size": "",
        "private_note": "",
        "submit": "Log session",
    }
    data.update(kw)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": "0"}, "quarter hours"),
        ({"hours": "25"}, "quarter hours"),
        ({"hours": "-1"}, "quarter hours"),
        ({"hours": "1.13"}, "quarter hours"),
        ({"occurred_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "in the future"),
        ({"occurred_on": "1989-06-01"}, "before 1990"),
        ({"format": "group", "group_size": "1", "facilitated": "y"}, "at least 2 people"),
    ],
)
def test_log_form_refuses_bad_input_keeping_it(client, auth, clinician, provider, change, message):
    auth.login(clinician.email)
    response = client.post("/supervision/sessions/new", data=_form(provider, **change))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if "hours" in change:
        assert f'value="{change["hours"]}' in page or change["hours"] in page
    assert RscSession.select().count() == 0


def test_log_form_checks_then_logs(client, auth, clinician, provider):
    auth.login(clinician.email)
    check = client.post(
        "/supervision/sessions/new",
        data=_form(provider, format="peer", group_size="3", submit="", check="y"),
    )
    assert check.status_code == 200
    page = check.get_data(as_text=True)
    assert "Will it count?" in page and "peer group without facilitator" in page
    assert RscSession.select().count() == 0
    saved = client.post("/supervision/sessions/new", data=_form(provider))
    assert saved.status_code == 302
    session = RscSession.get()
    shown = client.get(f"/supervision/sessions/{session.id}").get_data(as_text=True)
    assert "Yes" in shown and "Waiting for Pat Provider" in shown
    assert re.search(rf'<option selected value="{provider.id}">', shown)  # form keeps the provider


def test_rsc_page_shows_window_hours_by_provider_and_reasons(
    client, auth, clinician, provider, log
):
    services.attest(
        [log(days_ago=d, hours=2) for d in (200, 100)], provider=provider, password=PASSWORD
    )
    services.attest(
        [log(days_ago=50, fmt="peer", group_size=3)], provider=provider, password=PASSWORD
    )
    log(days_ago=5)
    auth.login(clinician.email)
    page = client.get("/supervision/").get_data(as_text=True)
    first = (TODAY - dt.timedelta(days=200)).isoformat()
    assert "4 of 50 h" in page
    assert f"from <strong>{first}</strong>" in page
    assert "Pat Provider" in page and "4 h" in page
    assert "peer group without facilitator" in page
    assert "will count once attested" in page


def test_provider_page_never_shows_private_note(client, auth, provider, log):
    log(private_note="very private words")
    auth.login(provider.email)
    page = client.get("/supervision/provider").get_data(as_text=True)
    assert "Zoë Ñúñez" in page and "very private words" not in page


def test_attest_page_signs_and_wrong_password_is_rate_limited(app, client, auth, provider, log):
    app.config["SUPERVISION_SIGN_LIMIT"] = "3 per 15 minutes"
    session = log()
    auth.login(provider.email)
    for _ in range(3):
        bad = client.post(
            "/supervision/provider/attest", data={"sessions": session.id, "password": "wrong!"}
        )
        assert bad.status_code == 400
        assert "password is not correct" in bad.get_data(as_text=True)
    assert (
        client.post(
            "/supervision/provider/attest", data={"sessions": session.id, "password": PASSWORD}
        ).status_code
        == 429
    )
    assert RscSession.get_by_id(session.id).status == "pending"
    assert Evidence.select().count() == 0


def test_attest_page_signs_in_bulk(client, auth, provider, log):
    ids = [log(days_ago=d).id for d in (30, 20, 10)]
    auth.login(provider.email)
    response = client.post(
        "/supervision/provider/attest", data={"sessions": ids, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert RscSession.select().where(RscSession.status == "attested").count() == 3


def test_provider_of_other_association_gets_404(client, auth, log, make_user, make_association):
    elsewhere = make_association("B")
    stranger = make_user("b@example.test", roles=("rsc_provider",), assoc=elsewhere)
    session = log()
    auth.login(stranger.email)
    response = client.post(
        "/supervision/provider/attest", data={"sessions": session.id, "password": PASSWORD}
    )
    assert response.status_code == 404
    assert (
        client.post(
            f"/supervision/provider/sessions/{session.id}/reject", data={"reason": "no"}
        ).status_code
        == 404
    )
    assert RscSession.get_by_id(session.id).status == "pending"


def test_provider_enters_group_session(client, auth, provider, clinician, make_user):
    second = make_user("second@example.test")
    auth.login(provider.email)
    data = {
        "attendees": [clinician.id, second.id],
        "occurred_on": TODAY.isoformat(),
        "hours": "2",
        "format": "group",
        "group_size": "5",
        "password": PASSWORD,
    }
    assert client.post("/supervision/provider/enter", data=data).status_code == 302
    assert RscSession.select().where(RscSession.status == "attested").count() == 2
    bad = client.post("/supervision/provider/enter", data={**data, "group_size": "1"})
    assert bad.status_code == 400 and RscSession.select().count() == 2


def test_coordinator_records_and_revokes_credentials(client, auth, coordinator, provider):
    auth.login(coordinator.email)
    url = f"/supervision/providers/{provider.id}"
    ok = client.post(url, data={"code": "ERS", "valid_from": TODAY.isoformat()})
    assert ok.status_code == 302
    assert credentials.credentials_of(provider, provider.memberships[0].association) == [
        "ERS",
        "IMHS",
    ]
    dup = client.post(url, data={"code": "ERS", "valid_from": TODAY.isoformat()})
    assert dup.status_code == 400 and "already holds" in dup.get_data(as_text=True)


def test_api_lists_logs_and_patches_own_sessions(client, clinician, provider, log, api_token):
    headers = api_token(clinician)
    body = {"provider_id": provider.id, "occurred_on": TODAY.isoformat(), "hours": 1.13}
    bad = client.post("/api/v1/rsc-sessions", json=body, headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "hours"
    created = client.post("/api/v1/rsc-sessions", json={**body, "hours": 1.25}, headers=headers)
    assert created.status_code == 201 and created.json["status"] == "pending"
    sid = created.json["id"]
    patched = client.patch(f"/api/v1/rsc-sessions/{sid}", json={"hours": 2}, headers=headers)
    assert patched.status_code == 200 and patched.json["hours"] == 2
    listed = client.get("/api/v1/rsc-sessions", headers=headers).json["sessions"]
    assert [s["id"] for s in listed] == [sid]


def test_api_refuses_editing_attested_session(client, clinician, provider, log, api_token):
    (session,) = services.attest([log()], provider=provider, password=PASSWORD)
    response = client.patch(
        f"/api/v1/rsc-sessions/{session.id}", json={"hours": 3}, headers=api_token(clinician)
    )
    assert response.status_code == 409
    assert "attested" in response.json["error"]["message"]
    assert RscSession.get_by_id(session.id).hours == 1.5


def test_api_hides_other_clinicians_sessions(client, log, make_user, api_token):
    session = log()
    other = make_user("other@example.test")
    response = client.patch(
        f"/api/v1/rsc-sessions/{session.id}", json={"hours": 3}, headers=api_token(other)
    )
    assert response.status_code == 404


def test_remind_command_says_what_it_sent(runner, log):
    session = log()
    RscSession.update(created_at=dt.datetime(2020, 1, 1)).where(
        RscSession.id == session.id
    ).execute()
    first = runner.invoke(args=["supervision", "remind", "--today", TODAY.isoformat()])
    assert first.exit_code == 0, first.output
    assert "Sent to provider@example.test" in first.output
    again = runner.invoke(args=["supervision", "remind", "--today", TODAY.isoformat()])
    assert "0 reminder(s) sent." in again.output


def test_signatures_command_reports_tampering(runner, log, provider):
    (session,) = services.attest([log()], provider=provider, password=PASSWORD)
    assert runner.invoke(args=["supervision", "signatures"]).exit_code == 0
    RscSession.update(about_giving_rsc=True).where(RscSession.id == session.id).execute()
    result = runner.invoke(args=["supervision", "signatures"])
    assert result.exit_code == 1 and f"Session {session.id}" in result.output


def test_demo_is_idempotent(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    count = RscSession.select().count()
    assert count > 20
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert RscSession.select().count() == count
