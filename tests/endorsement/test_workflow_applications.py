"""Applications: submission, the frozen snapshot, the state machine and the timeline."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from endorsement import applications
from endorsement.errors import WorkflowError

SIGNED = {"code_of_ethics", "endorsement_agreement"}


def test_submit_freezes_the_snapshot_and_records_the_agreements(
    ready_pathway, clinician, add_evidence
):
    from competencies.models import Evidence, Pathway

    application = applications.submit(ready_pathway, actor=clinician, signed=SIGNED)
    assert application.ready is True
    assert application.status == "submitted"
    snapshot = application.snapshot
    assert snapshot["result"]["ready"] is True
    frozen_ids = {e["id"] for e in snapshot["evidence"]}
    agreements = Evidence.select().where(
        (Evidence.clinician == clinician) & (Evidence.kind == "agreement")
    )
    assert {r.details["document"] for r in agreements} == SIGNED
    assert {r.id for r in agreements} <= frozen_ids
    # Later evidence does not change what reviewers see.
    add_evidence(clinician, "training", hours=5, label="Later training")
    again = applications.Application.get_by_id(application.id)
    assert again.snapshot == snapshot
    assert Pathway.get_by_id(ready_pathway.id).status == "submitted"


def test_submitting_twice_is_refused_and_writes_nothing(ready_pathway, clinician):
    from lms.models import AuditLog

    applications.submit(ready_pathway, actor=clinician, signed=SIGNED)
    before = AuditLog.select().count()
    with pytest.raises(WorkflowError, match="already been submitted"):
        applications.submit(ready_pathway, actor=clinician, signed=SIGNED)
    assert applications.Application.select().count() == 1
    assert AuditLog.select().count() == before


def test_not_ready_needs_apply_anyway_and_unsigned_is_refused(pathway, clinician):
    from competencies.models import Evidence

    with pytest.raises(WorkflowError) as exc:
        applications.submit(pathway, actor=clinician, signed=SIGNED)
    assert exc.value.field == "apply_anyway"
    with pytest.raises(WorkflowError) as exc:
        applications.submit(pathway, actor=clinician, signed={"code_of_ethics"}, apply_anyway=True)
    assert exc.value.field == "sign_endorsement_agreement"
    assert not Evidence.select().where(Evidence.kind == "agreement").exists()
    application = applications.submit(pathway, actor=clinician, signed=SIGNED, apply_anyway=True)
    assert application.ready is False
    assert application.snapshot["missing"]


def test_state_machine_table_drives_every_step(submitted, clinician, coordinator):
    with pytest.raises(WorkflowError, match="cannot become endorsed"):
        applications.transition(submitted, "endorsed", actor=coordinator, role="coordinator")
    with pytest.raises(WorkflowError, match="Only the coordinator"):
        applications.transition(submitted, "on_hold", actor=clinician, role="clinician")
    applications.transition(
        submitted, "on_hold", actor=coordinator, role="coordinator", note="Proof missing"
    )
    assert applications.allowed("on_hold", "clinician") == ["submitted", "withdrawn"]
    applications.resubmit(submitted, actor=clinician)
    steps = applications.timeline(submitted)
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("in_progress", "submitted"),
        ("submitted", "on_hold"),
        ("on_hold", "submitted"),
    ]
    assert steps[1].note == "Proof missing" and steps[1].actor.id == coordinator.id


def test_emerging_only_for_ifrs(submitted, coordinator):
    applications.transition(submitted, "under_review", actor=coordinator, role="coordinator")
    with pytest.raises(WorkflowError, match="IFRS"):
        applications.transition(submitted, "emerging", actor=coordinator, role="coordinator")


def test_every_transition_is_audited(submitted, coordinator):
    from lms.models import AuditLog

    applications.transition(submitted, "on_hold", actor=coordinator, role="coordinator")
    actions = [
        a.action for a in AuditLog.select().where(AuditLog.object_type == "endorsement_application")
    ]
    assert actions == ["application.submit", "application.transition"]


def test_apply_page_keeps_input_and_names_the_error(client, auth, pathway, clinician):
    auth.login(clinician.email)
    page = client.get(f"/endorsement/pathways/{pathway.id}/apply")
    assert page.status_code == 200 and b"Apply anyway" in page.data
    response = client.post(
        f"/endorsement/pathways/{pathway.id}/apply", data={"sign_code_of_ethics": "y"}
    )
    assert response.status_code == 400
    assert "Sign the Endorsement Agreement to apply." in response.get_data(as_text=True)
    box = re.search(r"<input[^>]*sign_code_of_ethics[^>]*>", response.get_data(as_text=True))
    assert box and "checked" in box.group(0)  # the form keeps what was ticked
    assert not applications.Application.select().exists()
    response = client.post(
        f"/endorsement/pathways/{pathway.id}/apply",
        data={
            "sign_code_of_ethics": "y",
            "sign_endorsement_agreement": "y",
            "apply_anyway": "y",
        },
    )
    assert response.status_code == 302
    application = applications.Application.get()
    timeline = client.get(f"/endorsement/applications/{application.id}").get_data(as_text=True)
    assert "Timeline" in timeline and "applied anyway" in timeline
    assert 'id="refs-heading"' not in timeline  # the clinician does not see ratings


def test_another_clinicians_pathway_and_application_answer_404(
    client, auth, make_user, submitted, pathway
):
    other = make_user("other@example.test")
    auth.login(other.email)
    assert client.get(f"/endorsement/pathways/{pathway.id}/apply").status_code == 404
    assert client.get(f"/endorsement/applications/{submitted.id}").status_code == 404


def test_snapshot_is_taken_as_of_the_submission_day(ready_pathway, clinician):
    application = applications.submit(ready_pathway, actor=clinician, signed=SIGNED)
    assert application.snapshot["taken_on"] == dt.date.today().isoformat()
