"""An API token lives only as long as the grant it was created for.

A token acts as one role in one association. It works only while its user still holds that
role there and the account is active, checked on every request; removing the role,
deactivating the account or changing its password revokes the tokens concerned (an audit row
each), and reactivating the account brings none back. Creating a token asks for the password
again. The RSC-session API answers for the token's association only.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PASSWORD
from tests.security.conftest import fresh_context

TODAY = dt.date.today()


@pytest.fixture
def people(app, association, make_association, make_user):
    """Ana: clinician in A and trainer in A; Olga: clinician in A and in B; an admin."""
    from lms.accounts import set_roles

    b = make_association("ZB", "Zephyr Basin Association")
    ana = make_user("ana@example.test", roles=("clinician", "trainer"))
    olga = make_user("olga@example.test", display_name="Olga Both")
    set_roles(olga, b, ["clinician"])
    admin = make_user("root@example.test", roles=("admin",), assoc=None)
    return {"a": association, "b": b, "ana": ana, "olga": olga, "admin": admin}


def _token(user, role, association):
    from lms.accounts import create_api_token

    issued = create_api_token(
        user, role=role, association=association, name="test", password=PASSWORD
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def _status(app, method, url, headers, **kw):
    """Send one request with its own `g`, as a server does."""
    with fresh_context(app):
        return app.test_client().open(url, method=method, headers=headers, **kw)


def _me(app, headers) -> int:
    return _status(app, "GET", "/api/v1/me", headers).status_code


def _revocations(user) -> list[tuple[str, str | None]]:
    """Return (role, association id) of the user's tokens that are revoked, with audit rows."""
    from lms.models import ApiToken, AuditLog

    revoked = []
    for token in ApiToken.select().where(
        (ApiToken.user == user) & ApiToken.revoked_at.is_null(False)
    ):
        assert (
            AuditLog.select()
            .where(
                (AuditLog.action == "token.revoke")
                & (AuditLog.object_type == "lms_apitoken")
                & (AuditLog.object_id == str(token.id))
            )
            .exists()
        ), f"no audit row for revoked token {token.id}"
        revoked.append((token.role, token.association_id))
    return sorted(revoked, key=str)


# --- revoked by the services ------------------------------------------------------------------


def test_removing_the_role_revokes_its_tokens_only(app, people):
    from lms.accounts import set_roles

    ana, a = people["ana"], people["a"]
    as_clinician, as_trainer = _token(ana, "clinician", a), _token(ana, "trainer", a)
    assert _me(app, as_clinician) == 200 and _me(app, as_trainer) == 200
    set_roles(ana, a, ["trainer"], actor=people["admin"])
    assert _me(app, as_clinician) == 401
    assert _me(app, as_trainer) == 200
    assert _revocations(ana) == [("clinician", a.id)]
    # Giving the role back does not revive the token: it was revoked, not suspended.
    set_roles(ana, a, ["trainer", "clinician"], actor=people["admin"])
    assert _me(app, as_clinician) == 401


def test_a_role_change_in_another_association_leaves_tokens_alone(app, people):
    from lms.accounts import set_roles

    olga = people["olga"]
    in_a = _token(olga, "clinician", people["a"])
    set_roles(olga, people["b"], ["trainer"], actor=people["admin"])
    assert _me(app, in_a) == 200
    assert _revocations(olga) == []


def test_deactivation_revokes_and_reactivation_revives_nothing(app, people):
    from lms.accounts import set_active

    olga = people["olga"]
    in_a, in_b = _token(olga, "clinician", people["a"]), _token(olga, "clinician", people["b"])
    set_active(olga, False, actor=people["admin"])
    assert _me(app, in_a) == 401 and _me(app, in_b) == 401
    assert len(_revocations(olga)) == 2
    set_active(olga, True, actor=people["admin"])
    assert _me(app, in_a) == 401 and _me(app, in_b) == 401


def test_password_change_revokes_every_token(app, people):
    from lms.accounts import change_password

    ana = people["ana"]
    headers = [_token(ana, "clinician", people["a"]), _token(ana, "trainer", people["a"])]
    change_password(ana, PASSWORD, "an entirely new pass phrase")
    assert [_me(app, h) for h in headers] == [401, 401]
    assert len(_revocations(ana)) == 2


def test_password_set_through_an_invitation_revokes_every_token(app, people):
    from lms.accounts import accept_invitation, invite

    ana = people["ana"]
    headers = _token(ana, "clinician", people["a"])
    issued = invite(ana, actor=people["admin"])
    accept_invitation(issued.token, "an entirely new pass phrase")
    assert _me(app, headers) == 401
    assert _revocations(ana) == [("clinician", people["a"].id)]


# --- checked on every request, whatever changed the grant ---------------------------------------


def test_token_stops_when_the_membership_is_gone_even_without_a_service(app, people):
    from lms.models import Membership

    ana, a = people["ana"], people["a"]
    headers = _token(ana, "clinician", a)
    Membership.delete().where(
        (Membership.user == ana) & (Membership.association == a) & (Membership.role == "clinician")
    ).execute()
    assert _me(app, headers) == 401


def test_token_stops_when_the_membership_moved_to_another_association(app, people):
    from lms.models import Membership

    ana, a, b = people["ana"], people["a"], people["b"]
    headers = _token(ana, "clinician", a)
    Membership.update(association=b).where(
        (Membership.user == ana) & (Membership.role == "clinician")
    ).execute()
    assert _me(app, headers) == 401


