"""Parse the subset of xAPI statements that learning platforms send for completions.

Pure: no Flask, no database. Accepted:

- verbs ``completed`` and ``passed`` (ADL ids) about an Activity, with an Agent identified by
  ``mbox``, ``mbox_sha1sum`` (the SHA-1 of ``mailto:`` and the address) or ``account``
  (``homePage`` and ``name``, as Moodle's logstore_xapi sends), a ``timestamp`` with a
  timezone and optionally ``result.duration`` (the clock hours);
- verb ``voided`` whose object is a ``StatementRef`` (the LMS withdrawing a statement).

Everything else an LMS adds (``context``, ``contextActivities``, ``extensions``, the activity's
``definition``, ``result.score``, ``authority``...) is ignored. Anything outside the subset
raises :class:`XapiError` listing every problem, each with a dotted ``where`` path.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

__all__ = [
    "Account",
    "Err",
    "Statement",
    "Voiding",
    "XapiError",
    "canonical_hash",
    "check_version_header",
    "parse_duration",
    "parse_statement",
]

VERB_PREFIX = "http://adlnet.gov/expapi/verbs/"
COMPLETION_VERBS = {VERB_PREFIX + "completed": "completed", VERB_PREFIX + "passed": "passed"}
VOIDED = VERB_PREFIX + "voided"
ACCEPTED_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
MAX_HOURS = 24.0
CLOCK_SKEW = timedelta(minutes=5)
VERSION_HEADER = "X-Experience-API-Version"

_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
# Properties the LRS itself sets; a resent statement may differ in them and still be the same.
_LRS_PROPERTIES = frozenset({"id", "stored", "authority", "version"})


@dataclass(frozen=True, slots=True)
class Err:
    """One problem: ``where`` is a dotted path into the statement, or a header name."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class XapiError(ValueError):
    """The statement (or header) is outside the accepted subset; ``errors`` lists why."""

    def __init__(self, errors: list[Err]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class Account(NamedTuple):
    """An LMS account: the LMS's home page and the user's name or id there."""

    home_page: str
    name: str


@dataclass(frozen=True, slots=True)
class Statement:
    """A completion: who, which activity, when and, if the LMS timed it, for how long."""

    id: str
    actor_email: str | None
    actor_account: Account | None
    verb: str
    activity_id: str
    hours: float | None
    timestamp: datetime
    completed_on: date
    actor_mbox_sha1: str | None = None  # lower-case hex, when the actor was an mbox_sha1sum


@dataclass(frozen=True, slots=True)
class Voiding:
    """The LMS withdraws statement ``target_id``."""

    id: str
    target_id: str


def check_version_header(value: str | None) -> str:
    """Return the xAPI version the client speaks, or raise XapiError naming the header.

    "1.0" is read as "1.0.0", as the 1.0.x specification asks of a server.
    """
    text = (value or "").strip()
    if text == "1.0":
        return "1.0.0"
    if text in ACCEPTED_VERSIONS:
        return text
    shown = f"{text!r} is not supported" if text else "missing"
    message = f"{shown}; send one of {', '.join(ACCEPTED_VERSIONS)}"
    raise XapiError([Err(VERSION_HEADER, message)])


def canonical_hash(body: Mapping[str, Any]) -> str:
    """Return the SHA-256 (hex) of the statement as canonical JSON.

    Sorted keys, no whitespace, UTF-8. The properties the LRS sets (id, stored, authority,
    version) are left out, so a client resending the same statement gets the same hash.
    """
    content = {k: v for k, v in body.items() if k not in _LRS_PROPERTIES}
    try:
        text = json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise XapiError([Err("statement", f"is not plain JSON: {err}")]) from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_duration(text: str, *, max_hours: float | None = MAX_HOURS) -> float:
    """Return an ISO 8601 duration (PT1H30M, PT90M, P1DT2H, PT1.5H) in hours.

    Years and months are refused (their length varies), as are negative and empty durations
    and, when ``max_hours`` is given, anything longer. Raises ValueError with the reason.
    """
    if not isinstance(text, str):
        raise ValueError("must be an ISO 8601 duration string such as PT1H30M")
    if "-" in text:
        raise ValueError(f"{text} is negative")
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT1H30M")
    years, months, weeks, days, hours, minutes, seconds = (
        float(g.replace(",", ".")) if g is not None else None for g in match.groups()
    )
    if all(g is None for g in match.groups()):
        raise ValueError(f"{text} is empty; give hours or minutes, e.g. PT1H30M")
    if years or months:
        raise ValueError(f"{text} uses years or months, whose length varies; use hours")
    total = ((weeks or 0) * 168 + (days or 0) * 24 + (hours or 0) + (minutes or 0) / 60) + (
        seconds or 0
    ) / 3600
    if not math.isfinite(total):
        raise ValueError(f"{text} is not a finite duration")
    if max_hours is not None and total > max_hours:
        raise ValueError(f"{text} is longer than {max_hours:g} hours")
    return round(total, 6)


def parse_statement(
    body: Mapping[str, Any], *, statement_id: str | None = None, now: datetime | None = None
) -> Statement | Voiding:
    """Validate one statement and return a completion or a voiding.

    ``statement_id`` is PUT's ``statementId`` parameter; it must match ``id`` when both are
    given. Without either, a fresh UUID is assigned (as an LRS does for POST). A zero
    ``result.duration`` (LMSes send PT0S when they did not time the learner) gives
    ``hours=None``. ``now`` is for tests; the future check allows five minutes of clock skew.
    """
    if not isinstance(body, Mapping):
        raise XapiError([Err("statement", "must be a JSON object")])
    errors: list[Err] = []
    sid = _statement_id(body.get("id"), statement_id, errors)
    email, account, sha1 = _actor(body.get("actor"), errors)
    verb = _verb(body.get("verb"), errors)

    if verb == "voided":
        target = _statement_ref(body.get("object"), errors)
        if errors:
            raise XapiError(errors)
        assert target is not None  # no errors means the reference parsed
        return Voiding(sid, target)

    activity = _activity(body.get("object"), errors)
    hours = _result(body.get("result"), verb, errors)
    timestamp = _timestamp(body.get("timestamp"), now or datetime.now(UTC), errors)
    if errors:
        raise XapiError(errors)
    assert verb is not None and activity is not None and timestamp is not None
    return Statement(
        id=sid,
        actor_email=email,
        actor_account=account,
        verb=verb,
        activity_id=activity,
        hours=hours,
        timestamp=timestamp,
        completed_on=timestamp.astimezone(UTC).date(),
        actor_mbox_sha1=sha1,
    )


# --- parts -------------------------------------------------------------------------------------


def _uuid(value: Any, where: str, errors: list[Err]) -> str | None:
    if not isinstance(value, str):
        errors.append(Err(where, "must be a UUID string"))
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        errors.append(Err(where, f"{value!r} is not a UUID"))
        return None
    # uuid.UUID also takes braces and URNs; xAPI wants the plain hyphenated form.
    if str(parsed) != value.lower():
        errors.append(Err(where, f"{value!r} is not a UUID in 8-4-4-4-12 form"))
        return None
    return str(parsed)


def _statement_id(body_id: Any, param_id: str | None, errors: list[Err]) -> str:
    from_body = _uuid(body_id, "id", errors) if body_id is not None else None
    from_param = _uuid(param_id, "statementId", errors) if param_id is not None else None
    if from_body and from_param and from_body != from_param:
        errors.append(Err("id", f"{body_id} does not match the statementId {param_id}"))
    return from_param or from_body or str(uuid.uuid4())


def _actor(actor: Any, errors: list[Err]) -> tuple[str | None, Account | None, str | None]:
    """Return (email, account, mbox SHA-1): the one identifier the Agent gives."""
    if not isinstance(actor, Mapping):
        errors.append(Err("actor", "missing; give an Agent with mbox or account (or mbox_sha1sum)"))
        return None, None, None
    kind = actor.get("objectType", "Agent")
    if kind != "Agent":
        errors.append(Err("actor.objectType", f"{kind!r} is not accepted; send one Agent"))
        return None, None, None
    identifiers = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in actor]
    if not identifiers:
        errors.append(
            Err("actor", "give mbox or account to identify the learner (or mbox_sha1sum)")
        )
        return None, None, None
    if len(identifiers) > 1:
        errors.append(Err("actor", f"give exactly one identifier, not {', '.join(identifiers)}"))
        return None, None, None
    key = identifiers[0]
    if key == "openid":
        errors.append(
            Err(
                "actor.openid",
                "cannot be matched to a clinician; use mbox, mbox_sha1sum or account",
            )
        )
        return None, None, None
    if key == "mbox":
        return _mbox(actor["mbox"], errors), None, None
    if key == "mbox_sha1sum":
        return None, None, _sha1(actor["mbox_sha1sum"], errors)
    return None, _account(actor["account"], errors), None


