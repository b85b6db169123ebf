"""Sessions, attestation, edits and the rules at entry, through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from competencies.models import Evidence
from lms.models import AuditLog
from supervision import attestation, credentials, rules, services
from supervision.models import MEANING, RscSession
from tests.conftest import PASSWORD

TODAY = dt.date.today()


def _counts():
    return RscSession.select().count(), Evidence.select().count(), AuditLog.select().count()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": 25}, "hours"),
        ({"hours": -1}, "hours"),
        ({"hours": 1.13}, "hours"),
        ({"hours": float("nan")}, "hours"),
        ({"days_ago": -1}, "occurred_on"),
        ({"days_ago": (TODAY - dt.date(1989, 12, 31)).days}, "occurred_on"),
        ({"fmt": "group", "group_size": 1, "facilitated": True}, "group_size"),
        ({"fmt": "peer", "group_size": None}, "group_size"),
        ({"fmt": "lecture"}, "format"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(log, change, field):
    before = _counts()
    with pytest.raises(rules.SupervisionError) as err:
        log(**change)
    assert err.value.field == field
    assert _counts() == before


def test_quarter_hours_and_limits_are_accepted(log):
    assert log(hours=0.25).hours == 0.25
    assert log(hours=24).hours == 24
    assert log(hours=1.75).status == "pending"


def test_clinician_cannot_be_own_provider(clinician, association, session_input):
    from lms.accounts import set_roles

    set_roles(clinician, association, ["clinician", "rsc_provider"])
    with pytest.raises(rules.SupervisionError, match="own RSC provider"):
        services.log_session(clinician, association, clinician, session_input())


def test_attest_signs_and_writes_evidence_in_one_go(log, provider, clinician):
    session = log(fmt="group", group_size=4, facilitated=True, about_giving_rsc=True)
    (signed,) = services.attest([session], provider=provider, password=PASSWORD)
    row = RscSession.get_by_id(signed.id)
    assert row.status == "attested"
    assert row.signed_name == "Pat Provider" and row.meaning == MEANING
    assert row.signed_at is not None and attestation.signature_valid(row)
    ev = Evidence.get_by_id(row.evidence_id)
    assert (ev.kind, ev.status, ev.hours, ev.provider_id) == ("rsc", "attested", 1.5, provider.id)
    assert ev.source == "supervision" and ev.source_ref == f"session:{row.id}"
    assert ev.details["format"] == "group" and ev.details["facilitated"] is True
    assert ev.details["about_giving_rsc"] is True
    assert ev.details["provider_credentials"] == ["IMHS"]
    assert ev.details["provider_name"] == "Pat Provider"
    assert AuditLog.select().where(AuditLog.action == "rsc_session.attest").count() == 1


def test_bulk_attest_is_all_or_nothing(log, provider, make_user, association):
    other = make_user("other-provider@example.test", roles=("rsc_provider",))
    mine = log()
    theirs = log(with_=other)
    before = _counts()
    with pytest.raises(rules.SupervisionError, match="another provider"):
        services.attest([mine, theirs], provider=provider, password=PASSWORD)
    assert _counts() == before
    assert RscSession.get_by_id(mine.id).status == "pending"


def test_wrong_password_signs_nothing(log, provider):
    session = log()
    before = _counts()
    with pytest.raises(rules.SupervisionError) as err:
        services.attest([session], provider=provider, password="not the password at all")
    assert err.value.field == "password"
    assert _counts() == before
    assert RscSession.get_by_id(session.id).signed_at is None


def test_clinician_cannot_attest_own_session(log, clinician):
    session = log()
    with pytest.raises(rules.SupervisionError, match="your own session"):
        services.attest([session], provider=clinician, password=PASSWORD)


def test_provider_of_another_association_cannot_attest(log, make_user, make_association):
    elsewhere = make_association("B")
    stranger = make_user("b-provider@example.test", roles=("rsc_provider",), assoc=elsewhere)
    session = log()
    RscSession.update(provider=stranger).where(RscSession.id == session.id).execute()
    with pytest.raises(rules.SupervisionError, match="not an RSC provider of this"):
        services.attest([RscSession.get_by_id(session.id)], provider=stranger, password=PASSWORD)
    assert Evidence.select().count() == 0


def test_reject_needs_a_reason_and_keeps_it(log, provider):
    session = log()
    with pytest.raises(rules.SupervisionError) as err:
        services.reject(session, provider=provider, reason="  ")
    assert err.value.field == "reason"
    services.reject(session, provider=provider, reason="We met for one hour.")
    row = RscSession.get_by_id(session.id)
    assert (row.status, row.reject_reason) == ("rejected", "We met for one hour.")


def test_editing_an_attested_session_voids_attestation_and_evidence(
    log, provider, clinician, session_input
):
    (session,) = services.attest([log()], provider=provider, password=PASSWORD)
    evidence_id = session.evidence_id
    services.update_session(session, session_input(hours=2), actor=clinician)
    row = RscSession.get_by_id(session.id)
    assert row.status == "pending" and row.hours == 2
    assert row.signed_at is None and row.content_hash == "" and row.evidence_id is None
    assert Evidence.get_by_id(evidence_id).status == "void"


def test_api_style_edit_of_attested_session_is_a_conflict(log, provider, clinician, session_input):
    (session,) = services.attest([log()], provider=provider, password=PASSWORD)
    with pytest.raises(rules.SupervisionConflict):
        services.update_session(
            session, session_input(hours=2), actor=clinician, allow_attested=False
        )
    assert RscSession.get_by_id(session.id).status == "attested"


def test_tampered_content_invalidates_the_signature(log, provider):
    session, _ = services.attest([log(), log(days_ago=40)], provider=provider, password=PASSWORD)
    RscSession.update(hours=8).where(RscSession.id == session.id).execute()
    tampered = RscSession.get_by_id(session.id)
    assert not attestation.signature_valid(tampered)
    broken = attestation.check_signatures()
    assert [s.id for s in broken] == [session.id]
    row = RscSession.get_by_id(session.id)
    assert row.status == "pending" and row.evidence_id is None
    assert Evidence.get_by_id(session.evidence_id).status == "void"
    assert attestation.check_signatures() == []  # the untouched one stays valid


def test_provider_enters_group_for_many_attendees(
    provider, clinician, make_user, association, session_input
):
    second = make_user("second@example.test")
    rows = services.enter_for_attendees(
        provider,
        association,
        [clinician, second],
        session_input(fmt="group", group_size=6, facilitated=True),
        password=PASSWORD,
    )
    assert {r.status for r in rows} == {"attested"}
    assert Evidence.select().where(Evidence.source == "supervision").count() == 2
    with pytest.raises(rules.SupervisionError) as err:
        services.enter_for_attendees(
            provider,
            association,
            [clinician, second],
            session_input(fmt="group", group_size=1, facilitated=True),
            password=PASSWORD,
        )
    assert err.value.field == "group_size"


def test_credentials_come_from_records_and_endorsements(provider, association, coordinator):
    from competencies.endorsements import record_endorsement

    assert credentials.credentials_of(provider, association) == ["IMHS"]
    record_endorsement(provider, association, "ERS", TODAY, actor=coordinator)
    assert credentials.credentials_of(provider, association) == ["ERS", "IMHS"]


def test_rules_at_entry_use_the_evaluator(log, clinician, make_user, provider):
    from supervision.explain import draft_of, verdicts

    peer = log(fmt="peer", group_size=3)
    fine = log(days_ago=20)
    unqualified = make_user("unqualified@example.test", roles=("rsc_provider",))
    plain = log(days_ago=30, with_=unqualified)
    result = verdicts(clinician, [draft_of(peer), draft_of(fine), draft_of(plain)])
    (v_peer,), (v_fine,), (v_plain,) = result[-peer.id], result[-fine.id], result[-plain.id]
    assert not v_peer.counts and v_peer.reasons == ("peer group without facilitator",)
    assert v_fine.counts and v_fine.reasons == ()
    assert not v_plain.counts
    assert v_plain.reasons[0].startswith("provider not endorsed as ")


def test_rules_at_entry_name_a_third_provider(clinician, association, make_user, log, provider):
    from competencies.endorsements import record_endorsement
    from supervision.explain import draft_of, verdicts

    second, third = (make_user(f"p{i}@example.test", roles=("rsc_provider",)) for i in (2, 3))
    for p in (second, third):
        record_endorsement(p, association, "IMHS", TODAY - dt.timedelta(days=900), actor=provider)
    services.attest(
        [log(days_ago=d, hours=3) for d in (300, 10)], provider=provider, password=PASSWORD
    )
    services.attest([log(days_ago=250, hours=5, with_=second)], provider=second, password=PASSWORD)
    draft = log(days_ago=200, hours=1, with_=third)
    (verdict,) = verdicts(clinician, [draft_of(draft)])[-draft.id]
    assert not verdict.counts and verdict.reasons == ("third provider",)


def test_reminders_are_sent_once(app, log, provider, clinician):
    from supervision.reminders import remind

    session = log()
    RscSession.update(created_at=dt.datetime(2020, 1, 1)).where(
        RscSession.id == session.id
    ).execute()
    first = remind(TODAY)
    assert [s.email for s in first] == ["provider@example.test"]
    assert remind(TODAY) == []


def test_window_reminder_for_clinician_short_of_hours(log, provider, clinician):
    from supervision.reminders import remind

    start = 700
    services.attest(
        [log(days_ago=d, hours=2) for d in range(start, 300, -60)],
        provider=provider,
        password=PASSWORD,
    )
    sent = remind(TODAY)
    assert any(s.email == "clinician@example.test" and "window closes" in s.subject for s in sent)
    assert remind(TODAY) == []
