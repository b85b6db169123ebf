"""LMS account links need proof, and xAPI statement ids belong to one association.

A clinician cannot claim an account on a learning platform by typing it: only a coordinator
(one by one or from an all-or-nothing CSV) or the platform itself links one. A link serves
only the association that made it; another association's link of the same account to someone
else is refused without saying whose it is. Two associations may receive statements with the
same id; each keeps its own and neither sees nor blocks the other's.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from courses import lms_accounts
from courses.errors import CourseError
from courses.lms_accounts import LearnerFinder
from courses.models import LmsAccount, XapiStatement
from courses.xapi import Account
from lms.permissions import actor_for
from tests.courses.test_pages import multipart

MOODLE = "https://moodle.example.org"
IRI = "https://moodle.example.org/course/view.php?id=42"
XAPI = {"X-Experience-API-Version": "1.0.3"}
WHEN = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(microsecond=0)


@pytest.fixture
def people(make_user, make_association, association):
    """A: a coordinator, a trainer, Ana; B: a coordinator, a trainer, Bo; Dee is in both."""
    from competencies.rulesets import install_defaults
    from lms.models import Membership

    install_defaults()
    other = make_association("OB", "Beta Infant Network")
    dee = make_user("dee@example.test", display_name="Dee Dual")
    Membership.create(user=dee, association=other, role="clinician")
    return {
        "a": association,
        "b": other,
        "coord_a": make_user("coord.a@example.test", roles=("coordinator",)),
        "trainer_a": make_user("trainer.a@example.test", roles=("trainer",)),
        "ana": make_user("ana@example.test", display_name="Ana Ortiz"),
        "coord_b": make_user("coord.b@example.test", roles=("coordinator",), assoc=other),
        "trainer_b": make_user("trainer.b@example.test", roles=("trainer",), assoc=other),
        "bo": make_user("bo@other.test", display_name="Bo Zulu", assoc=other),
        "dee": dee,
    }


def _csv(text: str, home_page: str = "") -> dict:
    return multipart({"home_page": home_page}, {"file": (text.encode("utf-8"), "links.csv")})


# --- who links ---------------------------------------------------------------------------------


def test_a_clinician_cannot_link_an_account_by_typing_it(client, auth, people):
    auth.login(people["ana"].email)
    response = client.post("/courses/my-lms-accounts", data={"home_page": MOODLE, "name": "1234"})
    assert response.status_code == 405
    page = client.get("/courses/my-lms-accounts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="home_page"' not in html
    assert "coordinator" in html  # says who links accounts
    assert not hasattr(lms_accounts, "link_own")
    assert LmsAccount.select().count() == 0


def test_a_clinician_sees_their_links_and_may_remove_one(client, auth, people):
    account, _ = lms_accounts.link_for(
        actor_for(people["coord_a"]), people["a"], people["ana"].email, MOODLE, "1234"
    )
    auth.login(people["ana"].email)
    html = client.get("/courses/my-lms-accounts").get_data(as_text=True)
    assert "1234" in html and MOODLE in html
    assert client.post(f"/courses/lms-accounts/{account.id}/unlink").status_code == 302
    assert LmsAccount.select().count() == 0


def test_a_coordinator_links_a_clinician_of_their_association(client, auth, people):
    auth.login(people["coord_a"].email)
    response = client.post(
        "/courses/lms-accounts",
        data={"email": "ana@example.test", "home_page": MOODLE, "name": "9"},
    )
    assert response.status_code == 302
    account = LmsAccount.get()
    assert (account.user_id, account.association_id, account.source) == (
        people["ana"].id,
        people["a"].id,
        "coordinator",
    )
    refused = client.post(
        "/courses/lms-accounts", data={"email": "bo@other.test", "home_page": MOODLE, "name": "8"}
    )
    assert refused.status_code == 400 and LmsAccount.select().count() == 1


def test_the_platform_itself_may_link_through_the_service(people):
    """The LTI launch (a later issue) calls this; it links only a clinician of the association."""
    account, created = lms_accounts.link_from_lms(people["a"], people["ana"], MOODLE + "/", "77")
    assert created and (account.source, account.association_id) == ("lms", people["a"].id)
    with pytest.raises(CourseError):
        lms_accounts.link_from_lms(people["a"], people["bo"], MOODLE, "78")
    assert LmsAccount.select().count() == 1


# --- the CSV -----------------------------------------------------------------------------------


def test_the_csv_is_all_or_nothing_and_names_every_bad_row(client, auth, people):
    lms_accounts.link_for(
        actor_for(people["coord_b"]), people["b"], people["bo"].email, MOODLE, "taken-in-b"
    )
    text = (
        "email,name,home_page\r\n"
        f"ana@example.test,1234,{MOODLE}\r\n"  # good
        f"bo@other.test,55,{MOODLE}\r\n"  # a clinician of B only
        f"ana@example.test,taken-in-b,{MOODLE}\r\n"  # B's link of another person
        "ana@example.test,1235,moodle\r\n"  # not an address
    )
    auth.login(people["coord_a"].email)
    response = client.post("/courses/lms-accounts/import", **_csv(text))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was linked" in html
    assert "Line 3, email:" in html
    assert "Line 4, name: this account is linked to someone in another association" in html
    assert "Line 5, home_page:" in html
    for secret in ("Bo Zulu", "bo@other.test</", "Beta Infant Network", "OB"):
        assert secret not in html.split("Nothing was linked")[1].split("</ul>")[0]
    assert LmsAccount.select().count() == 1  # B's only


# --- another association's link ----------------------------------------------------------------


def test_another_associations_link_is_refused_without_naming_it(client, auth, people):
    lms_accounts.link_for(
        actor_for(people["coord_b"]), people["b"], people["bo"].email, MOODLE, "5"
    )
    with pytest.raises(CourseError) as caught:
        lms_accounts.link_for(
            actor_for(people["coord_a"]), people["a"], people["ana"].email, MOODLE, "5"
        )
    message = str(caught.value)
    assert "another association" in message
    for secret in ("Bo", "bo@other.test", "Beta", "OB"):
        assert secret not in message
    auth.login(people["coord_a"].email)
    page = client.post(
        "/courses/lms-accounts",
        data={"email": "ana@example.test", "home_page": MOODLE, "name": "5"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "another association" in html
    assert "Bo Zulu" not in html and "bo@other.test" not in html
    assert LmsAccount.select().count() == 1


def test_a_link_serves_only_the_association_that_made_it(people):
    """A's coordinator cannot decide who an account is in B (Dee is a clinician of both)."""
    lms_accounts.link_for(
        actor_for(people["coord_a"]), people["a"], "dee@example.test", MOODLE, "7"
    )
    assert LearnerFinder(people["a"].id).by_account(Account(MOODLE, "7")).id == people["dee"].id
    assert LearnerFinder(people["b"].id).by_account(Account(MOODLE, "7")) is None
    # B may link the same account to the same person, for its own statements
    lms_accounts.link_for(
        actor_for(people["coord_b"]), people["b"], "dee@example.test", MOODLE, "7"
    )
    assert LearnerFinder(people["b"].id).by_account(Account(MOODLE, "7")).id == people["dee"].id


