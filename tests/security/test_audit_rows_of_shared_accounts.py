"""Audit rows of actions on an account are visible to every association the account belongs
to: a coordinator of A sees what was done to a person with a role in A, even when the row was
written for association B or for no association; never rows about people outside A."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_a_coordinator_sees_rows_about_their_people_written_for_another_association(
    app, client, make_user, make_association, association
):
    from lms import accounts, audit
    from lms.db import db

    other = make_association("BB", "Other Association")
    admin = make_user("root@example.test", roles=("admin",), assoc=None)
    make_user("coord@example.test", roles=("coordinator",))
    shared = make_user("shared@example.test", roles=("clinician",))
    outsider = make_user("outsider@example.test", roles=("clinician",), assoc=other)

    accounts.set_roles(shared, other, ["clinician"], actor=admin)
    accounts.update_profile(
        shared, display_name="Shared Renamed In B", city="", actor=admin, association_id=other.id
    )
    accounts.update_profile(
        outsider, display_name="Outsider Renamed", city="", actor=admin, association_id=other.id
    )
    with db.atomic():
        accounts.end_sessions(shared, reason="shared-account-check", actor=admin)
        # Rows written before user rows carried the bare id named the user "id:version".
        audit.record(
            "user.legacy_form",
            object_type="lms_user",
            object_id=f"{shared.id}:1",
            association_id=other.id,
            after={"note": "legacy-id-form"},
        )

    client.post("/login", data={"email": "coord@example.test", "password": PASSWORD})
    response = client.get("/admin/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Shared Renamed In B" in page  # association B's row about a person of A
    assert "shared-account-check" in page  # a row of no association about that person
    assert "legacy-id-form" in page
    assert "Outsider Renamed" not in page  # a person of B only stays B's business


def test_audit_rows_name_a_user_by_id_not_by_session_version(app, make_user):
    from lms.models import AuditLog

    user = make_user("ana@example.test")
    row = AuditLog.select().where(AuditLog.action == "user.create").get()
    assert row.object_type == "lms_user" and row.object_id == str(user.id)
