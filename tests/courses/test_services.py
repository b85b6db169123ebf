"""Catalogue and completion services: permissions, ledger rows, voids and corrections."""

from __future__ import annotations

import datetime as dt

import pytest

from competencies.models import Evidence
from courses import access, completions, corrections, self_reports, trainings
from courses.errors import CourseError
from courses.models import Completion, Training
from lms.errors import Forbidden, NotFound
from tests.courses.conftest import TODAY

PDF = b"%PDF-1.7\n%%EOF\n"


def test_training_code_is_unique_per_association(make_training):
    make_training("NBO-101")
    with pytest.raises(CourseError) as caught:
        make_training("NBO-101")
    assert caught.value.field == "code"
    assert Training.select().count() == 1


def test_prerequisite_cycles_are_refused(make_training, trainer, association, actor):
    a = make_training("A-1")
    b = make_training("B-1", prerequisites=[a.id])
    values = {"code": "A-1", "title": "A", "format": "online", "hours": 3, "areas": {}}
    with pytest.raises(CourseError, match="cycle"):
        trainings.save_training(
            actor(trainer), association, values, training=a, prerequisites=[b.id]
        )
    assert trainings.prerequisite_ids(a) == []


def test_area_hours_cannot_exceed_the_training(make_training):
    with pytest.raises(CourseError) as caught:
        make_training(hours=2, areas={"TF-DEV": 3.0})
    assert caught.value.field == "areas"


def test_trainers_manage_their_own_trainings_only(make_training, make_user, actor, association):
    training = make_training()
    other = make_user("other.trainer@example.test", roles=("trainer",))
    coordinator = make_user("c@example.test", roles=("coordinator",))
    with pytest.raises(Forbidden):
        access.check_manage(actor(other), training)
    access.check_manage(actor(coordinator), training)  # coordinators manage any


def test_another_association_sees_404(make_training, make_user, make_association, actor):
    training = make_training()
    far = make_user("far@example.test", roles=("coordinator",), assoc=make_association("FAR"))
    with pytest.raises(NotFound):
        access.get_training(actor(far), training.id)


def test_verified_completion_writes_its_ledger_row(make_training, trainer, clinician, actor):
    training = make_training(tags=("dei",))
    completion, created = completions.record_completion(
        actor(trainer),
        clinician=clinician,
        training=training,
        completed_on=TODAY - dt.timedelta(days=3),
        source="roster",
    )
    assert created and completion.status == "verified" and completion.hours == 3.0
    evidence = Evidence.get_by_id(completion.evidence_id)
    assert evidence.kind == "training" and evidence.status == "verified"
    assert evidence.source == "courses" and evidence.source_ref == f"completion:{completion.id}"
    assert evidence.tag_list == ["dei"] and set(evidence.area_list) == {"TF-DEV", "TF-ATTACH"}
    assert evidence.label == training.title


def test_same_natural_key_is_recorded_once(make_training, trainer, clinician, actor):
    training = make_training()
    when = TODAY - dt.timedelta(days=1)
    first, _ = completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=when, source="api"
    )
    again, created = completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=when, source="api"
    )
    assert not created and again.id == first.id
    assert Evidence.select().count() == 1


@pytest.mark.parametrize(
    ("hours", "when", "field"),
    [
        (0, TODAY, "hours"),
        (-1, TODAY, "hours"),
        (float("nan"), TODAY, "hours"),
        (float("inf"), TODAY, "hours"),
        (4, TODAY, "hours"),  # more than the training's 3
        (1, TODAY + dt.timedelta(days=1), "completed_on"),
    ],
)
def test_bad_values_write_nothing(
    make_training, trainer, clinician, actor, counts, hours, when, field
):
    training = make_training()
    before = counts()
    with pytest.raises(CourseError) as caught:
        completions.record_completion(
            actor(trainer),
            clinician=clinician,
            training=training,
            completed_on=when,
            hours=hours,
            source="api",
        )
    assert caught.value.field == field
    assert counts() == before


def test_clinician_of_another_association_is_refused(
    make_training, trainer, make_user, make_association, actor, counts
):
    training = make_training()
    far = make_user("far@example.test", assoc=make_association("FAR"))
    before = counts()
    with pytest.raises(CourseError, match="not a clinician of this association"):
        completions.record_completion(
            actor(trainer), clinician=far, training=training, completed_on=TODAY, source="api"
        )
    assert counts() == before


