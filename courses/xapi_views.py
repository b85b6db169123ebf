"""xAPI: POST /xapi/statements and PUT /xapi/statements?statementId= from an LMS."""

from __future__ import annotations

from flask import Response, jsonify, request

from courses import services
from courses.blueprint import xapi_bp
from courses.lms_accounts import LearnerFinder
from courses.models import Completion, Training, XapiStatement
from courses.services import CourseError
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
from lms.models import User
from lms.permissions import Actor, current_actor

MAX_STATEMENTS = 100
SERVER_VERSION = "1.0.3"


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
            "of this association; the clinician links it under My trainings → LMS accounts, "
            "or a coordinator does under LMS accounts",
        )
    return user


def _completion(
    actor: Actor, association_id: int, s: Statement, finder: LearnerFinder
) -> Completion:
    clinician = _learner(s, finder)
    training = Training.get_or_none(
        (Training.association == association_id) & (Training.activity_iri == s.activity_id)
    )
    if training is None or not services.may_record(actor, training):
        raise _bad("object.id", f"{s.activity_id} is not mapped to a training you may record")
    hours = training.hours
    if training.hours_from_duration and s.hours is not None:
        if s.hours > training.hours:
            raise _bad("result.duration", f"is longer than the training's {training.hours:g} hours")
        hours = s.hours
    try:
        completion, _ = services.record_completion(
            actor,
            clinician=clinician,
            training=training,
            completed_on=s.completed_on,
            hours=hours,
            source="xapi",
            external_id=s.id,
        )
    except CourseError as exc:
        raise _bad(exc.field or "statement", str(exc)) from None
    return completion


@transactional
def receive(actor: Actor, bodies: list, *, statement_id: str | None = None) -> list[str]:
    """Store and apply statements, all or nothing; return their ids."""
    association = services.acting_association(actor, "courses:record_completion")
    finder = LearnerFinder(association.id)
    ids: list[str] = []
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
        seen = XapiStatement.get_or_none(XapiStatement.statement_id == parsed.id)
        if seen is not None:
            if seen.hash != digest or seen.association_id != association.id:
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
            current = services.latest_version(target.completion) if created_here else None
            if current is not None and current.status != "void":
                services.void_completion(
                    current,
                    reason=f"Voided by the LMS (statement {parsed.id}).",
                    actor=actor.user,
                )
            XapiStatement.update(voided=True).where(XapiStatement.id == target.id).execute()
            verb = "voided"
        else:
            completion = _completion(actor, association.id, parsed, finder)
            verb = parsed.verb
        XapiStatement.create(
            statement_id=parsed.id,
            association=association,
            hash=digest,
            body=body,
            verb=verb,
            completion=completion,
        )
    return ids


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
        receive(current_actor(), [payload], statement_id=statement_id)
        response = Response(status=204)
    else:
        bodies = payload if isinstance(payload, list) else [payload]
        if not bodies or len(bodies) > MAX_STATEMENTS:
            raise ApiError(400, f"Send 1 to {MAX_STATEMENTS} statements.", field="statement")
        response = jsonify(receive(current_actor(), bodies))
    response.headers[VERSION_HEADER] = SERVER_VERSION
    return response
