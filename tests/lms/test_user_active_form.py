"""The deactivate/reactivate button sends the state it means, never a toggle.

An admin whose page is stale (another admin changed the account meanwhile) who clicks
"Deactivate" must not reactivate the person: the form carries `active=0|1`, and a post that
does not change the current state is refused with a message and writes nothing.
"""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def setup(make_user, association):
    make_user("coord@example.test", roles=("coordinator",))
    person = make_user("pat@example.test", display_name="Pat Person")
    return association, person


def _url(association, person, suffix=""):
    return f"/admin/associations/{association.id}/users/{person.id}{suffix}"


def _active(person) -> bool:
    from lms.models import User

    return User.get_by_id(person.id).active


def _audit_rows(person) -> int:
    from lms.models import AuditLog

    return (
        AuditLog.select()
        .where(
            (AuditLog.action == "user.active")
            & (AuditLog.object_type == "lms_user")
            & (AuditLog.object_id == str(person.id))
        )
        .count()
    )


def _button_form(html: str, action: str) -> str:
    """Return the markup of the form posting to `action`."""
    match = re.search(
        r'<form method="post" action="' + re.escape(action) + r'".*?</form>', html, re.S
    )
    assert match, f"no form posting to {action}"
    return match.group(0)


def test_button_names_what_it_does_and_sends_the_intended_state(client, auth, setup):
    from lms.accounts import set_active
    from lms.models import User

    association, person = setup
    auth.login("coord@example.test")
    form = _button_form(
        client.get(_url(association, person)).get_data(as_text=True),
        _url(association, person, "/active"),
    )
    assert "Deactivate Pat Person" in form
    assert re.search(r'name="active"[^>]*value="0"', form)
    set_active(person, False, actor=User.get(User.email == "coord@example.test"))
    form = _button_form(
        client.get(_url(association, person)).get_data(as_text=True),
        _url(association, person, "/active"),
    )
    assert "Reactivate Pat Person" in form
    assert re.search(r'name="active"[^>]*value="1"', form)


def test_deactivate_and_reactivate_do_what_they_say(client, auth, setup):
    association, person = setup
    auth.login("coord@example.test")
    response = client.post(_url(association, person, "/active"), data={"active": "0"})
    assert response.status_code == 302
    assert _active(person) is False
    response = client.post(_url(association, person, "/active"), data={"active": "1"})
    assert response.status_code == 302
    assert _active(person) is True
    assert _audit_rows(person) == 2


@pytest.mark.parametrize("intended, current", [("0", False), ("1", True)])
def test_a_stale_click_is_refused_and_writes_nothing(client, auth, setup, intended, current):
    """Another admin already made the change: the click does not undo it."""
    from lms.accounts import set_active
    from lms.models import User

    association, person = setup
    if not current:
        set_active(person, False, actor=User.get(User.email == "coord@example.test"))
    before = _audit_rows(person)
    auth.login("coord@example.test")
    response = client.post(_url(association, person, "/active"), data={"active": intended})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    state = "deactivated" if not current else "active"
    assert f"Pat Person is already {state}" in body and "nothing was changed" in body
    assert _active(person) is current
    assert _audit_rows(person) == before


@pytest.mark.parametrize("posted", [{}, {"active": ""}, {"active": "yes"}, {"active": "2"}])
def test_a_missing_or_unknown_state_is_refused(client, auth, setup, posted):
    association, person = setup
    auth.login("coord@example.test")
    response = client.post(_url(association, person, "/active"), data=posted)
    assert response.status_code == 400
    assert "active must be 0 or 1" in response.get_data(as_text=True)
    assert _active(person) is True
    assert _audit_rows(person) == 0
