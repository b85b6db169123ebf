"""Nobody of association A learns whether an account exists in another association.

Every place where someone of A names a person by email (or picks one by id) answers for a
person who has an account only in association B exactly as for an address or id nobody has:
the same status and the same page or JSON, word for word once the typed value is masked, and
nothing is written. (Inviting an address in use elsewhere is the one exception, documented in
SECURITY.md: the invitation is refused rather than sent, naming nothing.)
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.security.conftest import XAPI_HEADERS, database_fingerprint, fresh_context

TODAY = dt.date.today()
UNKNOWN_EMAIL = "nobody.here@example.test"
STATEMENT_ID = str(uuid.uuid4())


def _endorsement(w, email, user_id):
    return w.client("coordinator").post(
        "/competencies/endorsements",
        data={
            "email": email,
            "category": "IMHS",
            "awarded_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
    )


def _completion_csv(w, email, user_id):
    csv = f"email,training_code,date,hours\r\n{email},NBO-101,{TODAY - dt.timedelta(days=3)},3\r\n"
    return w.client("coordinator").post(
        "/courses/import",
        data={"file": (io.BytesIO(csv.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )


def _completion_api(w, email, user_id):
    item = {
        "email": email,
        "training_code": "NBO-101",
        "completed_on": (TODAY - dt.timedelta(days=3)).isoformat(),
    }
    return w.client("anonymous").post(
        "/api/v1/completions", json={"items": [item]}, headers=w.tokens["trainer"]
    )


def _xapi(w, email, user_id):
    statement = {
        "id": STATEMENT_ID,
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": "https://lms.example.test/course/101"},
        "result": {"completion": True},
        "timestamp": f"{(TODAY - dt.timedelta(days=2)).isoformat()}T10:00:00Z",
    }
    return w.client("anonymous").post(
        "/xapi/statements", json=statement, headers={**w.tokens["trainer"], **XAPI_HEADERS}
    )


def _lms_link_form(w, email, user_id):
    return w.client("coordinator").post(
        "/courses/lms-accounts",
        data={"email": email, "home_page": "https://moodle.example.org", "name": "u-4711"},
    )


def _lms_link_csv(w, email, user_id):
    csv = f"email,name,home_page\r\n{email},u-4711,https://moodle.example.org\r\n"
    return w.client("coordinator").post(
        "/courses/lms-accounts/import",
        data={"file": (io.BytesIO(csv.encode()), "links.csv"), "home_page": ""},
        content_type="multipart/form-data",
    )


def _rsc_session_form(w, email, user_id):
    return w.client("clinician").post(
        "/supervision/sessions/new",
        data={
            "provider": str(user_id),
            "occurred_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "hours": "1",
            "format": "individual",
            "submit": "Log session",
        },
    )


def _rsc_session_api(w, email, user_id):
    body = {
        "provider_id": user_id,
        "occurred_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "hours": 1.0,
    }
    return w.client("anonymous").post(
        "/api/v1/rsc-sessions", json=body, headers=w.tokens["clinician"]
    )


def _roster(w, email, user_id):
    return w.client("trainer").post(
        f"/courses/sessions/{w.values['course_session']}/roster",
        data={"attendee": str(user_id), "completed_on": ""},
    )


def _provider_page(w, email, user_id):
    return w.client("coordinator").get(f"/supervision/providers/{user_id}")


def _person_page(w, email, user_id):
    association = w.values["association_id"]
    return w.client("coordinator").get(f"/admin/associations/{association}/users/{user_id}")


ENTRY_POINTS: dict[str, Callable[[Any, str, int], Any]] = {
    "endorsement form": _endorsement,
    "completion CSV import": _completion_csv,
    "completion REST API": _completion_api,
    "xAPI statement": _xapi,
    "LMS account link form": _lms_link_form,
    "LMS account link CSV": _lms_link_csv,
    "trainer roster (attendee)": _roster,
    "RSC session form (provider)": _rsc_session_form,
    "RSC session API (provider_id)": _rsc_session_api,
    "provider credentials page": _provider_page,
    "person page": _person_page,
}
# Entry points that pick a person by id: the id is masked in their answers, not the email.
BY_ID = {
    "trainer roster (attendee)",
    "RSC session form (provider)",
    "RSC session API (provider_id)",
    "provider credentials page",
    "person page",
}


@pytest.fixture
def elsewhere(world, make_user):
    """Someone who is a clinician and an RSC provider of another association only (and a
    session of the training NBO-101 for the roster)."""
    from courses import trainings
    from courses.models import Training
    from lms.accounts import set_roles
    from lms.models import Association
    from lms.permissions import actor_for

    other = Association.get(Association.code == "OH")
    person = make_user(
        "far.away@example.test", roles=("clinician",), assoc=other, display_name="Farah Away"
    )
    set_roles(person, other, ["clinician", "rsc_provider"])
    training = Training.get(Training.code == "NBO-101")
    session = trainings.add_session(
        actor_for(world.users["trainer"]), training, starts_on=TODAY, location="Room 1"
    )
    world.values["course_session"] = str(session.id)
    return person


def _answer(world, name: str, email: str, user_id: int) -> tuple[int, str]:
    with fresh_context(world.app):
        response = ENTRY_POINTS[name](world, email, user_id)
    text = response.get_data(as_text=True)
    if name in BY_ID:
        text = re.sub(rf"(?<=[/=\"']){user_id}(?=[\"'/?&<\s])", "<ID>", text)
    else:
        text = text.replace(email, "<EMAIL>")
    # A CSRF token carries the second it was made in; it says nothing about the person.
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1<CSRF>", text)
    return response.status_code, text


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_another_associations_account_reads_as_unknown(world, elsewhere, name):
    from lms.models import User

    for role in ("coordinator", "clinician", "trainer"):
        world.client(role)  # sign in before the fingerprint
    unknown_id = User.select().order_by(User.id.desc()).first().id + 1000
    before = database_fingerprint()
    status_elsewhere, text_elsewhere = _answer(world, name, elsewhere.email, elsewhere.id)
    status_unknown, text_unknown = _answer(world, name, UNKNOWN_EMAIL, unknown_id)
    assert database_fingerprint() == before, f"{name} wrote something"
    assert status_elsewhere >= 400, f"{name} accepted a person of another association"
    assert status_elsewhere == status_unknown, name
    changed = [
        line
        for line in difflib.unified_diff(
            text_unknown.splitlines(), text_elsewhere.splitlines(), "unknown", "elsewhere", n=0
        )
        if line[:1] in "+-"
    ]
    assert not changed, f"{name} answers differently:\n" + "\n".join(changed)
    for word in ("Farah", "Away", "Ohio"):
        assert word not in text_elsewhere, f"{name} says {word!r}"
