"""A person with roles in two associations: each coordinator changes only their own roles.

Whatever acts on the account itself (invitation and so the password, name and city,
deactivation, reactivation) is for an admin, or for whoever coordinates every association the
account belongs to. Otherwise the service refuses and the page says the account is shared and
who can change it, without naming the other association. An invitation to an email address
that belongs to an account of another association does not tell the coordinator so.
"""

from __future__ import annotations

import pytest

SHARED = "shared with another association"
B_NAME = "Zephyr Basin Association"


@pytest.fixture
def people(app, association, make_association, make_user):
    """A and B, their coordinators, an admin, Sam (clinician in A, trainer in B), Ana (A only)."""
    from lms.accounts import set_roles

    b = make_association("ZB", B_NAME)
    coordinator_a = make_user("coord.a@example.org", roles=("coordinator",))
    coordinator_b = make_user(
        "coord.b@example.org", roles=("coordinator",), assoc=b, display_name="Bea Basin"
    )
    both = make_user("coord.both@example.org", roles=("coordinator",))
    set_roles(both, b, ["coordinator"])
    admin = make_user("root@example.org", roles=("admin",), assoc=None)
    shared = make_user("sam@example.org", display_name="Sam Shared")
    set_roles(shared, b, ["trainer"])
    only_a = make_user("ana@example.org", display_name="Ana Alone")
    return {
        "a": association,
        "b": b,
        "coordinator_a": coordinator_a,
        "coordinator_b": coordinator_b,
        "both": both,
        "admin": admin,
        "shared": shared,
        "only_a": only_a,
    }


def _url(p, person, suffix=""):
    return f"/admin/associations/{p['a'].id}/users/{p[person].id}{suffix}"


def _fresh(user):
    from lms.models import User

    return User.get_by_id(user.id)


def _roles(user, association):
    from lms.models import Membership

    return sorted(
        m.role
        for m in Membership.select().where(
            (Membership.user == user) & (Membership.association == association)
        )
    )


def _invitations(user):
    from lms.models import Invitation

    return Invitation.select().where(Invitation.user == user).count()


# --- the service: one check -------------------------------------------------------------------


def test_can_manage_account_needs_every_association_of_the_account(people):
    from lms.accounts import can_manage_account

    shared, only_a = people["shared"], people["only_a"]
    assert can_manage_account(people["coordinator_a"], only_a)
    assert not can_manage_account(people["coordinator_a"], shared)
    assert not can_manage_account(people["coordinator_b"], shared)
    assert can_manage_account(people["both"], shared)
    assert can_manage_account(people["admin"], shared)
    # A clinician of both is no coordinator of either.
    assert not can_manage_account(people["only_a"], shared)


@pytest.mark.parametrize("action", ["invite", "deactivate", "reactivate", "rename", "city"])
def test_services_refuse_account_actions_on_a_shared_account(people, action):
    from lms import accounts
    from lms.models import AuditLog

    shared, actor = people["shared"], people["coordinator_a"]
    if action == "reactivate":
        accounts.set_active(shared, False, actor=people["admin"])
    rows = AuditLog.select().count()
    calls = {
        "invite": lambda: accounts.invite(shared, actor=actor, association=people["a"]),
        "deactivate": lambda: accounts.set_active(shared, False, actor=actor),
        "reactivate": lambda: accounts.set_active(shared, True, actor=actor),
        "rename": lambda: accounts.update_profile(
            shared, display_name="Taken Over", city="", actor=actor
        ),
        "city": lambda: accounts.update_profile(
            shared, display_name="Sam Shared", city="Elsewhere", actor=actor
        ),
    }
    with pytest.raises(accounts.AccountError) as refused:
        calls[action]()
    assert SHARED in str(refused.value)
    assert B_NAME not in str(refused.value) and "ZB" not in str(refused.value)
    stored = _fresh(shared)
    assert stored.display_name == "Sam Shared" and stored.city == ""
    assert stored.active is (action != "reactivate")
    assert _invitations(shared) == 0
    assert AuditLog.select().count() == rows


# --- the pages --------------------------------------------------------------------------------


def test_coordinator_of_a_cannot_send_an_invitation_to_a_shared_account(client, auth, people):
    auth.login("coord.a@example.org")
    response = client.post(_url(people, "shared", "/invite"))
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert SHARED in body and "administrator" in body
    assert B_NAME not in body and "/invitation/" not in body
    assert _invitations(people["shared"]) == 0


def test_coordinator_of_a_cannot_deactivate_or_reactivate_a_shared_account(client, auth, people):
    from lms.accounts import set_active

    auth.login("coord.a@example.org")
    response = client.post(_url(people, "shared", "/active"), data={"active": "0"})
    assert response.status_code == 403 and SHARED in response.get_data(as_text=True)
    assert _fresh(people["shared"]).active is True
    set_active(people["shared"], False, actor=people["admin"])
    response = client.post(_url(people, "shared", "/active"), data={"active": "1"})
    assert response.status_code == 403
    assert _fresh(people["shared"]).active is False