def test_void_voids_the_ledger_row_and_frees_the_natural_key(
    make_training, trainer, clinician, actor
):
    training = make_training()
    completion, _ = completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=TODAY, source="api"
    )
    completions.void_completion(completion, reason="Wrong person", actor=trainer)
    assert Completion.get_by_id(completion.id).status == "void"
    assert Evidence.get_by_id(completion.evidence_id).status == "void"
    again, created = completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=TODAY, source="api"
    )
    assert created and again.id != completion.id


def test_correction_voids_and_replaces(make_training, trainer, clinician, actor):
    training = make_training()
    completion, _ = completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=TODAY, source="api"
    )
    new = corrections.correct_completion(actor(trainer), completion, reason="Left early", hours=1.5)
    assert new.replaces_id == completion.id and new.hours == 1.5
    assert Completion.get_by_id(completion.id).status == "void"
    assert Evidence.select().where(Evidence.status == "verified").count() == 1
    assert Evidence.get_by_id(new.evidence_id).hours == 1.5


def test_roster_records_ticked_attendees_with_capacity(
    make_training, trainer, clinician, make_user, actor
):
    training = make_training()
    session = trainings.add_session(
        actor(trainer), training, starts_on=TODAY, location="Room 2", capacity=1
    )
    second = make_user("bo@example.test")
    with pytest.raises(CourseError, match="capacity"):
        completions.record_roster(actor(trainer), session, [clinician.id, second.id])
    assert Completion.select().count() == 0
    results = completions.record_roster(actor(trainer), session, [clinician.id])
    assert [created for _, created in results] == [True]
    assert results[0][0].session_id == session.id and results[0][0].source == "roster"


def test_missing_prerequisites_are_flagged_not_refused(make_training, trainer, clinician, actor):
    base = make_training("BASE-1")
    advanced = make_training("ADV-1", prerequisites=[base.id])
    completions.record_completion(
        actor(trainer), clinician=clinician, training=advanced, completed_on=TODAY, source="api"
    )
    flags = trainings.missing_prerequisites([(clinician.id, advanced.id)])
    assert [t.code for t in flags[(clinician.id, advanced.id)]] == ["BASE-1"]
    completions.record_completion(
        actor(trainer), clinician=clinician, training=base, completed_on=TODAY, source="api"
    )
    assert trainings.missing_prerequisites([(clinician.id, advanced.id)]) == {}


def _report(actor, clinician, training=None, **kw):
    return self_reports.report_training(
        actor(clinician),
        training=training,
        title=kw.pop("title", "Infant massage"),
        provider="Elsewhere Institute",
        completed_on=TODAY - dt.timedelta(days=5),
        hours=kw.pop("hours", 2),
        areas=kw.pop("areas", ["DSS-PLAN"] if training is None else []),
        certificate=PDF,
        filename="cert.pdf",
        content_type="application/pdf",
    )


def test_self_report_stays_pending_until_verified(clinician, coordinator, actor):
    completion = _report(actor, clinician)
    assert completion.status == "pending" and Evidence.select().count() == 0
    completions.decide(actor(coordinator), completion, accept=True)
    assert completion.status == "verified"
    assert Evidence.get_by_id(completion.evidence_id).label == "Infant massage"


def test_rejection_needs_a_reason_the_clinician_sees(clinician, coordinator, actor):
    completion = _report(actor, clinician)
    with pytest.raises(CourseError) as caught:
        completions.decide(actor(coordinator), completion, accept=False)
    assert caught.value.field == "reason"
    completions.decide(actor(coordinator), completion, accept=False, reason="Not about infants")
    row = Completion.get_by_id(completion.id)
    assert (row.status, row.reason) == ("rejected", "Not about infants")
    assert Evidence.select().count() == 0


def test_trainer_verifies_only_their_trainings(make_training, clinician, trainer, make_user, actor):
    training = make_training()
    other = make_user("t2@example.test", roles=("trainer",))
    completion = _report(actor, clinician, training=training, hours=3)
    with pytest.raises(Forbidden):
        completions.decide(actor(other), completion, accept=True)
    assert [c.id for c in completions.pending_self_reports(actor(trainer))] == [completion.id]
    assert list(completions.pending_self_reports(actor(other))) == []


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.4\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
    ],
)
def test_certificates_are_typed_by_content(head, expected):
    assert self_reports.sniff(head) == expected


@pytest.mark.parametrize("head", [b"\x7fELF\x02\x01\x01", b"MZ\x90\x00", b"GIF89a", b"<html>"])
def test_executables_and_other_files_are_refused(head):
    with pytest.raises(CourseError) as caught:
        self_reports.sniff(head)
    assert caught.value.field == "certificate"