def test_token_stops_when_the_account_is_inactive_even_without_a_service(app, people):
    from lms.models import User

    headers = _token(people["ana"], "trainer", people["a"])
    User.update(active=False).where(User.id == people["ana"].id).execute()
    assert _me(app, headers) == 401


def test_admin_token_follows_the_admin_role(app, people):
    from lms.models import Membership

    headers = _token(people["admin"], "admin", None)
    assert _me(app, headers) == 200
    Membership.delete().where(Membership.user == people["admin"]).execute()
    assert _me(app, headers) == 401


def test_token_check_is_one_query(app, people):
    from playhouse.test_utils import count_queries

    from lms.accounts import create_api_token, find_api_token

    issued = create_api_token(
        people["ana"], role="clinician", association=people["a"], name="t", password=PASSWORD
    )
    with count_queries() as counter:
        token = find_api_token(issued.secret)
        assert token.user.email == "ana@example.test"
    assert counter.count == 1


# --- creating a token asks for the password ---------------------------------------------------


def test_service_refuses_a_token_without_the_right_password(people):
    from lms.accounts import AccountError, create_api_token
    from lms.models import ApiToken

    for wrong in ("", "not the password"):
        with pytest.raises(AccountError) as refused:
            create_api_token(
                people["ana"], role="clinician", association=people["a"], name="x", password=wrong
            )
        assert refused.value.field == "password"
    assert ApiToken.select().count() == 0


def test_account_page_asks_for_the_password_before_creating_a_token(client, auth, people):
    from lms.models import ApiToken

    auth.login("ana@example.test")
    scope = f"clinician@{people['a'].id}"
    missing = client.post("/account", data={"name": "My LMS", "scope": scope})
    assert missing.status_code == 400
    wrong = client.post("/account", data={"name": "My LMS", "scope": scope, "password": "nope"})
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "password is not correct" in body
    assert "will not be shown again" not in body
    assert ApiToken.select().count() == 0
    right = client.post("/account", data={"name": "My LMS", "scope": scope, "password": PASSWORD})
    assert right.status_code == 200 and "will not be shown again" in right.get_data(as_text=True)
    assert ApiToken.select().count() == 1


# --- the RSC-session API answers for the token's association ----------------------------------


@pytest.fixture
def sessions(app, people):
    """Olga's pending session in A and one in B (with a private note), each with its provider."""
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user
    from supervision import credentials, rules, services

    install_defaults()
    made = {}
    for key in ("a", "b"):
        association = people[key]
        provider = create_user(
            f"provider.{key}@example.test",
            f"Provider {key.upper()}",
            roles=("rsc_provider",),
            association=association,
            password=PASSWORD,
        )
        credentials.record_credential(
            provider, association, "IMHS", TODAY - dt.timedelta(days=2000), actor=people["admin"]
        )
        made[key] = services.log_session(
            people["olga"],
            association,
            provider,
            rules.SessionInput(
                TODAY - dt.timedelta(days=5), 1.5, private_note=f"private note {key}"
            ),
        )
    return made


def test_rsc_list_shows_only_the_tokens_association(app, people, sessions):
    in_a = _token(people["olga"], "clinician", people["a"])
    response = _status(app, "GET", "/api/v1/rsc-sessions", in_a)
    assert response.status_code == 200
    assert [s["id"] for s in response.json["sessions"]] == [sessions["a"].id]
    assert "private note b" not in response.get_data(as_text=True)
    in_b = _token(people["olga"], "clinician", people["b"])
    listed = _status(app, "GET", "/api/v1/rsc-sessions", in_b).json["sessions"]
    assert [s["id"] for s in listed] == [sessions["b"].id]


def test_rsc_patch_of_another_associations_session_is_404(app, people, sessions):
    from supervision.models import RscSession

    in_a = _token(people["olga"], "clinician", people["a"])
    url = f"/api/v1/rsc-sessions/{sessions['b'].id}"
    response = _status(app, "PATCH", url, in_a, json={"hours": 3, "private_note": "overwritten"})
    assert response.status_code == 404
    assert "private note" not in response.get_data(as_text=True)
    stored = RscSession.get_by_id(sessions["b"].id)
    assert (stored.hours, stored.private_note) == (1.5, "private note b")
    own = _status(app, "PATCH", f"/api/v1/rsc-sessions/{sessions['a'].id}", in_a, json={"hours": 2})
    assert own.status_code == 200 and own.json["hours"] == 2


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_rsc_get_and_delete_of_a_session_do_not_exist(app, people, sessions, method):
    """The API has no reading or deleting of one session: nothing to leak, nothing deleted."""
    from supervision.models import RscSession

    in_a = _token(people["olga"], "clinician", people["a"])
    for session in sessions.values():
        response = _status(app, method, f"/api/v1/rsc-sessions/{session.id}", in_a)
        assert response.status_code == 405
        assert "private note" not in response.get_data(as_text=True)
    assert RscSession.select().count() == 2


def test_rsc_log_uses_the_tokens_association(app, people, sessions):
    """A provider of B is refused to a token of A; the session is logged in A only."""
    in_a = _token(people["olga"], "clinician", people["a"])
    body = {"occurred_on": (TODAY - dt.timedelta(days=1)).isoformat(), "hours": 1.0}
    provider_b = sessions["b"].provider_id
    refused = _status(
        app, "POST", "/api/v1/rsc-sessions", in_a, json={**body, "provider_id": provider_b}
    )
    assert refused.status_code == 422 and refused.json["error"]["field"] == "provider_id"