def _sha1(value: Any, errors: list[Err]) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{40}", value):
        errors.append(
            Err("actor.mbox_sha1sum", "must be the 40 hex digits of SHA-1('mailto:' + email)")
        )
        return None
    return value.lower()


def _mbox(mbox: Any, errors: list[Err]) -> str | None:
    if not isinstance(mbox, str) or not mbox.lower().startswith("mailto:"):
        errors.append(Err("actor.mbox", "must be 'mailto:' followed by an email address"))
        return None
    address = unquote(mbox[len("mailto:") :]).strip().lower()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        errors.append(Err("actor.mbox", f"{mbox!r} is not an email address"))
        return None
    return address


def _account(account: Any, errors: list[Err]) -> Account | None:
    if not isinstance(account, Mapping):
        errors.append(Err("actor.account", "must be an object with homePage and name"))
        return None
    home, name = account.get("homePage"), account.get("name")
    ok = True
    if not _is_iri(home):
        errors.append(Err("actor.account.homePage", "must be an absolute URL"))
        ok = False
    if not isinstance(name, str) or not name.strip():
        errors.append(Err("actor.account.name", "must be a non-empty string"))
        ok = False
    return Account(home, name) if ok else None


def _verb(verb: Any, errors: list[Err]) -> str | None:
    if not isinstance(verb, Mapping) or not isinstance(verb.get("id"), str):
        errors.append(Err("verb", "missing; give a verb with an id"))
        return None
    if "display" in verb and not isinstance(verb["display"], Mapping):
        errors.append(Err("verb.display", "must be a language map"))
    verb_id = verb["id"]
    if verb_id == VOIDED:
        return "voided"
    if verb_id in COMPLETION_VERBS:
        return COMPLETION_VERBS[verb_id]
    errors.append(Err("verb", f"{verb_id} is not accepted; use completed, passed or voided"))
    return None


