"""Recording endorsements and the signal the other plugins hear."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.competencies.conftest import TODAY


@pytest.fixture
def coordinator(make_user, defaults):
    return make_user("coord@example.test", roles=("coordinator",))


def test_record_endorsement_numbers_audits_and_signals(clinician, association, coordinator):
    from competencies import endorsements
    from lms.models import AuditLog
    from lms.signals import endorsement_awarded

    heard = []

    def receiver(sender, **_):
        heard.append(sender)

    endorsement_awarded.connect(receiver)
    try:
        first = endorsements.record_endorsement(
            clinician, association, "IMHS", dt.date(2026, 3, 1), actor=coordinator
        )
    finally:
        endorsement_awarded.disconnect(receiver)
    assert first.number == "MI-IMHS-2026-0001"
    assert first.renewal_due == dt.date(2027, 12, 31)
    assert heard == [first]
    assert AuditLog.select().where(AuditLog.action == "endorsement.award").count() == 1
    assert endorsements.active_credentials(clinician) == ["IMHS"]


@pytest.mark.parametrize(
    "category,awarded_on,number,field",
    [
        ("NOPE", dt.date(2026, 1, 1), None, "category"),
        ("IMHS", TODAY + dt.timedelta(days=1), None, "awarded_on"),
    ],
)
def test_bad_endorsements_are_refused(
    clinician, association, coordinator, category, awarded_on, number, field
):
    from competencies import endorsements
    from competencies.models import Endorsement

    with pytest.raises(endorsements.EndorsementError) as info:
        endorsements.record_endorsement(
            clinician, association, category, awarded_on, actor=coordinator, number=number
        )
    assert info.value.field == field
    assert Endorsement.select().count() == 0


def test_duplicate_number_and_active_category_are_refused(
    clinician, association, coordinator, make_user
):
    from competencies import endorsements

    endorsements.record_endorsement(
        clinician, association, "ERS", dt.date(2026, 1, 1), actor=coordinator, number="N-1"
    )
    other = make_user("o@example.test")
    with pytest.raises(endorsements.EndorsementError, match="already used"):
        endorsements.record_endorsement(
            other, association, "IFS", dt.date(2026, 1, 1), actor=coordinator, number="N-1"
        )
    with pytest.raises(endorsements.EndorsementError, match="already holds"):
        endorsements.record_endorsement(
            clinician, association, "ERS", dt.date(2026, 2, 1), actor=coordinator
        )


def test_endorsements_page(client, auth, clinician, coordinator):
    auth.login(coordinator.email)
    page = client.get("/competencies/endorsements")
    assert page.status_code == 200 and "Record an endorsement" in page.get_data(as_text=True)
    bad = client.post(
        "/competencies/endorsements",
        data={"email": "nobody@example.test", "category": "IMHS", "awarded_on": "2026-01-05"},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "No one in your association has this email" in body
    ok = client.post(
        "/competencies/endorsements",
        data={"email": clinician.email, "category": "IMHS", "awarded_on": "2026-01-05"},
    )
    assert ok.status_code == 302
    assert "MI-IMHS-2026-0001" in client.get(ok.headers["Location"]).get_data(as_text=True)


def test_clinician_and_other_association_cannot_award(
    client, auth, clinician, make_user, make_association
):
    auth.login(clinician.email)
    assert client.get("/competencies/endorsements").status_code == 403
    other = make_association("FAR")
    make_user("far@example.test", roles=("coordinator",), assoc=other)
    auth.logout()
    auth.login("far@example.test")
    from lms.models import Association

    mine = Association.get(Association.code == "MI")
    assert client.get(f"/competencies/endorsements?association={mine.id}").status_code == 404
