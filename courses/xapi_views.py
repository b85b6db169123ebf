"""xAPI: statements from an LMS (POST, PUT), read back one at a time (GET), and About.

Every statement belongs to the association of the token that sent it; its id is unique in
that association only, and a token reads back only its association's statements.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import Response, jsonify, request
from pydantic import BaseModel

from competencies.reevaluate import after_commit
from courses import access, completions, corrections
from courses.blueprint import xapi_bp
from courses.errors import CourseError
from courses.lms_accounts import LearnerFinder
from courses.models import Completion, Training, XapiStatement
from courses.xapi import (
    ACCEPTED_VERSIONS,
    VERSION_HEADER,
    Statement,
    Voiding,
    XapiError,
    canonical_hash,
    check_version_header,
    parse_statement,
)
from lms.api import ApiError, json_body, operation
from lms.db import transactional
from lms.models import User, utcnow
from lms.permissions import Actor, acting_association, current_actor

MAX_STATEMENTS = 100
SERVER_VERSION = "1.0.3"
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
# About lists the 1.0.x versions to every client: 1.0.x clients (ADL's TinCanPython among
# them) refuse an About naming a version they do not know. "2.0.0" is added for a client
# that says it speaks 2.0.0.
ABOUT_VERSIONS = tuple(v for v in ACCEPTED_VERSIONS if v.startswith("1.0."))[::-1]
_SINGLE_OPTIONS = {"statementId", "voidedStatementId", "format", "attachments"}


def _bad(where: str, message: str) -> ApiError:
    return ApiError(400, f"{where}: {message}", field=where)


def _learner(statement: Statement, finder: LearnerFinder) -> User:
    """Return the clinician the statement's actor names, or refuse the statement."""
    if statement.actor_email:
        user = finder.by_email(statement.actor_email)
        if user is None:
            raise _bad(
                "actor.mbox", f"{statement.actor_email} is not a clinician of this association"
            )
        return user
    if statement.actor_mbox_sha1:
        user = finder.by_mbox_sha1(statement.actor_mbox_sha1)
        if user is None:
            raise _bad(
                "actor",
                "mbox_sha1sum matches no clinician of this association (it must be the SHA-1 "
                "of 'mailto:' and the address in lower case)",
            )
        return user
    account = statement.actor_account
    assert account is not None  # the parser accepts an Agent only with one identifier
    user = finder.by_account(account)
    if user is None:
        raise _bad(
            "actor",
            f"the account {account.name!r} on {account.home_page} is not linked to a clinician "
            "of this association; a coordinator links it under LMS accounts",
        )
    return user


def _completion(
    actor: Actor, association_id: int, s: Statement, finder: LearnerFinder
) -> Completion:
    clinician = _learner(s, finder)
    training = Training.get_or_none(
        (Training.association == association_id) & (Training.activity_iri == s.activity_id)
    )
    if training is None or not access.may_record(actor, training):
        raise _bad("object.id", f"{s.activity_id} is not mapped to a training you may record")
    hours = training.hours
    if training.hours_from_duration and s.hours is not None:
        if s.hours > training.hours:
            raise _bad("result.duration", f"is longer than the training's {training.hours:g} hours")
        hours = s.hours
    try:
        completion, _ = completions.record_completion(
            actor,
            clinician=clinician,
            training=training,
            completed_on=s.completed_on,
            hours=hours,
            source="xapi",
            external_id=s.id,
        )
    except CourseError as exc:
        where = "actor" if exc.field == "clinician" else exc.field or "statement"
        raise _bad(where, str(exc)) from None
    return completion