def test_coordinator_of_a_cannot_rename_a_shared_account(client, auth, people):
    auth.login("coord.a@example.org")
    response = client.post(
        _url(people, "shared"),
        data={"display_name": "Taken Over", "city": "", "roles": ["clinician"], "agency": "0"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert SHARED in body and B_NAME not in body
    assert _fresh(people["shared"]).display_name == "Sam Shared"


def test_coordinator_of_a_still_changes_their_roles_of_a_shared_account(client, auth, people):
    auth.login("coord.a@example.org")
    response = client.post(
        _url(people, "shared"),
        data={
            "display_name": "Sam Shared",
            "city": "",
            "roles": ["clinician", "reviewer"],
            "agency": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _roles(people["shared"], people["a"]) == ["clinician", "reviewer"]
    assert _roles(people["shared"], people["b"]) == ["trainer"]
    assert _fresh(people["shared"]).display_name == "Sam Shared"


def test_page_explains_a_shared_account_without_naming_the_other_association(client, auth, people):
    auth.login("coord.a@example.org")
    response = client.get(_url(people, "shared"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SHARED in body and "administrator" in body
    assert B_NAME not in body and "ZB" not in body
    assert _url(people, "shared", "/invite") not in body  # no button that would be refused
    assert _url(people, "shared", "/active") not in body
    own = client.get(_url(people, "only_a")).get_data(as_text=True)
    assert SHARED not in own and _url(people, "only_a", "/invite") in own


@pytest.mark.parametrize("who", ["root@example.org", "coord.both@example.org"])
def test_admin_and_coordinator_of_every_association_manage_a_shared_account(
    client, auth, people, who
):
    from lms.models import AuditLog

    auth.login(who)
    invited = client.post(_url(people, "shared", "/invite"))
    assert invited.status_code == 200 and "/invitation/" in invited.get_data(as_text=True)
    renamed = client.post(
        _url(people, "shared"),
        data={
            "display_name": "Sam Renamed",
            "city": "Lansing",
            "roles": ["clinician"],
            "agency": "0",
        },
    )
    assert renamed.status_code == 302
    deactivated = client.post(_url(people, "shared", "/active"), data={"active": "0"})
    assert deactivated.status_code == 302
    stored = _fresh(people["shared"])
    assert (stored.display_name, stored.city, stored.active) == ("Sam Renamed", "Lansing", False)
    # Every account-level action is recorded with the account as its subject.
    actions = {
        row.action
        for row in AuditLog.select().where(
            (AuditLog.object_type == "lms_user") & (AuditLog.object_id == str(stored.id))
        )
    }
    assert {"user.invite", "user.profile", "user.active"} <= actions


def test_coordinator_of_a_still_manages_an_account_only_in_a(client, auth, people):
    auth.login("coord.a@example.org")
    assert client.post(_url(people, "only_a", "/invite")).status_code == 200
    renamed = client.post(
        _url(people, "only_a"),
        data={"display_name": "Ana Renamed", "city": "", "roles": ["clinician"], "agency": "0"},
    )
    assert renamed.status_code == 302
    assert client.post(_url(people, "only_a", "/active"), data={"active": "0"}).status_code == 302
    assert _fresh(people["only_a"]).active is False


# --- issue 13, point 9: inviting an email address in use elsewhere ------------------------------


def _invite(client, association, email):
    return client.post(
        f"/admin/associations/{association.id}/users",
        data={"email": email, "display_name": "Someone", "roles": ["clinician"], "agency": "0"},
    )


def test_inviting_an_email_of_another_association_reveals_nothing(client, auth, people):
    from lms.models import AuditLog, User

    b_only = User.get_by_id(people["coordinator_b"].id)
    auth.login("coord.a@example.org")
    rows = AuditLog.select().count()
    elsewhere = _invite(client, people["a"], b_only.email.upper())
    body = elsewhere.get_data(as_text=True)
    assert elsewhere.status_code == 400
    assert "already exists" not in body
    assert B_NAME not in body and "ZB" not in body and b_only.display_name not in body
    assert "administrator" in body
    # Nothing about the account changed: no role in A, no invitation, no audit row.
    assert _roles(b_only, people["a"]) == [] and _invitations(b_only) == 0
    assert AuditLog.select().count() == rows


def test_inviting_an_email_already_in_this_association_says_so(client, auth, people):
    auth.login("coord.a@example.org")
    response = _invite(client, people["a"], "ana@example.org")
    assert response.status_code == 400
    assert "already" in response.get_data(as_text=True)


def test_create_user_message_does_not_tell_a_coordinator_of_another_association(people):
    from lms.accounts import AccountError, create_user

    with pytest.raises(AccountError) as refused:
        create_user(
            "coord.b@example.org",
            "Someone",
            association=people["a"],
            actor=people["coordinator_a"],
        )
    assert "already exists" not in str(refused.value)
    assert refused.value.field == "email"


def test_admin_invitation_of_an_existing_account_adds_the_roles(client, auth, people):
    """An admin may add an account of B to A (the route the neutral message points to)."""
    auth.login("root@example.org")
    response = _invite(client, people["a"], "coord.b@example.org")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _roles(people["coordinator_b"], people["a"]) == ["clinician"]
    assert _roles(people["coordinator_b"], people["b"]) == ["coordinator"]
    assert _invitations(people["coordinator_b"]) == 0  # they already have a password
