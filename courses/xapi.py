"""Parse the subset of xAPI statements that learning platforms send for completions.

Pure: no Flask, no database. Accepted:

- verbs ``completed`` and ``passed`` (ADL ids) about an Activity, with an Agent identified by
  ``mbox``, ``mbox_sha1sum`` (the SHA-1 of ``mailto:`` and the address) or ``account``
  (``homePage`` and ``name``, as Moodle's logstore_xapi sends), a ``timestamp`` with a
  timezone and optionally ``result.duration`` (the clock hours);
- verb ``voided`` whose object is a ``StatementRef`` (the LMS withdrawing a statement).

Everything else an LMS adds (``context``, ``contextActivities``, ``extensions``, the activity's
``definition``, ``result.score``, ``authority``...) is ignored. Statements are validated by the
pydantic models at the end of this module; anything outside the subset raises
:class:`XapiError` listing every problem, each with a dotted ``where`` path.
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
from typing import Annotated, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from lms.validation import Problem, ProblemsError, fail, failures, problems

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


Err = Problem  # one problem: ``where`` is a dotted path into the statement, or a header name


class XapiError(ProblemsError):
    """The statement (or header) is outside the accepted subset; ``errors`` lists why."""


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
    verb_id = body["verb"].get("id") if isinstance(body.get("verb"), Mapping) else None
    voiding = verb_id == VOIDED
    model_type: type[_Statement] = _VoidingModel if voiding else _CompletionModel
    context = {"verb": COMPLETION_VERBS.get(verb_id) if isinstance(verb_id, str) else None}
    context["now"] = now or datetime.now(UTC)
    errors: list[Err] = []
    model: _Statement | None = None
    try:
        model = model_type.model_validate(body, context=context)
    except ValidationError as exc:
        errors = [Err(where, message) for where, message in problems(exc, _wording)]
    # The id first, then PUT's statementId and whether they agree, then the rest.
    at = sum(1 for e in errors if e.where == "id")
    errors[at:at] = _statement_id_problems(body.get("id"), statement_id, errors[:at])
    if errors or model is None:
        raise XapiError(errors)
    sid = _uuid(statement_id) if statement_id is not None else model.id or str(uuid.uuid4())
    agent = model.actor
    if isinstance(model, _VoidingModel):
        return Voiding(sid, model.object.id)
    assert isinstance(model, _CompletionModel)
    timestamp = model.timestamp
    return Statement(
        id=sid,
        actor_email=agent.mbox,
        actor_account=Account(agent.account.homePage, agent.account.name)
        if agent.account is not None
        else None,
        verb=model.verb.verb,
        activity_id=model.object.id,
        hours=(model.result.duration or None) if model.result is not None else None,
        timestamp=timestamp,
        completed_on=timestamp.astimezone(UTC).date(),
        actor_mbox_sha1=agent.mbox_sha1sum,
    )


# --- the statement's parts, as pydantic models -------------------------------------------------
# Each check raises `fail(message)` where the value is wrong, or `failures` naming a key of a
# mapping; checks that stop at the first problem of a part (the Agent's type, then its single
# identifier) run on the raw part before its model, as the xAPI specification orders them.


def _wording(error: ErrorDetails) -> str | None:
    return "is missing" if error["type"] == "missing" else None


def _uuid(value: Any) -> str:
    if not isinstance(value, str):
        raise fail("must be a UUID string")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise fail(f"{value!r} is not a UUID") from None
    # uuid.UUID also takes braces and URNs; xAPI wants the plain hyphenated form.
    if str(parsed) != value.lower():
        raise fail(f"{value!r} is not a UUID in 8-4-4-4-12 form")
    return str(parsed)


def _optional_uuid(value: Any) -> str | None:
    return None if value is None else _uuid(value)


def _statement_id_problems(body_id: Any, param_id: str | None, id_errors: list[Err]) -> list[Err]:
    if param_id is None:
        return []
    try:
        from_param = _uuid(param_id)
    except PydanticCustomError as exc:
        return [Err("statementId", exc.message())]
    if body_id is None or id_errors:
        return []
    if _uuid(body_id) != from_param:
        return [Err("id", f"{body_id} does not match the statementId {param_id}")]
    return []


def _is_iri(value: Any) -> bool:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _iri(message: str) -> Any:
    def check(value: Any) -> str:
        if not _is_iri(value):
            raise fail(message)
        return value

    return BeforeValidator(check)


def _mbox(mbox: Any) -> str:
    if not isinstance(mbox, str) or not mbox.lower().startswith("mailto:"):
        raise fail("must be 'mailto:' followed by an email address")
    address = unquote(mbox[len("mailto:") :]).strip().lower()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        raise fail(f"{mbox!r} is not an email address")
    return address


def _sha1(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{40}", value):
        raise fail("must be the 40 hex digits of SHA-1('mailto:' + email)")
    return value.lower()


def _account_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail("must be a non-empty string")
    return value


class _Part(BaseModel):
    """A part of a statement: what we read of it; anything else the LMS sends is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _AccountModel(_Part):
    homePage: Annotated[str, _iri("must be an absolute URL")] = Field(None, validate_default=True)
    name: Annotated[str, BeforeValidator(_account_name)] = Field(None, validate_default=True)