@transactional
def receive(
    actor: Actor, bodies: list, *, statement_id: str | None = None
) -> tuple[list[str], list[tuple[int, int]]]:
    """Store and apply statements, all or nothing; return their ids and the (association,
    clinician) pairs whose ledger they changed."""
    association = acting_association("courses:record_completion", actor)
    finder = LearnerFinder(association.id)
    ids: list[str] = []
    written: list[tuple[int, int]] = []
    for position, body in enumerate(bodies):
        try:
            parsed = parse_statement(body, statement_id=statement_id)
            digest = canonical_hash(body)
        except XapiError as exc:
            first = exc.errors[0]
            where = first.where if len(bodies) == 1 else f"{position}.{first.where}"
            message = "; ".join(str(e) for e in exc.errors)
            raise ApiError(400, message, field=where) from None
        if parsed.id in ids:
            raise _bad("id", f"{parsed.id} appears twice in this request")
        ids.append(parsed.id)
        # Ids are unique per association: another association's statement with this id is
        # neither a conflict nor a resend here, and nothing about it is revealed.
        seen = XapiStatement.get_or_none(
            (XapiStatement.association == association) & (XapiStatement.statement_id == parsed.id)
        )
        if seen is not None:
            if seen.hash != digest:
                raise ApiError(
                    409,
                    f"A different statement with the id {parsed.id} was already stored.",
                    field="id",
                )
            continue  # the same statement again: accepted once
        completion = None
        if isinstance(parsed, Voiding):
            target = XapiStatement.get_or_none(
                (XapiStatement.statement_id == parsed.target_id)
                & (XapiStatement.association == association)
            )
            if target is None or target.verb == "voided":
                raise _bad("object.id", "no completion statement with this id was received")
            created_here = (
                target.completion_id and target.completion.external_id == target.statement_id
            )
            # A coordinator may have corrected it since: void what stands for it now.
            current = corrections.latest_version(target.completion) if created_here else None
            if current is not None and current.status != "void":
                completions.void_completion(
                    current,
                    reason=f"Voided by the LMS (statement {parsed.id}).",
                    actor=actor.user,
                )
                written.append((current.association_id, current.clinician_id))
            XapiStatement.update(voided=True).where(XapiStatement.id == target.id).execute()
            verb = "voided"
        else:
            completion = _completion(actor, association.id, parsed, finder)
            written.append((completion.association_id, completion.clinician_id))
            verb = parsed.verb
        XapiStatement.create(
            statement_id=parsed.id,
            association=association,
            hash=digest,
            body=body,
            verb=verb,
            completion=completion,
        )
    return ids, written


def _reevaluate(actor: Actor, written: list[tuple[int, int]]) -> None:
    """Re-evaluate, in a background job, the readiness the committed statements changed."""
    after_commit(written, background=True, owner_id=actor.user.id)


@xapi_bp.route("/statements", methods=["POST", "PUT"])
@operation(
    "Receive xAPI statements: completed/passed completions and voidings",
    capability="courses:record_completion",
    tags=("xapi",),
    query={"statementId": "string"},
    statuses=(400, 409, 413),
    success={"POST": 200, "PUT": 204},
    headers={VERSION_HEADER: {"type": "string", "enum": ["1.0", *ACCEPTED_VERSIONS]}},
    body_schema={
        "description": "One statement, or (POST only) a list of 1 to 100 statements",
        "oneOf": [
            {"type": "object"},
            {"type": "array", "items": {"type": "object"}, "minItems": 1, "maxItems": 100},
        ],
    },
)
def statements():
    try:
        check_version_header(request.headers.get(VERSION_HEADER))
    except XapiError as exc:
        raise ApiError(400, str(exc), field=VERSION_HEADER) from None
    payload = json_body()
    if request.method == "PUT":
        statement_id = request.args.get("statementId")
        if not statement_id:
            raise ApiError(400, "PUT needs the statementId parameter.", field="statementId")
        if not isinstance(payload, dict):
            raise ApiError(400, "PUT takes one statement (a JSON object).", field="statement")
        _, written = receive(current_actor(), [payload], statement_id=statement_id)
        _reevaluate(current_actor(), written)
        response = Response(status=204)
    else:
        bodies = payload if isinstance(payload, list) else [payload]
        if not bodies or len(bodies) > MAX_STATEMENTS:
            raise ApiError(400, f"Send 1 to {MAX_STATEMENTS} statements.", field="statement")
        ids, written = receive(current_actor(), bodies)
        _reevaluate(current_actor(), written)
        response = jsonify(ids)
    response.headers[VERSION_HEADER] = SERVER_VERSION
    return response


