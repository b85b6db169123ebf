"""Invitations, admin pages, tenancy."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PASSWORD


def _invite(app, association, actor_roles=("coordinator",)):
    from lms import accounts

    person = accounts.create_user("new@example.test", "New Person", association=association)
    return person, accounts.invite(person)


def test_invitation_sets_password_once(client, app, association):
    person, issued = _invite(app, association)
    url = f"/invitation/{issued.token}"
    assert "New Person" in client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"password": "my own long passphrase", "confirm": "my own long passphrase"}
    )
    assert response.status_code == 302
    again = client.post(
        url, data={"password": "another long passphrase", "confirm": "another long passphrase"}
    )
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_invitation_is_refused(client, app, association):
    from lms.models import Invitation

    person, issued = _invite(app, association)
    Invitation.update(expires_at=dt.datetime(2000, 1, 1)).execute()
    response = client.get(f"/invitation/{issued.token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_short_password_on_invitation_keeps_form(client, app, association):
    person, issued = _invite(app, association)
    response = client.post(
        f"/invitation/{issued.token}", data={"password": "short", "confirm": "short"}
    )
    assert response.status_code == 400
    assert "at least 12" in response.get_data(as_text=True)


def test_coordinator_invites_and_link_is_shown(client, auth, make_user, association):
    make_user("coord@example.test", roles=("coordinator",))
    auth.login("coord@example.test")
    response = client.post(
        f"/admin/associations/{association.id}/users",
        data={
            "email": "Trainer@Example.org",
            "display_name": "Tia Trainer",
            "roles": ["trainer"],
            "agency": "0",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "/invitation/" in body and "Tia Trainer" in body


def test_duplicate_email_is_a_form_error(client, auth, make_user, association):
    make_user("coord@example.test", roles=("coordinator",))
    make_user("taken@example.org")
    auth.login("coord@example.test")
    response = client.post(
        f"/admin/associations/{association.id}/users",
        data={
            "email": "TAKEN@example.org",
            "display_name": "X",
            "roles": ["trainer"],
            "agency": "0",
        },
    )
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_reviewer_of_a_cannot_open_user_of_b(
    client, auth, make_user, make_association, association
):
    other = make_association("B")
    make_user("coord@example.test", roles=("coordinator",))
    stranger = make_user("stranger@example.test", assoc=other)
    auth.login("coord@example.test")
    assert client.get(f"/admin/associations/{other.id}/users/{stranger.id}").status_code == 404
    assert (
        client.get(f"/admin/associations/{association.id}/users/{stranger.id}").status_code == 404
    )
    assert client.get(f"/admin/associations/{other.id}/users").status_code == 404


def test_reviewer_cannot_manage_users(client, auth, make_user, association):
    make_user("rev@example.test", roles=("reviewer",))
    auth.login("rev@example.test")
    assert client.get(f"/admin/associations/{association.id}/users").status_code == 403


def test_admin_creates_association_and_agency(client, auth, make_user):
    make_user("root@example.test", roles=("admin",), assoc=None)
    auth.login("root@example.test")
    response = client.post(
        "/admin/associations/new",
        data={"code": "oh", "name": "Ohio-style Association", "renewal_due": "06-30"},
    )
    assert response.status_code == 302
    from lms.models import Association

    created = Association.get(Association.code == "OH")
    bad = client.post(
        f"/admin/associations/{created.id}",
        data={"code": "OH", "name": "X", "renewal_due": "13-40"},
    )
    assert bad.status_code == 400 and "MM-DD" in bad.get_data(as_text=True)
    added = client.post(
        f"/admin/associations/{created.id}",
        data={"agency-name": "North Family Center", "agency-city": "Toledo"},
    )
    assert added.status_code == 302
    assert created.agencies.count() == 1


def test_coordinator_edits_roles_and_deactivates(client, auth, make_user, association):
    make_user("coord@example.test", roles=("coordinator",))
    person = make_user("p@example.test")
    auth.login("coord@example.test")
    url = f"/admin/associations/{association.id}/users/{person.id}"
    response = client.post(
        url,
        data={
            "display_name": "Pat",
            "city": "Lansing",
            "roles": ["clinician", "trainer"],
            "agency": "0",
        },
    )
    assert response.status_code == 302
    from lms.models import Membership, User

    roles = {m.role for m in Membership.select().where(Membership.user == person)}
    assert roles == {"clinician", "trainer"}
    client.post(url + "/active", data={"active": "0"})
    assert User.get_by_id(person.id).active is False


def test_demo_is_idempotent_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "clinician@demo.example" in first.output and "admin@demo.example" in first.output
    from lms.models import User

    count = User.select().count()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert User.select().count() == count


@pytest.mark.parametrize(
    "role",
    ["clinician", "trainer", "rsc_provider", "agency_manager", "reviewer", "coordinator", "admin"],
)
def test_each_demo_account_can_sign_in(app, client, role):
    app.test_cli_runner().invoke(args=["demo"])
    response = client.post(
        "/login", data={"email": f"{role}@demo.example", "password": "demo-pathway-2025"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_token_create_command_prints_token_once(app, make_user):
    make_user("ana@example.test")
    result = app.test_cli_runner().invoke(
        args=["token", "create", "ana@example.test", "--role", "clinician"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("imhp_")
    client = app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["email"] == "ana@example.test"
    missing_role = app.test_cli_runner().invoke(
        args=["token", "create", "ana@example.test", "--role", "trainer"]
    )
    assert missing_role.exit_code != 0


def test_account_page_creates_and_revokes_token(client, auth, make_user):
    make_user("ana@example.test")
    auth.login("ana@example.test")
    page = client.get("/account").get_data(as_text=True)
    assert "API tokens" in page
    from lms.models import ApiToken, Membership

    scope = f"clinician@{Membership.get().association_id}"
    created = client.post("/account", data={"name": "My LMS", "scope": scope, "password": PASSWORD})
    body = created.get_data(as_text=True)
    assert "will not be shown again" in body
    token = ApiToken.get()
    assert token.token_hash not in body  # only the secret is shown, never the stored hash
    client.post(f"/account/tokens/{token.id}/revoke")
    assert ApiToken.get().revoked_at is not None