def _an_account(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise fail("must be an object with homePage and name")
    return value


_IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid", "account")


class _AgentModel(_Part):
    mbox: Annotated[str | None, BeforeValidator(_mbox)] = None
    mbox_sha1sum: Annotated[str | None, BeforeValidator(_sha1)] = None
    # Absent: None; given, even as null, it must be an object (the check runs before `| None`).
    account: Annotated[_AccountModel | None, BeforeValidator(_an_account)] = None


def _one_agent_one_identifier(actor: Any) -> Any:
    """Return the one identifier the Agent gives, checking its type, then count, then which."""
    if not isinstance(actor, Mapping):
        raise fail("missing; give an Agent with mbox or account (or mbox_sha1sum)")
    kind = actor.get("objectType", "Agent")
    if kind != "Agent":
        raise failures([(("objectType",), f"{kind!r} is not accepted; send one Agent")])
    given = [k for k in _IDENTIFIERS if k in actor]
    if not given:
        raise fail("give mbox or account to identify the learner (or mbox_sha1sum)")
    if len(given) > 1:
        raise fail(f"give exactly one identifier, not {', '.join(given)}")
    if given[0] == "openid":
        message = "cannot be matched to a clinician; use mbox, mbox_sha1sum or account"
        raise failures([(("openid",), message)])
    return {given[0]: actor[given[0]]}


class _VerbModel(_Part):
    verb: str


def _accepted_verb(verb: Any) -> Any:
    if not isinstance(verb, Mapping) or not isinstance(verb.get("id"), str):
        raise fail("missing; give a verb with an id")
    found: list[tuple[tuple[int | str, ...], str]] = []
    if "display" in verb and not isinstance(verb["display"], Mapping):
        found.append((("display",), "must be a language map"))
    verb_id = verb["id"]
    word = "voided" if verb_id == VOIDED else COMPLETION_VERBS.get(verb_id)
    if word is None:
        found.append(((), f"{verb_id} is not accepted; use completed, passed or voided"))
    if found:
        raise failures(found)
    return {"verb": word}


class _ActivityModel(_Part):
    id: Annotated[str, _iri("must be the activity's IRI, e.g. https://lms/course/7")] = Field(
        None, validate_default=True
    )


def _an_activity(obj: Any) -> Any:
    if not isinstance(obj, Mapping):
        raise fail("missing; give the Activity that was completed")
    kind = obj.get("objectType", "Activity")
    if kind != "Activity":
        raise failures([(("objectType",), f"{kind!r} is not accepted; send an Activity")])
    return obj


class _StatementRefModel(_Part):
    id: Annotated[str, BeforeValidator(_uuid)] = Field(None, validate_default=True)


def _a_reference(obj: Any) -> Any:
    if not isinstance(obj, Mapping) or obj.get("objectType") != "StatementRef":
        raise fail("a voiding statement's object must be a StatementRef")
    return obj


def _flag(contradicts: str) -> Any:
    def check(value: Any, info: ValidationInfo) -> bool:
        if not isinstance(value, bool):
            raise fail("must be true or false")
        verb = info.context["verb"] if info.context else None
        if value is False and verb == contradicts:
            raise fail(f"false contradicts the verb {verb}")
        return value

    return BeforeValidator(check)


def _duration(value: Any) -> float:
    try:
        return parse_duration(value)
    except ValueError as err:
        raise fail(str(err)) from None


class _ResultModel(_Part):
    completion: Annotated[bool | None, _flag("completed")] = None
    success: Annotated[bool | None, _flag("passed")] = None
    duration: Annotated[float | None, BeforeValidator(_duration)] = None


def _a_result(result: Any) -> Any:
    if result is not None and not isinstance(result, Mapping):
        raise fail("must be an object")
    return result


def _timestamp(value: Any, info: ValidationInfo) -> datetime:
    if value is None:
        raise fail("missing; a completion needs the time it happened")
    if not isinstance(value, str):
        raise fail("must be an ISO 8601 string")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{value!r} is not an ISO 8601 date and time") from None
    if when.tzinfo is None:
        raise fail(f"{value} has no timezone; add Z or an offset")
    if when > info.context["now"] + CLOCK_SKEW:
        raise fail(f"{value} is in the future")
    return when


class _Statement(_Part):
    id: Annotated[str | None, BeforeValidator(_optional_uuid)] = None
    actor: Annotated[_AgentModel, BeforeValidator(_one_agent_one_identifier)] = Field(
        None, validate_default=True
    )
    verb: Annotated[_VerbModel, BeforeValidator(_accepted_verb)] = Field(
        None, validate_default=True
    )


class _CompletionModel(_Statement):
    object: Annotated[_ActivityModel, BeforeValidator(_an_activity)] = Field(
        None, validate_default=True
    )
    result: Annotated[_ResultModel | None, BeforeValidator(_a_result)] = None
    timestamp: Annotated[datetime, BeforeValidator(_timestamp)] = Field(None, validate_default=True)


class _VoidingModel(_Statement):
    object: Annotated[_StatementRefModel, BeforeValidator(_a_reference)] = Field(
        None, validate_default=True
    )
