"""Issue 16.9: names instead of ids and codes, and a favicon of our own."""

from __future__ import annotations

import re

from lms.plugins import ROLES, role_label


def test_every_role_has_a_name_for_people():
    assert role_label("rsc_provider") == "RSC provider"
    assert all(role_label(r) and "_" not in role_label(r) for r in ROLES)


def test_favicon_is_linked_and_served_locally(client):
    body = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', body).group(1)
    assert href.startswith("/static/")
    response = client.get(href)
    try:
        assert response.status_code == 200 and b"<svg" in response.data
    finally:
        response.close()


def test_audit_log_names_people_not_ids(app, client, auth, make_user):
    coordinator = make_user("coord@example.test", roles=("coordinator",), display_name="Cora Coord")
    person = make_user("rsc@example.test", roles=("rsc_provider",), display_name="Pat Provider")
    from lms import accounts
    from lms.models import Association

    accounts.set_roles(person, Association.get(), ["rsc_provider", "trainer"], actor=coordinator)
    auth.login("coord@example.test")
    body = client.get("/admin/audit").get_data(as_text=True)
    rows = body[body.index("<tbody>") :]
    assert re.search(r'data-label="Who">Cora Coord <span[^>]*>#\d+</span>', rows)
    assert re.search(r'data-label="Record">user Pat Provider <span', rows)


def test_roles_are_shown_with_their_names(app, client, auth, make_user):
    make_user("rsc@example.test", roles=("rsc_provider",))
    auth.login("rsc@example.test")
    assert "RSC provider" in client.get("/account").get_data(as_text=True)