def _version() -> None:
    try:
        check_version_header(request.headers.get(VERSION_HEADER))
    except XapiError as exc:
        raise ApiError(400, str(exc), field=VERSION_HEADER) from None


def _iso(when: dt.datetime) -> str:
    return when.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class About(BaseModel):
    version: list[str]
    extensions: dict[str, Any] = {}


@xapi_bp.get("/about")
@operation(
    "xAPI About: the specification versions this endpoint speaks",
    public=True,
    response=About,
    tags=("xapi",),
)
def about():
    versions = list(ABOUT_VERSIONS)
    if (request.headers.get(VERSION_HEADER) or "").strip() == "2.0.0":
        versions.insert(0, "2.0.0")
    return jsonify(About(version=versions).model_dump())


def find_statement(actor: Actor, statement_id: str, *, voided: bool) -> XapiStatement:
    """Return a statement of the actor's association by id, voided or not as asked; or 404.

    As the xAPI specification asks, a voided statement is found only as voided, and any
    other only as not voided; another association's statement is not found.
    """
    association = acting_association("courses:record_completion", actor)
    found = XapiStatement.get_or_none(
        (XapiStatement.association == association)
        & (XapiStatement.statement_id == statement_id)
        & (XapiStatement.voided == voided)
    )
    if found is None:
        kind = "voided statement" if voided else "statement (that is not voided)"
        raise ApiError(404, f"No {kind} with this id was received with your association's tokens.")
    return found


def as_stored(row: XapiStatement) -> dict[str, Any]:
    """Return the statement as the LMS sent it, with the properties an LRS sets.

    `id`, `stored`, `timestamp` (when the LMS gave none) and `version` (1.0.0 when none) are
    set; an `authority` the LMS sent is left out, as this endpoint vouches for none.
    """
    body = {k: v for k, v in row.body.items() if k != "authority"}
    stored = _iso(row.stored_at)
    body["id"] = row.statement_id
    body["stored"] = stored
    body.setdefault("timestamp", stored)
    body.setdefault("version", "1.0.0")
    return body


@xapi_bp.get("/statements")
@operation(
    "Read back one xAPI statement of the token's association by statementId or voidedStatementId",
    capability="courses:record_completion",
    tags=("xapi",),
    query={"statementId": "string", "voidedStatementId": "string"},
    headers={VERSION_HEADER: {"type": "string", "enum": ["1.0", *ACCEPTED_VERSIONS]}},
)
def statement():
    _version()
    args = request.args
    unknown = sorted(set(args) - _SINGLE_OPTIONS)
    given = [name for name in ("statementId", "voidedStatementId") if name in args]
    if len(given) != 1:
        raise ApiError(
            400,
            "Give statementId or voidedStatementId (one of them): this endpoint reads back one "
            "statement at a time and offers no statement queries.",
            field=unknown[0] if unknown else "statementId",
        )
    if unknown:
        raise ApiError(400, f"{unknown[0]} cannot be combined with {given[0]}.", field=unknown[0])
    if args.get("format", "exact") not in ("exact", "ids", "canonical"):
        raise ApiError(400, "format is one of exact, ids, canonical.", field="format")
    if args.get("attachments", "false") != "false":
        raise ApiError(400, "No attachments are kept; leave out attachments.", field="attachments")
    name = given[0]
    try:
        wanted = str(uuid.UUID(args[name]))
    except ValueError:
        raise ApiError(400, f"{name} must be a UUID.", field=name) from None
    if wanted != args[name].lower():
        raise ApiError(400, f"{name} must be a UUID in 8-4-4-4-12 form.", field=name)
    row = find_statement(current_actor(), wanted, voided=name == "voidedStatementId")
    return jsonify(as_stored(row))


@xapi_bp.after_request
def _xapi_headers(response: Response) -> Response:
    """Name the version on every answer; on reading statements, how current they are.

    Every statement is stored in the transaction that answers its POST or PUT, so a read
    sees all statements stored before it began.
    """
    response.headers.setdefault(VERSION_HEADER, SERVER_VERSION)
    if request.endpoint == "courses_xapi.statement":
        response.headers[CONSISTENT_THROUGH] = _iso(utcnow())
    return response
