"""Separation of duties: nobody verifies, records as verified, attests or decides their own
evidence, application or renewal — in forms, CSV import, REST and xAPI alike.

Each test signs in (or authenticates) a person who holds a clinician's role next to the role
that verifies or decides, tries it on their own record, and checks three things: the refusal
says why, nothing was written (the item stays pending for someone else), and a different
person of the association can still do it.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json

import pytest

from tests.security.conftest import XAPI_HEADERS, database_fingerprint, fresh_context

TODAY = dt.date.today()
DAY = TODAY - dt.timedelta(days=10)
PDF = b"%PDF-1.7\n%%EOF\n"
ACTIVITY = "https://lms.example.test/course/sod-101"
PASSWORD = "correct horse battery staple"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


class People:
    """The association's people: each one who verifies also holds a clinician's role."""

    def __init__(self, app, make_user, association):
        from competencies.rulesets import install_defaults

        install_defaults()
        self.app = app
        self.association = association
        self.trainer = make_user(
            "tess@example.test", roles=("clinician", "trainer"), display_name="Tess Trainer"
        )
        self.coordinator = make_user(
            "cora@example.test", roles=("clinician", "coordinator"), display_name="Cora Coord"
        )
        self.colleague = make_user(
            "carl@example.test", roles=("coordinator",), display_name="Carl Colleague"
        )
        self.provider = make_user(
            "pat@example.test", roles=("clinician", "rsc_provider"), display_name="Pat Provider"
        )
        self.other_provider = make_user(
            "paul@example.test", roles=("rsc_provider",), display_name="Paul Provider"
        )
        self.reviewer = make_user(
            "rita@example.test", roles=("clinician", "reviewer"), display_name="Rita Reviewer"
        )
        self.clinician = make_user("ana@example.test", display_name="Ana Ortiz")

    def client(self, user):
        """Return a test client signed in as the user."""
        client = self.app.test_client()
        with fresh_context(self.app):
            response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, f"{user.email} could not sign in"
        return client

    def request(self, client, method: str, url: str, **kw):
        """Send one request with its own `g`, as a server does."""
        with fresh_context(self.app):
            return client.open(url, method=method, **kw)


@pytest.fixture
def people(app, make_user, association) -> People:
    return People(app, make_user, association)


def _actor(user):
    from lms.permissions import actor_for

    return actor_for(user)


# --- courses: a trainer records a completion for themselves --------------------------------------


@pytest.fixture
def training(people):
    """A training of the trainer (who is also a clinician), with one past session."""
    from courses import trainings

    training = trainings.save_training(
        _actor(people.trainer),
        people.association,
        {
            "code": "SOD-101",
            "title": "Observation basics",
            "format": "in_service",
            "hours": 3.0,
            "areas": {"TF-DEV": None},
            "tags": (),
            "activity_iri": ACTIVITY,
        },
    )
    trainings.add_session(
        _actor(people.trainer), training, starts_on=DAY, location="Room 1", capacity=10
    )
    return training


def _completions(clinician) -> int:
    from courses.models import Completion

    return Completion.select().where(Completion.clinician == clinician).count()


def _ledger(clinician, kind: str | None = None) -> int:
    from competencies.models import Evidence

    query = Evidence.select().where(Evidence.clinician == clinician)
    if kind is not None:
        query = query.where(Evidence.kind == kind)
    return query.count()


def test_trainer_cannot_tick_themselves_on_the_roster(people, training):
    session = training.sessions.first()
    client = people.client(people.trainer)
    before = database_fingerprint()
    response = people.request(
        client,
        "POST",
        f"/courses/sessions/{session.id}/roster",
        data={"attendee": [str(people.trainer.id)], "completed_on": DAY.isoformat()},
    )
    assert response.status_code == 400
    assert "You cannot record your own training" in _text(response)
    assert database_fingerprint() == before
    assert _completions(people.trainer) == 0 and _ledger(people.trainer) == 0

    colleague = people.client(people.colleague)
    response = people.request(
        colleague,
        "POST",
        f"/courses/sessions/{session.id}/roster",
        data={"attendee": [str(people.trainer.id)], "completed_on": DAY.isoformat()},
    )
    assert response.status_code == 302
    assert _completions(people.trainer) == 1 and _ledger(people.trainer, "training") == 1


def test_trainer_cannot_record_their_own_completion_through_the_service(people, training):
    from courses import completions
    from courses.errors import CourseError
    from lms.duties import OwnRecord

    with pytest.raises(CourseError, match="You cannot record your own training") as refused:
        completions.record_completion(
            _actor(people.trainer),
            clinician=people.trainer,
            training=training,
            completed_on=DAY,
            source="roster",
        )
    assert isinstance(refused.value, OwnRecord) and refused.value.field == "clinician"
    assert _completions(people.trainer) == 0
    completions.record_completion(
        _actor(people.colleague),
        clinician=people.trainer,
        training=training,
        completed_on=DAY,
        source="roster",
    )
    assert _completions(people.trainer) == 1


def _csv(*rows: str) -> bytes:
    return ("email,training_code,date,hours\r\n" + "".join(r + "\r\n" for r in rows)).encode()


def test_csv_row_of_the_importer_is_a_row_error_and_nothing_is_written(people, training):
    data = _csv(
        f"{people.clinician.email},SOD-101,{DAY.isoformat()},3",
        f"{people.trainer.email},SOD-101,{DAY.isoformat()},3",
    )
    client = people.client(people.trainer)
    before = database_fingerprint()
    response = people.request(
        client,
        "POST",
        "/courses/import",
        data={"file": (io.BytesIO(data), "completions.csv"), "training": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = _text(response)
    assert 'data-label="Line">3<' in page and 'data-label="Column">email<' in page
    assert "You cannot record your own training" in page
    assert database_fingerprint() == before

    from courses import importer

    with pytest.raises(importer.ImportRejected) as rejected:
        importer.commit(_actor(people.trainer), people.association, io.BytesIO(data))
    (row,) = rejected.value.report.bad_rows
    assert row.line == 3 and row.errors[0][0] == "email"
    assert "You cannot record your own training" in row.errors[0][1]
    assert _completions(people.clinician) == 0 and _completions(people.trainer) == 0

    report = importer.commit(_actor(people.colleague), people.association, io.BytesIO(data))
    assert report.written == 2
    assert _completions(people.trainer) == 1 and _ledger(people.trainer, "training") == 1


def test_moodle_report_row_of_the_importer_is_refused(people, training):
    from courses import importer

    data = (
        "First name,Last name,Email address,Course complete\r\n"
        f"Tess,Trainer,{people.trainer.email},{DAY.strftime('%d %B %Y')}\r\n"
    ).encode()
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.commit(
            _actor(people.trainer), people.association, io.BytesIO(data), training_code="SOD-101"
        )
    (row,) = rejected.value.report.bad_rows
    assert row.errors[0][0] == "Email address"
    assert "You cannot record your own training" in row.errors[0][1]
    assert _completions(people.trainer) == 0


def _item(people, email: str, **kw) -> dict:
    return {"email": email, "training_code": "SOD-101", "completed_on": DAY.isoformat(), **kw}


def test_rest_batch_with_the_callers_own_completion_is_403_and_writes_nothing(
    people, training, api_token
):
    token = api_token(people.trainer, role="trainer", association=people.association)
    client = people.app.test_client()
    body = {
        "items": [
            _item(people, people.clinician.email),
            _item(people, people.trainer.email),
        ]
    }
    before = database_fingerprint()
    response = people.request(client, "POST", "/api/v1/completions", json=body, headers=token)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["field"] == "items.1.email"
    assert "You cannot record your own training" in error["message"]
    assert database_fingerprint() == before

    other = api_token(people.colleague, role="coordinator", association=people.association)
    response = people.request(client, "POST", "/api/v1/completions", json=body, headers=other)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _completions(people.trainer) == 1 and _completions(people.clinician) == 1


def _statement(email: str, statement_id: str) -> dict:
    return {
        "id": statement_id,
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": ACTIVITY},
        "result": {"completion": True},
        "timestamp": f"{DAY.isoformat()}T10:00:00Z",
    }


def test_xapi_statement_about_the_caller_is_refused_and_writes_nothing(people, training, api_token):
    from courses.models import XapiStatement

    token = api_token(people.trainer, role="trainer", association=people.association)
    headers = {**token, **XAPI_HEADERS, "Content-Type": "application/json"}
    client = people.app.test_client()
    statement = _statement(people.trainer.email, "6a1f0d3e-2b4c-4d5e-8f90-1a2b3c4d5e6f")
    before = database_fingerprint()
    response = people.request(
        client, "POST", "/xapi/statements", data=json.dumps(statement), headers=headers
    )
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert "You cannot record your own training" in error["message"]
    assert error["field"]
    assert database_fingerprint() == before
    assert XapiStatement.select().count() == 0

    other = api_token(people.colleague, role="coordinator", association=people.association)
    headers = {**other, **XAPI_HEADERS, "Content-Type": "application/json"}
    response = people.request(
        client, "POST", "/xapi/statements", data=json.dumps(statement), headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _completions(people.trainer) == 1


def test_trainer_cannot_correct_their_own_completion(people, training):
    from courses import completions, corrections
    from courses.errors import CourseError

    completion, _ = completions.record_completion(
        _actor(people.colleague),
        clinician=people.trainer,
        training=training,
        completed_on=DAY,
        source="roster",
    )
    with pytest.raises(CourseError, match="You cannot correct your own training"):
        corrections.correct_completion(_actor(people.trainer), completion, reason="typo", hours=2)
    assert type(completion).get_by_id(completion.id).status == "verified"


# --- courses and competencies: a coordinator verifies their own pending evidence -----------------


def test_coordinator_cannot_verify_their_own_self_reported_training(people):
    from courses import self_reports
    from courses.models import Completion

    pending = self_reports.report_training(
        _actor(people.coordinator),
        training=None,
        title="Infant massage",
        provider="Elsewhere",
        completed_on=DAY,
        hours=2,
        areas=[],
        certificate=PDF,
        filename="c.pdf",
        content_type="application/pdf",
    )
    client = people.client(people.coordinator)
    queue = people.request(client, "GET", "/courses/verify")
    assert f"/courses/completions/{pending.id}/decide" not in _text(queue)
    before = database_fingerprint()
    response = people.request(
        client,
        "POST",
        f"/courses/completions/{pending.id}/decide",
        data={"decision": "verify"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "You cannot verify your own training" in _text(response)
    assert database_fingerprint() == before
    assert Completion.get_by_id(pending.id).status == "pending"

    colleague = people.client(people.colleague)
    response = people.request(
        colleague, "POST", f"/courses/completions/{pending.id}/decide", data={"decision": "verify"}
    )
    assert response.status_code == 302
    assert Completion.get_by_id(pending.id).status == "verified"
    assert _ledger(people.coordinator, "training") == 1


@pytest.mark.parametrize(
    "kind, details",
    [
        ("work", {"kind": "direct", "employer": "Clinic"}),
        ("education", {"level": "master", "field": "Social work"}),
        ("membership", {"valid_until": (TODAY + dt.timedelta(days=200)).isoformat()}),
    ],
)
def test_coordinator_cannot_verify_their_own_evidence(people, kind, details):
    from competencies import ledger
    from competencies.models import Evidence

    row = ledger.record(
        clinician=people.coordinator,
        association=people.association,
        kind=kind,
        occurred_on=DAY,
        status="pending",
        source="self",
        details=details,
        label=f"My {kind}",
        actor=people.coordinator,
    )
    client = people.client(people.coordinator)
    queue = people.request(client, "GET", "/competencies/verify")
    assert f"/competencies/verify/{row.id}" not in _text(queue)
    before = database_fingerprint()
    response = people.request(
        client,
        "POST",
        f"/competencies/verify/{row.id}",
        data={"decision": "verify"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "You cannot verify your own evidence" in _text(response)
    assert database_fingerprint() == before
    assert Evidence.get_by_id(row.id).status == "pending"

    colleague = people.client(people.colleague)
    queue = people.request(colleague, "GET", "/competencies/verify")
    assert f"/competencies/verify/{row.id}" in _text(queue)
    response = people.request(
        colleague, "POST", f"/competencies/verify/{row.id}", data={"decision": "verify"}
    )
    assert response.status_code == 302
    assert Evidence.get_by_id(row.id).status == "verified"


def test_nobody_verifies_their_own_evidence_through_the_ledger(people):
    """An admin is not exempt: the ledger refuses whoever decides on their own row."""
    from competencies import ledger
    from lms.models import Membership

    Membership.create(user=people.coordinator, association=None, role="admin")
    row = ledger.record(
        clinician=people.coordinator,
        association=people.association,
        kind="education",
        occurred_on=DAY,
        status="pending",
        source="self",
        details={"level": "master"},
        actor=people.coordinator,
    )
    with pytest.raises(ledger.EvidenceError, match="You cannot verify your own evidence"):
        ledger.decide(row, accept=True, actor=people.coordinator)
    with pytest.raises(ledger.EvidenceError, match="You cannot"):
        ledger.decide(row, accept=False, actor=people.coordinator, reason="no")
    assert type(row).get_by_id(row.id).status == "pending"


def test_coordinator_cannot_endorse_themselves(people):
    from competencies.models import Endorsement

    client = people.client(people.coordinator)
    form = {"email": people.coordinator.email, "category": "IFA", "awarded_on": DAY.isoformat()}
    before = database_fingerprint()
    response = people.request(client, "POST", "/competencies/endorsements", data=form)
    assert response.status_code == 400
    assert "You cannot record your own endorsement" in _text(response)
    assert database_fingerprint() == before

    colleague = people.client(people.colleague)
    response = people.request(colleague, "POST", "/competencies/endorsements", data=form)
    assert response.status_code == 302
    assert Endorsement.select().where(Endorsement.clinician == people.coordinator).count() == 1


# --- supervision: a provider attests their own RSC ----------------------------------------------


def _session_input():
    from supervision.rules import SessionInput

    return SessionInput(occurred_on=DAY, hours=1.5)


def test_provider_cannot_log_or_enter_a_session_with_themselves(people):
    from supervision import rules, services
    from supervision.models import RscSession

    with pytest.raises(rules.SupervisionError, match="You cannot be your own RSC provider"):
        services.log_session(people.provider, people.association, people.provider, _session_input())
    with pytest.raises(rules.SupervisionError, match="You cannot be your own RSC provider"):
        services.enter_for_attendees(
            people.provider,
            people.association,
            [people.provider],
            _session_input(),
            password=PASSWORD,
        )
    assert RscSession.select().count() == 0 and _ledger(people.provider) == 0


def test_provider_cannot_attest_their_own_session(people):
    """Even a pending session naming the provider as their own clinician (say, one written
    before this check) is refused, and stays pending for another provider."""
    from supervision.models import RscSession

    own = RscSession.create(
        clinician=people.provider,
        provider=people.provider,
        association=people.association,
        occurred_on=DAY,
        hours=1.5,
        format="individual",
        entered_by=people.provider,
    )
    client = people.client(people.provider)
    before = database_fingerprint()
    response = people.request(
        client,
        "POST",
        "/supervision/provider/attest",
        data={"sessions": [str(own.id)], "password": PASSWORD},
    )
    assert response.status_code == 400
    assert "You cannot attest your own session" in _text(response)
    assert database_fingerprint() == before
    assert RscSession.get_by_id(own.id).status == "pending"

    from supervision import services

    services.log_session(
        people.provider, people.association, people.other_provider, _session_input()
    )
    other = people.client(people.other_provider)
    logged = RscSession.get(RscSession.provider == people.other_provider)
    response = people.request(
        other,
        "POST",
        "/supervision/provider/attest",
        data={"sessions": [str(logged.id)], "password": PASSWORD},
    )
    assert response.status_code == 302
    assert RscSession.get_by_id(logged.id).status == "attested"
    assert _ledger(people.provider, "rsc") == 1


def test_rsc_api_refuses_the_caller_as_their_own_provider(people, api_token):
    from supervision.models import RscSession

    token = api_token(people.provider, role="clinician", association=people.association)
    client = people.app.test_client()
    body = {"provider_id": people.provider.id, "occurred_on": DAY.isoformat(), "hours": 1.5}
    before = database_fingerprint()
    response = people.request(client, "POST", "/api/v1/rsc-sessions", json=body, headers=token)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["field"] == "provider_id"
    assert "You cannot be your own RSC provider" in error["message"]
    assert database_fingerprint() == before

    body["provider_id"] = people.other_provider.id
    response = people.request(client, "POST", "/api/v1/rsc-sessions", json=body, headers=token)
    assert response.status_code == 201
    assert RscSession.select().where(RscSession.clinician == people.provider).count() == 1


def test_coordinator_cannot_record_their_own_provider_credential(make_user, people):
    from supervision import credentials, rules
    from supervision.models import ProviderCredential

    both = make_user(
        "cleo@example.test", roles=("coordinator", "rsc_provider"), display_name="Cleo Both"
    )
    with pytest.raises(rules.SupervisionError, match="You cannot record your own credential"):
        credentials.record_credential(both, people.association, "IMHS", DAY, actor=both)
    assert ProviderCredential.select().count() == 0
    credentials.record_credential(both, people.association, "IMHS", DAY, actor=people.colleague)
    assert ProviderCredential.select().count() == 1


# --- the endorsement workflow: reviews, decisions, exams, renewals ------------------------------


def _application(people, clinician):
    from competencies.pathways import declare_goal
    from endorsement import applications

    pathway = declare_goal(clinician, people.association, "IFA", TODAY - dt.timedelta(days=200))
    return applications.submit(
        pathway,
        actor=clinician,
        signed={"code_of_ethics", "endorsement_agreement"},
        apply_anyway=True,
    )


def _move(application, *statuses, actor):
    from endorsement.applications import COORDINATOR, transition

    for status in statuses:
        transition(application, status, actor=actor, role=COORDINATOR)


def test_reviewer_cannot_review_their_own_application(people, make_user):
    from competencies.endorsements import record_endorsement
    from endorsement.models import Review

    application = _application(people, people.reviewer)
    _move(application, "under_review", actor=people.colleague)
    # The assignment itself is refused; a row written anyway (before this check, or by hand)
    # must not let the applicant review.
    own = Review.create(application=application, reviewer=people.reviewer, assigned_by=None)
    client = people.client(people.reviewer)
    form = {"recommendation": "endorsed", "areas_met": [], "comment": "all good"}
    before = database_fingerprint()
    response = people.request(client, "POST", f"/endorsement/reviews/{own.id}", data=form)
    assert response.status_code == 400
    assert "You cannot review your own application" in _text(response)
    assert database_fingerprint() == before
    assert Review.get_by_id(own.id).completed_at is None

    other = make_user("rob@example.test", roles=("reviewer",), display_name="Rob Reviewer")
    record_endorsement(other, people.association, "IMHS", DAY, actor=people.colleague)
    theirs = Review.create(application=application, reviewer=other, assigned_by=people.colleague)
    response = people.request(
        people.client(other), "POST", f"/endorsement/reviews/{theirs.id}", data=form
    )
    assert response.status_code == 302
    assert Review.get_by_id(theirs.id).completed_at is not None


def test_coordinator_cannot_decide_their_own_application(people):
    from endorsement.models import Application, Transition

    application = _application(people, people.coordinator)
    client = people.client(people.coordinator)
    before = database_fingerprint()
    response = people.request(
        client,
        "POST",
        f"/endorsement/applications/{application.id}/decide",
        data={"outcome": "on_hold", "note": "wait"},
    )
    assert response.status_code == 400
    assert "You cannot decide on your own application" in _text(response)
    assert database_fingerprint() == before
    assert Application.get_by_id(application.id).status == "submitted"
    assert Transition.select().where(Transition.application == application).count() == 1

    colleague = people.client(people.colleague)
    response = people.request(
        colleague,
        "POST",
        f"/endorsement/applications/{application.id}/decide",
        data={"outcome": "on_hold", "note": "wait"},
    )
    assert response.status_code == 302
    assert Application.get_by_id(application.id).status == "on_hold"


def test_coordinator_cannot_assign_reviewers_to_their_own_application(people, make_user):
    from competencies.endorsements import record_endorsement
    from endorsement import reviews
    from endorsement.errors import WorkflowError
    from endorsement.models import Application, Review

    reviewer = make_user("rob@example.test", roles=("reviewer",), display_name="Rob Reviewer")
    record_endorsement(reviewer, people.association, "IMHS", DAY, actor=people.colleague)
    application = _application(people, people.coordinator)
    with pytest.raises(WorkflowError, match="your own application"):
        reviews.assign(application, reviewer, actor=people.coordinator)
    assert Review.select().count() == 0
    assert Application.get_by_id(application.id).status == "submitted"
    reviews.assign(application, reviewer, actor=people.colleague)
    assert Review.select().count() == 1


def test_coordinator_cannot_record_their_own_exam_result(people):
    from competencies.models import Evidence
    from endorsement.models import Application, ExamRegistration, ExamSitting

    application = _application(people, people.coordinator)
    _move(application, "under_review", "approved_for_exam", actor=people.colleague)
    sitting = ExamSitting.create(
        association=people.association, held_on=DAY, location="Hall", capacity=10
    )
    registration = ExamRegistration.create(sitting=sitting, application=application)
    client = people.client(people.coordinator)
    url = f"/endorsement/exams/registrations/{registration.id}/result"
    before = database_fingerprint()
    response = people.request(client, "POST", url, data={"score": "95"})
    assert response.status_code == 400
    assert "You cannot record your own exam result" in _text(response)
    assert database_fingerprint() == before
    assert ExamRegistration.get_by_id(registration.id).passed is None
    assert Evidence.select().where(Evidence.kind == "exam").count() == 0

    response = people.request(people.client(people.colleague), "POST", url, data={"score": "95"})
    assert response.status_code == 302
    assert ExamRegistration.get_by_id(registration.id).passed is True
    assert Application.get_by_id(application.id).status == "exam_passed"


def test_coordinator_cannot_reinstate_their_own_endorsement(people):
    from competencies.endorsements import record_endorsement
    from competencies.models import Endorsement
    from endorsement import renewals

    awarded = dt.date(TODAY.year - 3, 1, 10)
    endorsement = record_endorsement(  # an add-on: known whatever rule set was in force
        people.coordinator, people.association, "ERS", awarded, actor=people.colleague
    )
    renewals.lapse_overdue(TODAY)
    assert Endorsement.get_by_id(endorsement.id).status == "lapsed"
    client = people.client(people.coordinator)
    url = f"/endorsement/renewal/{endorsement.id}/reinstate"
    before = database_fingerprint()
    response = people.request(
        client, "POST", url, data={"reason": "paid late"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "You cannot reinstate your own endorsement" in _text(response)
    assert database_fingerprint() == before
    assert Endorsement.get_by_id(endorsement.id).status == "lapsed"

    response = people.request(
        people.client(people.colleague), "POST", url, data={"reason": "paid late"}
    )
    assert response.status_code == 302
    assert Endorsement.get_by_id(endorsement.id).status == "active"


def test_the_check_ignores_roles_and_names_the_field():
    from lms.duties import OwnRecord, own_refusal, refuse_own

    class PluginError(ValueError):
        def __init__(self, message, field=None):
            super().__init__(message)
            self.field = field

    assert own_refusal(7, 8, "verify your own evidence") is None
    assert own_refusal(None, 8, "verify your own evidence") is None
    refuse_own(7, 8, "verify your own evidence", error=PluginError, field="evidence")
    with pytest.raises(PluginError) as refused:
        refuse_own(7, 7, "verify your own evidence", error=PluginError, field="evidence")
    assert isinstance(refused.value, OwnRecord) and refused.value.field == "evidence"
    assert str(refused.value).startswith("You cannot verify your own evidence;")


def test_applicant_signed_in_cannot_fill_in_their_own_rating_link(people):
    from competencies.pathways import declare_goal
    from endorsement import references
    from endorsement.models import ReferenceRequest

    pathway = declare_goal(
        people.clinician, people.association, "IFA", TODAY - dt.timedelta(days=200)
    )
    issued = references.ask(
        pathway,
        email="rater@example.test",
        name="Rae Rater",
        role="supervisor",
        actor=people.clinician,
    )
    answers = {a.id: "demonstrated" for a in references.areas_to_rate(pathway)}
    client = people.client(people.clinician)
    before = database_fingerprint()
    response = people.request(client, "POST", f"/endorsement/rate/{issued.token}", data=answers)
    assert response.status_code == 400
    assert "You cannot rate yourself" in _text(response)
    assert database_fingerprint() == before
    assert ReferenceRequest.get_by_id(issued.request.id).used_at is None

    rater = people.app.test_client()  # the rater, who has no account
    response = people.request(rater, "POST", f"/endorsement/rate/{issued.token}", data=answers)
    assert response.status_code == 200
    assert ReferenceRequest.get_by_id(issued.request.id).status == "rated"
