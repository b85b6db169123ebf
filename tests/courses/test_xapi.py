"""Tests for the xAPI completion-statement parser."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from courses.xapi import (
    Account,
    Statement,
    Voiding,
    XapiError,
    canonical_hash,
    check_version_header,
    parse_duration,
    parse_statement,
)

NOW = datetime(2024, 4, 6, 12, 0, tzinfo=UTC)
SID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"

# Shaped like Moodle's logstore_xapi "course completed" statement.
MOODLE_STATEMENT: dict[str, Any] = {
    "id": SID,
    "actor": {
        "objectType": "Agent",
        "name": "Ana Ortiz",
        "account": {"homePage": "https://moodle.example.org", "name": "1234"},
    },
    "verb": {"id": COMPLETED, "display": {"en": "completed"}},
    "object": {
        "objectType": "Activity",
        "id": "https://moodle.example.org/course/view.php?id=42",
        "definition": {
            "type": "http://id.tincanapi.com/activitytype/lms/course",
            "name": {"en": "Newborn observation", "es": "Observación del recién nacido"},
            "extensions": {"https://w3id.org/learning-analytics/learning-management-system/": 1},
        },
    },
    "timestamp": "2024-04-05T23:30:00+10:00",
    "context": {
        "platform": "Moodle",
        "language": "en",
        "extensions": {"http://lrs.learninglocker.net/define/extensions/info": {"moodle": "4"}},
        "contextActivities": {
            "grouping": [{"id": "https://moodle.example.org", "objectType": "Activity"}],
            "category": [{"id": "http://moodle.org", "objectType": "Activity"}],
        },
    },
}

# Shaped like a SCORM Cloud "passed" statement.
SCORM_STATEMENT: dict[str, Any] = {
    "actor": {"mbox": "mailto:Bo.Lee@Example.org", "name": "Bo Lee"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
    "object": {
        "id": "http://scorm.com/courses/rsc-basics",
        "definition": {"name": {"en-US": "RSC basics", "fr-FR": "Bases de la RSC"}},
    },
    "result": {
        "score": {"scaled": 0.9, "raw": 90, "min": 0, "max": 100},
        "success": True,
        "completion": True,
        "duration": "PT1H30M",
    },
    "timestamp": "2024-04-05T16:45:12.345Z",
    "context": {"registration": "0b0d2c5e-2f07-4a7e-9d9a-3f7a7f4c1e11", "extensions": {}},
}


def wheres(body: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(XapiError) as caught:
        parse_statement(body, now=NOW, **kwargs)
    return [(e.where, e.message) for e in caught.value.errors]


def test_moodle_course_completed() -> None:
    st = parse_statement(MOODLE_STATEMENT, now=NOW)
    assert st == Statement(
        id=SID,
        actor_email=None,
        actor_account=Account("https://moodle.example.org", "1234"),
        verb="completed",
        activity_id="https://moodle.example.org/course/view.php?id=42",
        hours=None,
        timestamp=datetime(2024, 4, 5, 23, 30, tzinfo=timezone(timedelta(hours=10))),
        # 23:30 in Sydney is 13:30 UTC the same day; the date is taken in UTC.
        completed_on=date(2024, 4, 5),
    )


def test_completed_on_is_the_utc_date() -> None:
    body = {**MOODLE_STATEMENT, "timestamp": "2024-04-06T08:00:00+10:00"}
    assert parse_statement(body, now=NOW).completed_on == date(2024, 4, 5)


def test_scorm_cloud_passed_with_mbox_and_duration() -> None:
    st = parse_statement(SCORM_STATEMENT, now=NOW)
    assert isinstance(st, Statement)
    assert (st.verb, st.actor_email, st.actor_account) == ("passed", "bo.lee@example.org", None)
    assert st.hours == 1.5
    assert st.activity_id == "http://scorm.com/courses/rsc-basics"
    assert st.timestamp == datetime(2024, 4, 5, 16, 45, 12, 345000, tzinfo=UTC)
    # No id in the body: one is assigned, a fresh UUID each time.
    assert len(st.id) == 36 and parse_statement(SCORM_STATEMENT, now=NOW).id != st.id


def test_put_statement_id_is_used_and_must_match() -> None:
    body = {k: v for k, v in MOODLE_STATEMENT.items() if k != "id"}
    assert parse_statement(body, statement_id=SID.upper(), now=NOW).id == SID
    assert parse_statement(MOODLE_STATEMENT, statement_id=SID, now=NOW).id == SID
    other = "00000000-0000-4000-8000-000000000000"
    assert wheres(MOODLE_STATEMENT, statement_id=other) == [
        ("id", f"{SID} does not match the statementId {other}")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-uuid", "'not-a-uuid' is not a UUID"),
        ("{" + SID + "}", "'{" + SID + "}' is not a UUID in 8-4-4-4-12 form"),
        (42, "must be a UUID string"),
    ],
)
def test_bad_ids(value: Any, message: str) -> None:
    assert wheres({**MOODLE_STATEMENT, "id": value}) == [("id", message)]


def test_voiding_statement() -> None:
    target = "11111111-2222-4333-8444-555555555555"
    body = {
        "id": SID,
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
    }
    assert parse_statement(body, now=NOW) == Voiding(SID, target)
    bad = {**body, "object": {"objectType": "Activity", "id": "https://x.org/a"}}
    assert wheres(bad) == [("object", "a voiding statement's object must be a StatementRef")]


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("PT1H30M", 1.5),
        ("PT90M", 1.5),
        ("PT1.5H", 1.5),
        ("PT1,5H", 1.5),
        ("PT45S", 0.0125),
        ("P1D", 24.0),
        ("PT2H0M0S", 2.0),
    ],
)
def test_durations(text: str, hours: float) -> None:
    assert parse_duration(text) == hours


def test_durations_beyond_a_day_parse_without_the_limit() -> None:
    assert parse_duration("P1DT2H", max_hours=None) == 26.0
    assert parse_duration("P1W", max_hours=None) == 168.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PT-1H", "PT-1H is negative"),
        ("-PT1H", "-PT1H is negative"),
        ("PT", "PT is empty; give hours or minutes, e.g. PT1H30M"),
        ("P", "P is empty; give hours or minutes, e.g. PT1H30M"),
        ("P1M", "P1M uses years or months, whose length varies; use hours"),
        ("P1Y", "P1Y uses years or months, whose length varies; use hours"),
        ("P1DT2H", "P1DT2H is longer than 24 hours"),
        ("PT25H", "PT25H is longer than 24 hours"),
        ("1:30", "'1:30' is not an ISO 8601 duration such as PT1H30M"),
        ("PT1H30", "'PT1H30' is not an ISO 8601 duration such as PT1H30M"),
    ],
)
def test_bad_durations_in_a_statement(text: str, message: str) -> None:
    body = copy.deepcopy(SCORM_STATEMENT)
    body["result"]["duration"] = text
    assert wheres(body) == [("result.duration", message)]


def test_zero_duration_means_not_timed() -> None:
    body = copy.deepcopy(SCORM_STATEMENT)
    body["result"]["duration"] = "PT0S"
    assert parse_statement(body, now=NOW).hours is None


def test_unknown_verb() -> None:
    body = {**SCORM_STATEMENT, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}}
    assert wheres(body) == [
        (
            "verb",
            "http://adlnet.gov/expapi/verbs/experienced is not accepted; "
            "use completed, passed or voided",
        )
    ]
    with pytest.raises(XapiError, match=r"^verb: http://adlnet.gov/expapi/verbs/experienced"):
        parse_statement(body, now=NOW)


@pytest.mark.parametrize(
    ("actor", "where", "message"),
    [
        (None, "actor", "missing; give an Agent with mbox or account"),
        ({"objectType": "Group", "member": []}, "actor.objectType", "'Group' is not accepted"),
        ({"name": "Ana"}, "actor", "give mbox or account to identify the learner"),
        (
            {"mbox": "mailto:a@b.org", "account": {"homePage": "https://x", "name": "1"}},
            "actor",
            "give exactly one identifier, not mbox, account",
        ),
        ({"mbox_sha1sum": "ab" * 19}, "actor.mbox_sha1sum", "must be the 40 hex digits"),
        ({"mbox_sha1sum": "zz" * 20}, "actor.mbox_sha1sum", "must be the 40 hex digits"),
        ({"openid": "https://id.example.org/ana"}, "actor.openid", "cannot be matched"),
        ({"mbox": "ana@example.org"}, "actor.mbox", "must be 'mailto:' followed by"),
        ({"mbox": "mailto:ana"}, "actor.mbox", "'mailto:ana' is not an email address"),
        ({"account": {"homePage": "moodle", "name": "1"}}, "actor.account.homePage", "must be"),
        ({"account": {"homePage": "https://m.org", "name": " "}}, "actor.account.name", "must"),
        ({"account": None}, "actor.account", "must be an object with homePage and name"),
        ({"mbox": None}, "actor.mbox", "must be 'mailto:' followed by"),
    ],
)
def test_bad_actors(actor: Any, where: str, message: str) -> None:
    body = {**SCORM_STATEMENT, "actor": actor}
    ((got_where, got_message),) = wheres(body)
    assert got_where == where and got_message.startswith(message)


def test_mbox_is_percent_decoded_and_lowercased() -> None:
    body = {**SCORM_STATEMENT, "actor": {"objectType": "Agent", "mbox": "mailto:ana%2Bimh@X.org"}}
    assert parse_statement(body, now=NOW).actor_email == "ana+imh@x.org"


@pytest.mark.parametrize(
    ("obj", "where", "message"),
    [
        (None, "object", "missing; give the Activity that was completed"),
        ({"objectType": "Agent", "mbox": "mailto:a@b.org"}, "object.objectType", "'Agent' is"),
        ({"objectType": "StatementRef", "id": SID}, "object.objectType", "'StatementRef' is"),
        ({"id": "not an iri"}, "object.id", "must be the activity's IRI"),
        ({"definition": {"name": {"en": "x"}}}, "object.id", "must be the activity's IRI"),
    ],
)
def test_bad_objects(obj: Any, where: str, message: str) -> None:
    ((got_where, got_message),) = wheres({**SCORM_STATEMENT, "object": obj})
    assert got_where == where and got_message.startswith(message)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing; a completion needs the time it happened"),
        ("2024-04-05T10:00:00", "2024-04-05T10:00:00 has no timezone; add Z or an offset"),
        ("2024-04-05", "2024-04-05 has no timezone; add Z or an offset"),
        ("yesterday", "'yesterday' is not an ISO 8601 date and time"),
        (1712300000, "must be an ISO 8601 string"),
        ("2024-04-06T12:05:01Z", "2024-04-06T12:05:01Z is in the future"),
    ],
)
def test_bad_timestamps(value: Any, message: str) -> None:
    body = {k: v for k, v in SCORM_STATEMENT.items() if k != "timestamp"}
    if value is not None:
        body["timestamp"] = value
    assert wheres(body) == [("timestamp", message)]


def test_five_minutes_of_clock_skew_are_allowed() -> None:
    body = {**SCORM_STATEMENT, "timestamp": "2024-04-06T14:05:00+02:00"}
    assert parse_statement(body, now=NOW).timestamp.astimezone(UTC) == NOW + timedelta(minutes=5)


def test_result_flags_must_be_booleans_and_agree_with_the_verb() -> None:
    body = copy.deepcopy(SCORM_STATEMENT)
    body["result"].update(success=False, completion="true")
    assert wheres(body) == [
        ("result.completion", "must be true or false"),
        ("result.success", "false contradicts the verb passed"),
    ]
    body["result"].update(success=True, completion=False)  # passed but not completed: fine
    assert parse_statement(body, now=NOW).verb == "passed"


def test_all_problems_are_reported_together() -> None:
    body = {
        "id": "nope",
        "actor": {"mbox": "ana@example.org"},
        "verb": {"id": "http://example.org/verbs/liked"},
        "object": {"id": ""},
        "result": {"duration": "PT-1H"},
    }
    assert [w for w, _ in wheres(body)] == [
        "id",
        "actor.mbox",
        "verb",
        "object.id",
        "result.duration",
        "timestamp",
    ]


def test_body_must_be_an_object() -> None:
    assert wheres([MOODLE_STATEMENT]) == [("statement", "must be a JSON object")]


@pytest.mark.parametrize("value", ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0", " 1.0.3 "])
def test_version_header_accepted(value: str) -> None:
    assert check_version_header(value) == value.strip()


def test_version_1_0_means_1_0_0() -> None:
    assert check_version_header("1.0") == "1.0.0"


@pytest.mark.parametrize("value", [None, "", "0.95", "1.0.4", "1.1.0", "2.0"])
def test_version_header_refused(value: str | None) -> None:
    with pytest.raises(XapiError) as caught:
        check_version_header(value)
    (err,) = caught.value.errors
    assert err.where == "X-Experience-API-Version"
    assert "1.0.3" in err.message and "2.0.0" in err.message


def test_canonical_hash_ignores_key_order_whitespace_and_lrs_properties() -> None:
    reordered = dict(reversed(list(MOODLE_STATEMENT.items())))
    stored = {**MOODLE_STATEMENT, "stored": "2024-04-06T00:00:00Z", "version": "1.0.3"}
    without_id = {k: v for k, v in MOODLE_STATEMENT.items() if k != "id"}
    digest = canonical_hash(MOODLE_STATEMENT)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert canonical_hash(reordered) == digest
    assert canonical_hash(stored) == digest
    assert canonical_hash(without_id) == digest


def test_canonical_hash_changes_with_the_content() -> None:
    changed = copy.deepcopy(MOODLE_STATEMENT)
    changed["object"]["definition"]["name"]["en"] = "Newborn observation II"
    assert canonical_hash(changed) != canonical_hash(MOODLE_STATEMENT)
    later = {**MOODLE_STATEMENT, "timestamp": "2024-04-05T23:31:00+10:00"}
    assert canonical_hash(later) != canonical_hash(MOODLE_STATEMENT)


def test_canonical_hash_refuses_non_json_numbers() -> None:
    with pytest.raises(XapiError) as caught:
        canonical_hash({**SCORM_STATEMENT, "result": {"score": {"raw": float("nan")}}})
    assert caught.value.errors[0].where == "statement"
