"""Correcting and voiding recorded completions: the service, the pages and the REST API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import jsonschema
import pytest

from competencies.models import Evidence
from courses import completions, corrections, importer, self_reports, trainings
from courses.errors import CourseError
from courses.models import Completion
from lms.errors import Forbidden, NotFound
from lms.models import AuditLog
from tests.conftest import PASSWORD, csrf_token_from
from tests.courses.conftest import TODAY

DAY = TODAY - dt.timedelta(days=10)
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def training(make_training):
    return make_training("NBO-101", hours=3, areas=("TF-DEV", "TF-ATTACH"))


@pytest.fixture
def session(training, trainer, actor):
    return trainings.add_session(actor(trainer), training, starts_on=DAY, location="Room 2")


@pytest.fixture
def recorded(session, trainer, clinician, actor):
    """A roster completion of Ana's, 3 hours on DAY, with its ledger row."""
    ((completion, _),) = completions.record_roster(actor(trainer), session, [clinician.id])
    return completion


# --- the service -------------------------------------------------------------------------------


def test_correction_voids_the_ledger_row_and_writes_its_replacement(recorded, coordinator, actor):
    old_evidence = Evidence.get_by_id(recorded.evidence_id)
    new = corrections.correct_completion(
        actor(coordinator),
        recorded,
        reason="Left after the second hour",
        completed_on=DAY - dt.timedelta(days=1),
        hours=2,
        areas=["TF-DEV"],
    )
    old = Completion.get_by_id(recorded.id)
    assert (old.status, old.live, old.reason) == ("void", None, "Left after the second hour")
    assert (new.status, new.replaces_id, new.session_id, new.source) == (
        "verified",
        old.id,
        old.session_id,
        "roster",
    )
    assert (new.completed_on, new.hours, new.area_list) == (
        DAY - dt.timedelta(days=1),
        2.0,
        ["TF-DEV"],
    )
    voided = Evidence.get_by_id(old_evidence.id)
    assert (voided.status, voided.void_reason) == ("void", "Left after the second hour")
    evidence = Evidence.get_by_id(new.evidence_id)
    assert evidence.replaces_id == old_evidence.id
    assert evidence.source_ref == f"completion:{new.id}"
    assert (evidence.status, evidence.hours, evidence.areas, evidence.occurred_on) == (
        "verified",
        2.0,
        "TF-DEV",
        DAY - dt.timedelta(days=1),
    )
    assert Evidence.select().where(Evidence.status == "verified").count() == 1
    audit = AuditLog.get(AuditLog.action == "completion.correct")
    assert json.loads(audit.after)["replaces"] == old.id and audit.actor_id == coordinator.id
    assert corrections.latest_version(old).id == new.id


def test_a_correction_of_a_correction_keeps_the_whole_chain(recorded, trainer, actor):
    first = corrections.correct_completion(actor(trainer), recorded, reason="typo", hours=2)
    second = corrections.correct_completion(actor(trainer), first, reason="typo again", hours=2.5)
    assert corrections.latest_version(recorded).id == second.id
    chain = [c.status for c in Completion.select().order_by(Completion.id)]
    assert chain == ["void", "void", "verified"]
    live = Evidence.select().where(Evidence.status != "void")
    assert [e.hours for e in live] == [2.5]


