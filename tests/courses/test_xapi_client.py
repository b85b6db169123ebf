"""The xAPI endpoint driven by a real client, ADL's TinCanPython, over HTTP on 127.0.0.1.

An LMS plugin asks the endpoint `about` (no credentials), stores statements (POST, PUT,
voiding) and reads them back one at a time by `statementId` or `voidedStatementId`; a token
reads back only its association's statements.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from tincan import (
    Activity,
    Agent,
    RemoteLRS,
    Result,
    Statement,
    StatementRef,
    Verb,
)
from werkzeug.serving import make_server

from courses import trainings
from courses.models import Completion, XapiStatement
from lms.models import Membership
from lms.permissions import actor_for

IRI = "https://moodle.example.org/course/view.php?id=42"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
WHEN = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(microsecond=0)


@pytest.fixture
def app(app_factory, backend, tmp_path):
    """The app on a database other threads can open too (a file, for SQLite)."""
    extra = {"DATABASE_URL": f"sqlite:///{tmp_path / 'xapi.db'}"} if backend == "sqlite" else {}
    application = app_factory(**extra)
    with application.app_context():
        yield application


@pytest.fixture
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def lrs(base_url, make_user, make_association, association, api_token):
    """A RemoteLRS for a trainer of each association, A and B, each with the same training."""
    from competencies.rulesets import install_defaults

    install_defaults()
    other = make_association("OB", "Other Association")
    make_user("ana@example.test", display_name="Ana Ortiz")
    make_user("bo@other.test", assoc=other)
    clients = {}
    for name, assoc in (("a", association), ("b", other)):
        trainer = make_user(f"trainer.{name}@example.test", roles=("trainer",), assoc=assoc)
        values = {"code": "NBO-101", "title": "Newborn", "format": "online", "hours": 3}
        values |= {"areas": {}, "activity_iri": IRI, "hours_from_duration": True}
        trainings.save_training(actor_for(trainer), assoc, values)
        membership = Membership.get(Membership.user == trainer)
        token = api_token(trainer, role="trainer", association=membership.association)
        clients[name] = RemoteLRS(
            endpoint=f"{base_url}/xapi/", version="1.0.3", auth=token["Authorization"]
        )
    return clients


def _completed(email: str, **kw) -> Statement:
    return Statement(
        actor=Agent(name="Learner", mbox=f"mailto:{email}"),
        verb=Verb(id=COMPLETED, display={"en-US": "completed"}),
        object=Activity(id=IRI),
        result=Result(completion=True, duration=dt.timedelta(hours=2)),
        timestamp=WHEN,
        **kw,
    )


def test_about_answers_without_credentials(base_url):
    response = RemoteLRS(endpoint=f"{base_url}/xapi/", version="1.0.3").about()
    assert response.success, response.data
    assert "1.0.3" in response.content.version and "1.0.0" in response.content.version
    assert response.response.getheader("X-Experience-API-Version") == "1.0.3"


def test_a_stored_statement_reads_back_with_the_consistency_header(lrs):
    saved = lrs["a"].save_statement(_completed("ana@example.test"))  # POST: the LRS assigns the id
    assert saved.success, saved.data
    sid = str(saved.content.id)
    got = lrs["a"].retrieve_statement(sid)
    assert got.success, got.data
    statement = got.content
    assert str(statement.id) == sid
    assert statement.actor.mbox == "mailto:ana@example.test"
    assert statement.object.id == IRI and statement.verb.id == COMPLETED
    assert statement.result.duration == dt.timedelta(hours=2)
    assert statement.stored is not None
    through = got.response.getheader("X-Experience-API-Consistent-Through")
    assert dt.datetime.fromisoformat(through) >= statement.stored
    assert got.response.getheader("X-Experience-API-Version") == "1.0.3"
    assert Completion.get().hours == 2.0  # the duration gave the hours


def test_a_voided_statement_is_read_only_as_voided(lrs):
    sid = str(uuid.uuid4())
    assert lrs["a"].save_statement(_completed("ana@example.test", id=sid)).success  # PUT
    voiding = Statement(
        actor=Agent(mbox="mailto:ana@example.test"),
        verb=Verb(id=VOIDED, display={"en-US": "voided"}),
        object=StatementRef(id=sid),
    )
    saved = lrs["a"].save_statement(voiding)
    assert saved.success, saved.data
    assert Completion.get().status == "void"
    plain = lrs["a"].retrieve_statement(sid)
    assert not plain.success and plain.response.status == 404
    voided = lrs["a"].retrieve_voided_statement(sid)
    assert voided.success, voided.data
    assert str(voided.content.id) == sid and voided.content.verb.id == COMPLETED
    # the voiding statement itself is an ordinary statement, and is not voided
    assert lrs["a"].retrieve_statement(saved.content.id).content.verb.id == VOIDED
    assert lrs["a"].retrieve_voided_statement(saved.content.id).response.status == 404


def test_another_associations_statement_answers_404(lrs):
    sid = str(uuid.uuid4())
    assert lrs["b"].save_statement(_completed("bo@other.test", id=sid)).success
    assert lrs["b"].retrieve_statement(sid).success
    for response in (lrs["a"].retrieve_statement(sid), lrs["a"].retrieve_voided_statement(sid)):
        assert not response.success and response.response.status == 404
        assert "bo@other.test" not in response.data
    assert XapiStatement.select().count() == 1