def _is_iri(value: Any) -> bool:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _activity(obj: Any, errors: list[Err]) -> str | None:
    if not isinstance(obj, Mapping):
        errors.append(Err("object", "missing; give the Activity that was completed"))
        return None
    kind = obj.get("objectType", "Activity")
    if kind != "Activity":
        errors.append(Err("object.objectType", f"{kind!r} is not accepted; send an Activity"))
        return None
    activity_id = obj.get("id")
    if not _is_iri(activity_id):
        errors.append(Err("object.id", "must be the activity's IRI, e.g. https://lms/course/7"))
        return None
    return activity_id


def _statement_ref(obj: Any, errors: list[Err]) -> str | None:
    if not isinstance(obj, Mapping) or obj.get("objectType") != "StatementRef":
        errors.append(Err("object", "a voiding statement's object must be a StatementRef"))
        return None
    return _uuid(obj.get("id"), "object.id", errors)


def _result(result: Any, verb: str | None, errors: list[Err]) -> float | None:
    if result is None:
        return None
    if not isinstance(result, Mapping):
        errors.append(Err("result", "must be an object"))
        return None
    for key, contradicts in (("completion", "completed"), ("success", "passed")):
        if key not in result:
            continue
        value = result[key]
        if not isinstance(value, bool):
            errors.append(Err(f"result.{key}", "must be true or false"))
        elif value is False and verb == contradicts:
            errors.append(Err(f"result.{key}", f"false contradicts the verb {verb}"))
    if "duration" not in result:
        return None
    try:
        hours = parse_duration(result["duration"])
    except ValueError as err:
        errors.append(Err("result.duration", str(err)))
        return None
    return hours or None


def _timestamp(value: Any, now: datetime, errors: list[Err]) -> datetime | None:
    if value is None:
        errors.append(Err("timestamp", "missing; a completion needs the time it happened"))
        return None
    if not isinstance(value, str):
        errors.append(Err("timestamp", "must be an ISO 8601 string"))
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        errors.append(Err("timestamp", f"{value!r} is not an ISO 8601 date and time"))
        return None
    if when.tzinfo is None:
        errors.append(Err("timestamp", f"{value} has no timezone; add Z or an offset"))
        return None
    if when > now + CLOCK_SKEW:
        errors.append(Err("timestamp", f"{value} is in the future"))
        return None
    return when