def test_a_bulk_imported_completion_found_by_source_ref_is_corrected(
    training, clinician, coordinator, actor, association
):
    text = f"email,training_code,date,hours\r\nana@example.test,NBO-101,{DAY.isoformat()},3\r\n"
    importer.commit(actor(coordinator), association, io.BytesIO(text.encode()))
    completion = Completion.get()
    # Bulk imports may leave the link to the ledger row to its source_ref only.
    Completion.update(evidence=None).where(Completion.id == completion.id).execute()
    completion = Completion.get_by_id(completion.id)
    new = corrections.correct_completion(
        actor(coordinator), completion, reason="Half day", hours=1.5
    )
    rows = list(Evidence.select().order_by(Evidence.id))
    assert [r.status for r in rows] == ["void", "verified"]
    assert rows[1].replaces_id == rows[0].id and rows[1].source_ref == f"completion:{new.id}"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"hours": 0}, "hours", "above zero"),
        ({"hours": -1}, "hours", "above zero"),
        ({"hours": float("nan")}, "hours", "finite"),
        ({"hours": 1e309}, "hours", "finite"),
        ({"hours": 3.5}, "hours", "more than the training's 3 hours"),
        ({"completed_on": TODAY + dt.timedelta(days=1)}, "completed_on", "in the future"),
        ({"areas": ["TF-DEV", "LAW-ETHICS"]}, "areas", "LAW-ETHICS not among"),
        ({"areas": []}, "areas", "at least one"),
        ({"hours": 3}, "completion", "Nothing differs"),
        ({"hours": 2, "reason": "  "}, "reason", "Say why"),
        ({"hours": 2, "reason": "x" * 501}, "reason", "500 characters"),
    ],
)
def test_bad_corrections_write_nothing(recorded, coordinator, actor, counts, changes, field, words):
    before = counts()
    changes = {"reason": "Checked the sign-in sheet", **changes}
    with pytest.raises(CourseError) as caught:
        corrections.correct_completion(actor(coordinator), recorded, **changes)
    assert caught.value.field == field and words in str(caught.value)
    assert counts() == before
    assert Completion.get_by_id(recorded.id).status == "verified"


def test_a_correction_onto_another_recorded_date_is_refused(
    recorded, training, trainer, clinician, actor, counts
):
    other_day = DAY - dt.timedelta(days=7)
    completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=other_day, source="api"
    )
    before = counts()
    with pytest.raises(CourseError) as caught:
        corrections.correct_completion(
            actor(trainer), recorded, reason="wrong day", completed_on=other_day
        )
    assert caught.value.field == "completed_on" and "already recorded" in str(caught.value)
    assert counts() == before


def test_who_may_correct(
    recorded, make_user, make_association, trainer, clinician, coordinator, actor, counts
):
    other = make_association("OH", "Other Association")
    elsewhere = make_user("coord@other.test", roles=("coordinator",), assoc=other)
    second_trainer = make_user("t2@example.test", roles=("trainer",))
    before = counts()
    with pytest.raises(NotFound):
        corrections.correct_completion(actor(elsewhere), recorded, reason="x", hours=1)
    for stranger in (second_trainer, clinician):
        with pytest.raises(Forbidden):
            corrections.void_recorded_completion(actor(stranger), recorded, reason="x")
    assert counts() == before
    assert corrections.may_correct(actor(trainer), recorded)
    assert corrections.may_correct(actor(coordinator), recorded)
    assert not corrections.may_correct(actor(second_trainer), recorded)


def test_nobody_corrects_their_own_training(make_user, training, trainer, actor):
    both = make_user("both@example.test", roles=("coordinator", "clinician"))
    completion, _ = completions.record_completion(
        actor(trainer), clinician=both, training=training, completed_on=DAY, source="api"
    )
    with pytest.raises(CourseError, match="your own"):
        corrections.correct_completion(actor(both), completion, reason="mine", hours=1)


def test_void_needs_a_reason_and_voids_the_ledger_row(recorded, trainer, actor, counts):
    before = counts()
    with pytest.raises(CourseError) as caught:
        corrections.void_recorded_completion(actor(trainer), recorded, reason=" ")
    assert caught.value.field == "reason" and counts() == before
    corrections.void_recorded_completion(actor(trainer), recorded, reason="Did not attend")
    row = Completion.get_by_id(recorded.id)
    assert (row.status, row.reason) == ("void", "Did not attend")
    assert Evidence.get_by_id(recorded.evidence_id).status == "void"
    with pytest.raises(CourseError, match="void"):
        corrections.correct_completion(actor(trainer), row, reason="again", hours=1)


def test_a_verified_self_report_outside_the_catalogue(clinician, coordinator, trainer, actor):
    completion = self_reports.report_training(
        actor(clinician),
        training=None,
        title="Infant massage",
        provider="Elsewhere Institute",
        completed_on=DAY,
        hours=2,
        areas=["DSS-PLAN"],
        certificate=PDF,
        filename="cert.pdf",
        content_type="application/pdf",
    )
    completions.decide(actor(coordinator), completion, accept=True)
    with pytest.raises(Forbidden):  # no trainer owns an external training
        corrections.correct_completion(actor(trainer), completion, reason="x", hours=1)
    with pytest.raises(CourseError, match="NOT-AN-AREA not in the competency framework"):
        corrections.correct_completion(
            actor(coordinator), completion, reason="x", areas=["NOT-AN-AREA"]
        )
    new = corrections.correct_completion(
        actor(coordinator), completion, reason="Certificate says 1.5 h", hours=1.5
    )
    assert (new.title, new.source, new.hours) == ("Infant massage", "self-report", 1.5)
    assert Evidence.get_by_id(new.evidence_id).label == "Infant massage"