# --- statement ids per association -------------------------------------------------------------


def _statement(sid: str, email: str, duration: str) -> dict:
    return {
        "id": sid,
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": IRI},
        "result": {"completion": True, "duration": duration},
        "timestamp": WHEN.isoformat().replace("+00:00", "Z"),
    }


def test_the_same_statement_id_in_two_associations_stays_separate(client, people, api_token):
    from courses import trainings

    for assoc, trainer in (("a", "trainer_a"), ("b", "trainer_b")):
        values = {"code": "NBO-101", "title": "Newborn", "format": "online", "hours": 3}
        values |= {"areas": {}, "activity_iri": IRI, "hours_from_duration": True}
        trainings.save_training(actor_for(people[trainer]), people[assoc], values)
    sid = str(uuid.uuid4())
    token_a = {**api_token(people["trainer_a"]), **XAPI}
    token_b = {**api_token(people["trainer_b"]), **XAPI}
    body_a = _statement(sid, "ana@example.test", "PT1H")
    body_b = _statement(sid, "bo@other.test", "PT2H")
    assert client.post("/xapi/statements", json=body_a, headers=token_a).status_code == 200
    answer = client.post("/xapi/statements", json=body_b, headers=token_b)
    assert answer.status_code == 200, answer.get_json()
    rows = {r.association_id: r for r in XapiStatement.select()}
    assert rows[people["a"].id].body["result"]["duration"] == "PT1H"
    assert rows[people["b"].id].body["result"]["duration"] == "PT2H"
    # a resend in each association is accepted once; a different body conflicts only at home
    assert client.post("/xapi/statements", json=body_b, headers=token_b).status_code == 200
    assert client.post("/xapi/statements", json=body_b, headers=token_a).status_code == 409
    # each reads back its own
    got_a = client.get(f"/xapi/statements?statementId={sid}", headers=token_a).get_json()
    got_b = client.get(f"/xapi/statements?statementId={sid}", headers=token_b).get_json()
    assert got_a["actor"]["mbox"] == "mailto:ana@example.test"
    assert got_b["actor"]["mbox"] == "mailto:bo@other.test"
    # voiding in B leaves A's statement and completion alone
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": body_b["actor"],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": sid},
    }
    assert client.post("/xapi/statements", json=voiding, headers=token_b).status_code == 200
    voided = {r.association_id: r.voided for r in XapiStatement.select() if r.statement_id == sid}
    assert voided == {people["a"].id: False, people["b"].id: True}
    assert client.get(f"/xapi/statements?statementId={sid}", headers=token_a).status_code == 200
    assert client.get(f"/xapi/statements?statementId={sid}", headers=token_b).status_code == 404