# --- the pages ---------------------------------------------------------------------------------


def _form(**values):
    data = {
        "correct-completed_on": DAY.isoformat(),
        "correct-hours": "3",
        "correct-areas": ["TF-ATTACH", "TF-DEV"],
        "correct-reason": "Sign-in sheet shows a late arrival",
    }
    data.update({f"correct-{k}": v for k, v in values.items()})
    return data


def test_roster_links_to_the_prefilled_correction_form(client, auth, trainer, recorded, session):
    auth.login(trainer.email)
    roster = client.get(f"/courses/sessions/{session.id}/roster").get_data(as_text=True)
    link = f"/courses/completions/{recorded.id}/correct?back=roster"
    assert link in roster and "the completion of Ana Ortiz" in roster
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{DAY.isoformat()}"' in html and 'name="correct-hours"' in html
    assert 'value="TF-DEV" checked' in html and "at most 3, the training" in html


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"hours": "0"}, "Hours must be a finite number above zero."),
        ({"hours": "4"}, "4 is more than the training"),
        ({"hours": "lots"}, "Not a valid decimal value"),
        ({"completed_on": (TODAY + dt.timedelta(days=3)).isoformat()}, "is in the future"),
        ({"completed_on": "2024-02-30"}, "Not a valid date value"),
        ({"areas": ["TF-DEV", "LAW-GOV"]}, "LAW-GOV not among this training"),
        ({"hours": "2", "reason": ""}, "Say why; the clinician sees the reason."),
        ({}, "Nothing differs"),
    ],
)
def test_bad_input_shows_in_the_form_and_writes_nothing(
    client, auth, trainer, recorded, counts, values, words
):
    auth.login(trainer.email)
    before = counts()
    response = client.post(
        f"/courses/completions/{recorded.id}/correct?back=roster", data=_form(**values)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert words in html
    assert "Sign-in sheet shows a late arrival" in html or values.get("reason") == ""
    assert counts() == before


def test_a_correction_from_the_roster_shows_in_the_clinicians_transcript(
    client, auth, trainer, clinician, recorded, session
):
    auth.login(trainer.email)
    response = client.post(
        f"/courses/completions/{recorded.id}/correct?back=roster",
        data=_form(hours="1.5", areas=["TF-DEV"]),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/sessions/{session.id}/roster")
    auth.logout()
    auth.login(clinician.email)
    html = client.get("/courses/transcript").get_data(as_text=True)
    assert "1 verified training, 1.5 clock hours." in html
    assert "Void, corrected: Sign-in sheet shows a late arrival" in html
    assert f"Replaced by the entry of {DAY.isoformat()} (1.5 h)." in html
    assert f"Corrected; earlier entry: 3 h on {DAY.isoformat()}, areas TF-ATTACH, TF-DEV." in html
    assert "<s>3</s>" in html and "Correct or void" not in html


def test_coordinator_corrects_and_voids_from_the_transcript(
    client, auth, coordinator, clinician, recorded
):
    auth.login(coordinator.email)
    transcript = f"/courses/clinicians/{clinician.id}/transcript"
    html = client.get(transcript).get_data(as_text=True)
    link = f"/courses/completions/{recorded.id}/correct?back=transcript"
    assert link in html
    response = client.post(link, data=_form(completed_on=(DAY - dt.timedelta(days=1)).isoformat()))
    assert response.status_code == 302 and response.headers["Location"].endswith(transcript)
    new = Completion.get(Completion.status == "verified")
    empty = client.post(
        f"/courses/completions/{new.id}/void?back=transcript", data={"void-reason": ""}
    )
    assert empty.status_code == 400 and "Say why" in empty.get_data(as_text=True)
    assert Completion.get_by_id(new.id).status == "verified"
    done = client.post(
        f"/courses/completions/{new.id}/void?back=transcript",
        data={"void-reason": "Recorded for the wrong person"},
    )
    assert done.status_code == 302
    html = client.get(transcript).get_data(as_text=True)
    assert "Withdrawn: Recorded for the wrong person" in html
    assert "0 verified trainings" in html
    closed = client.get(f"/courses/completions/{recorded.id}/correct").get_data(as_text=True)
    assert "only a verified completion can be corrected" in closed


def test_transcript_csv_tells_a_corrected_completion_from_a_withdrawn_one(
    client, auth, coordinator, clinician, training, recorded, trainer, actor
):
    other_day = DAY - dt.timedelta(days=3)
    other, _ = completions.record_completion(
        actor(trainer), clinician=clinician, training=training, completed_on=other_day, source="api"
    )
    corrections.correct_completion(
        actor(coordinator), recorded, reason="Left early", completed_on=DAY, hours=1.5
    )
    completions.void_completion(other, reason="Wrong person", actor=coordinator)
    auth.login(clinician.email)
    response = client.get("/courses/transcript.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_date_and_status = {(r["completed_on"], r["status"]): r for r in rows}
    assert sorted(by_date_and_status) == [
        (other_day.isoformat(), "Withdrawn"),
        (DAY.isoformat(), "Corrected"),
        (DAY.isoformat(), "Verified"),
    ]
    corrected = by_date_and_status[(DAY.isoformat(), "Corrected")]
    assert (corrected["hours"], corrected["reason"]) == ("3", "Left early")
    assert corrected["replaced_by"] == f"{DAY.isoformat()}, 1.5 h"
    withdrawn = by_date_and_status[(other_day.isoformat(), "Withdrawn")]
    assert (withdrawn["reason"], withdrawn["replaced_by"]) == ("Wrong person", "")
    assert by_date_and_status[(DAY.isoformat(), "Verified")]["replaced_by"] == ""


def test_transcript_rows_find_successors_without_a_query_per_row(
    clinician, coordinator, recorded, actor, training, trainer
):
    from playhouse.test_utils import count_queries

    from courses.transcript import transcript_rows

    for days in (20, 21, 22):
        done, _ = completions.record_completion(
            actor(trainer),
            clinician=clinician,
            training=training,
            completed_on=DAY - dt.timedelta(days=days),
            source="api",
        )
        corrections.correct_completion(actor(coordinator), done, reason="typo", hours=2)
    corrections.correct_completion(actor(coordinator), recorded, reason="typo", hours=1)
    with count_queries() as counter:
        rows = transcript_rows(clinician)
    assert counter.count <= 3
    assert [r.status_word for r in rows].count("Corrected") == 4
    assert all(r.replaced_by.replaces_id == r.completion.id for r in rows if r.replaced_by)


def test_pages_refuse_clinicians_and_other_associations(
    client, auth, clinician, recorded, make_user, make_association
):
    auth.login(clinician.email)
    assert client.get(f"/courses/completions/{recorded.id}/correct").status_code == 403
    assert (
        client.post(f"/courses/completions/{recorded.id}/void", data={"void-reason": "x"})
    ).status_code == 403
    auth.logout()
    other = make_association("OH", "Other Association")
    make_user("coord@other.test", roles=("coordinator",), assoc=other)
    auth.login("coord@other.test")
    assert client.get(f"/courses/completions/{recorded.id}/correct").status_code == 404
    response = client.post(f"/courses/completions/{recorded.id}/correct", data=_form(hours="1"))
    assert response.status_code == 404
    assert Completion.get_by_id(recorded.id).status == "verified"


# --- the REST API ------------------------------------------------------------------------------


@pytest.fixture
def api_recorded(training, clinician, trainer, api_token, client):
    headers = api_token(trainer)
    item = {
        "email": "ana@example.test",
        "training_code": "NBO-101",
        "completed_on": DAY.isoformat(),
        "external_id": "lms-77",
    }
    response = client.post("/api/v1/completions", json={"items": [item]}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return headers, item


def _schema(spec: dict, path: str, method: str, status: str) -> dict:
    op = spec["paths"][path][method]
    ref = op["responses"][status]["content"]["application/json"]["schema"]
    return {**ref, "components": spec["components"]}


def test_patch_and_delete_are_documented_and_answer_to_schema(client, api_recorded):
    headers, item = api_recorded
    spec = client.get("/api/v1/openapi.json").get_json()
    path = "/api/v1/completions/{external_id}"
    assert {"patch", "delete"} <= set(spec["paths"][path])
    patch = spec["paths"][path]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CompletionCorrection"
    )
    assert patch["parameters"][0]["name"] == "external_id"
    assert "reason" in spec["components"]["schemas"]["CompletionCorrection"]["required"]
    response = client.patch(
        "/api/v1/completions/lms-77",
        json={"reason": "LMS rounded the hours up", "hours": 2.25},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    jsonschema.validate(body, _schema(spec, path, "patch", "200"))
    old = Completion.get(Completion.status == "void")
    assert (body["hours"], body["replaces"], body["external_id"]) == (2.25, old.id, "lms-77")
    # A resend of the original batch item finds the corrected completion, not a new one.
    again = client.post("/api/v1/completions", json={"items": [item]}, headers=headers)
    result = again.get_json()["results"][0]
    assert (result["status"], result["completion_id"]) == ("exists", body["completion_id"])
    gone = client.delete(
        "/api/v1/completions/lms-77", json={"reason": "Duplicate learner"}, headers=headers
    )
    assert gone.status_code == 200
    jsonschema.validate(gone.get_json(), _schema(spec, path, "delete", "200"))
    assert gone.get_json()["status"] == "void"
    assert Evidence.select().where(Evidence.status != "void").count() == 0


@pytest.mark.parametrize(
    ("method", "body", "status", "field"),
    [
        ("patch", {"reason": "x", "hours": 5}, 422, "hours"),
        ("patch", {"reason": "x", "hours": 0}, 422, "hours"),
        ("patch", {"hours": 1}, 422, "reason"),
        ("patch", {"reason": "x", "areas": ["LAW-GOV"]}, 422, "areas"),
        ("patch", {"reason": "x", "completed_on": "2999-01-01"}, 422, "completed_on"),
        ("patch", {"reason": "x", "colour": "red"}, 422, "colour"),
        ("delete", {"reason": "   "}, 422, "reason"),
        ("delete", {}, 422, "reason"),
    ],
)
def test_bad_api_corrections_write_nothing(
    client, api_recorded, counts, method, body, status, field
):
    headers, _ = api_recorded
    before = counts()
    response = getattr(client, method)("/api/v1/completions/lms-77", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert counts() == before


def test_api_corrections_stay_in_the_association(
    client, api_recorded, api_token, make_user, make_association, clinician
):
    headers, _ = api_recorded
    change = {"reason": "x", "hours": 1}
    assert client.patch("/api/v1/completions/nope", json=change, headers=headers).status_code == 404
    other = make_association("OH", "Other Association")
    elsewhere = make_user("coord@other.test", roles=("coordinator",), assoc=other)
    second = make_user("t2@example.test", roles=("trainer",))
    for person, status in ((elsewhere, 404), (second, 403), (clinician, 403)):
        response = client.patch(
            "/api/v1/completions/lms-77", json=change, headers=api_token(person)
        )
        assert response.status_code == status, person.email
    assert Completion.get().status == "verified"


def test_forms_carry_their_own_csrf_tokens(csrf_app, trainer, recorded, counts):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    login = client.post(
        "/login",
        data={
            "email": trainer.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    assert login.status_code == 302
    html = client.get(f"/courses/completions/{recorded.id}/correct").get_data(as_text=True)
    tokens = dict(re.findall(r'name="(\w+)-csrf_token"[^>]*value="([^"]+)"', html))
    assert set(tokens) == {"correct", "void"}
    before = counts()
    forged = client.post(f"/courses/completions/{recorded.id}/correct", data=_form(hours="2"))
    assert forged.status_code == 400 and counts() == before
    response = client.post(
        f"/courses/completions/{recorded.id}/correct",
        data={**_form(hours="2"), "correct-csrf_token": tokens["correct"]},
    )
    assert response.status_code == 302
    assert Completion.get(Completion.status == "verified").hours == 2.0
