"""REST: POST /api/v1/completions, a batch with per-item results, idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Literal

import peewee as pw
from flask import jsonify, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from competencies.reevaluate import after_commit
from courses import access, completions, corrections, trainings
from courses.blueprint import api
from courses.errors import CourseError
from courses.models import Completion, IdempotencyKey, Session, Training
from lms.api import ApiError, Id, operation
from lms.db import transactional
from lms.models import Membership, User, normalise_email
from lms.permissions import Actor, acting_association, current_actor

MAX_ITEMS = 500


class CompletionItem(BaseModel):
    """One completion to record (verified: the caller is the trainer or the association)."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    training_code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    completed_on: dt.date
    hours: float | None = Field(None, gt=0, allow_inf_nan=False)
    areas: list[Annotated[str, StringConstraints(max_length=100)]] | None = None
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    session_id: Id | None = None


class CompletionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[CompletionItem] = Field(min_length=1, max_length=MAX_ITEMS)


class ItemResult(BaseModel):
    index: int
    status: Literal["created", "exists"]
    completion_id: int
    external_id: str | None = None
    prerequisites_missing: list[str] = []


class BatchResult(BaseModel):
    results: list[ItemResult]


class Problem(Exception):
    def __init__(self, index: int, field: str, message: str):
        super().__init__(message)
        self.index, self.field, self.message = index, field, message


def _resolve(actor: Actor, association_id: int, index: int, item: CompletionItem):
    email = normalise_email(item.email)
    clinician = (
        User.select()
        .join(Membership)
        .where(
            (User.email == email)
            & (Membership.association == association_id)
            & (Membership.role == "clinician")
        )
        .first()
    )
    if clinician is None:
        raise Problem(index, "email", "no clinician with this email in your association")
    training = Training.get_or_none(
        (Training.association == association_id) & (Training.code == item.training_code.strip())
    )
    if training is None or not access.may_record(actor, training):
        raise Problem(index, "training_code", "unknown training, or not one you may record")
    session = None
    if item.session_id is not None:
        session = Session.get_or_none(
            (Session.id == item.session_id) & (Session.training == training)
        )
        if session is None:
            raise Problem(index, "session_id", "not a session of this training")
    try:
        completions.check_completion_values(
            training,
            item.completed_on,
            training.hours if item.hours is None else item.hours,
            item.areas,
        )
    except CourseError as exc:
        field = {"completed_on": "completed_on"}.get(exc.field or "", exc.field or "items")
        raise Problem(index, field, str(exc)) from None
    return clinician, training, session


@transactional
def record_batch(
    actor: Actor, batch: CompletionBatch, *, key: str | None, request_hash: str
) -> tuple[int, dict]:
    """Record a batch all or nothing; return (HTTP status, body), replaying a known key."""
    if key is not None:
        seen = IdempotencyKey.get_or_none(
            (IdempotencyKey.user == actor.user) & (IdempotencyKey.key == key)
        )
        if seen is not None:
            if seen.request_hash != request_hash:
                raise ApiError(
                    409,
                    "This Idempotency-Key was used with a different request.",
                    field="Idempotency-Key",
                )
            return seen.status, seen.response
    association = acting_association("courses:record_completion", actor)
    resolved = []
    problems = []
    for index, item in enumerate(batch.items):
        try:
            resolved.append(_resolve(actor, association.id, index, item))
        except Problem as p:
            problems.append(p)
    if problems:
        first = problems[0]
        raise ApiError(
            422,
            f"{len(problems)} item(s) are invalid; nothing was recorded. Item {first.index}: "
            f"{first.message}.",
            field=f"items.{first.index}.{first.field}",
        )
    flags = trainings.missing_prerequisites([(c.id, t.id) for c, t, _ in resolved])
    results = []
    for index, (item, (clinician, training, session)) in enumerate(
        zip(batch.items, resolved, strict=True)
    ):
        existing = None
        if item.external_id:
            existing = Completion.get_or_none(
                (Completion.association == association)
                & (Completion.source == "api")
                & (Completion.external_id == item.external_id)
                & Completion.live.is_null(False)
            )
        if existing is not None:
            completion, created = existing, False
        else:
            try:
                completion, created = _record(actor, item, clinician, training, session)
            except CourseError as exc:  # @transactional undoes the items recorded before
                field = {"clinician": "email"}.get(exc.field or "", exc.field or "items")
                raise ApiError(
                    exc.status,
                    f"Item {index}: {exc} Nothing was recorded.",
                    field=f"items.{index}.{field}",
                ) from None
        results.append(
            ItemResult(
                index=index,
                status="created" if created else "exists",
                completion_id=completion.id,
                external_id=completion.external_id,
                prerequisites_missing=[t.title for t in flags.get((clinician.id, training.id), [])],
            )
        )
    body = BatchResult(results=results).model_dump()
    if key is not None:
        try:
            with IdempotencyKey._meta.database.atomic():
                IdempotencyKey.create(
                    key=key, user=actor.user, request_hash=request_hash, status=200, response=body
                )
        except pw.IntegrityError:
            raise ApiError(
                409, "The same Idempotency-Key is in use by a concurrent request."
            ) from None
    return 200, body


def _record(
    actor: Actor,
    item: CompletionItem,
    clinician: User,
    training: Training,
    session: Session | None,
) -> tuple[Completion, bool]:
    """Record one item; a concurrent request that recorded the same completion first wins.

    On PostgreSQL two transactions can both find no live row and both insert: the second
    waits on the unique index, then fails once the first commits. Its savepoint (the
    service's own transaction) is rolled back and the row now committed is the answer.
    SQLite never gets here: its IMMEDIATE transactions run one writer at a time.
    """
    try:
        return completions.record_completion(
            actor,
            clinician=clinician,
            training=training,
            completed_on=item.completed_on,
            hours=item.hours,
            areas=item.areas,
            source="api",
            session=session,
            external_id=item.external_id,
        )
    except pw.IntegrityError:
        winner = completions.live_completion(clinician.id, training.id, item.completed_on)
        if winner is None:
            raise
        return winner, False


@api.post("/completions")
@operation(
    "Record training completions (a batch; all or nothing; idempotent)",
    body=CompletionBatch,
    response=BatchResult,
    capability="courses:record_completion",
    tags=("courses",),
    statuses=(409, 422),
)
def post_completions(body: CompletionBatch):
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        key = key.strip()
        if not key or len(key) > 200:
            raise ApiError(
                400, "The Idempotency-Key must be 1 to 200 characters.", field="Idempotency-Key"
            )
    request_hash = hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    actor = current_actor()
    status, payload = record_batch(actor, body, key=key, request_hash=request_hash)
    created = [r["completion_id"] for r in payload.get("results", []) if r["status"] == "created"]
    if created:  # committed: re-evaluate the clinicians' readiness in a background job
        written = Completion.select(Completion.association, Completion.clinician).where(
            Completion.id.in_(created)
        )
        after_commit(list(written.tuples()), background=True, owner_id=actor.user.id)
    return jsonify(payload), status


# --- corrections -------------------------------------------------------------------------------


class CompletionCorrection(BaseModel):
    """New values of a completion (omitted: unchanged) and why; the old one stays, void."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    completed_on: dt.date | None = None
    hours: float | None = Field(None, gt=0, allow_inf_nan=False)
    areas: list[Annotated[str, StringConstraints(max_length=100)]] | None = None


class CompletionVoid(BaseModel):
    """Why the completion is voided; it stays in the clinician's history with the reason."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CompletionOut(BaseModel):
    completion_id: int
    external_id: str | None
    status: Literal["verified", "void"]
    completed_on: dt.date
    hours: float
    areas: list[str]
    replaces: int | None = None


def _out(completion: Completion) -> dict:
    return CompletionOut(
        completion_id=completion.id,
        external_id=completion.external_id,
        status=completion.status,
        completed_on=completion.completed_on,
        hours=completion.hours,
        areas=completion.area_list,
        replaces=completion.replaces_id,
    ).model_dump(mode="json")


def _by_external_id(actor: Actor, external_id: str) -> Completion:
    """Return the live API completion with this external id in the actor's association, or 404."""
    association = acting_association("courses:record_completion", actor)
    completion = Completion.get_or_none(
        (Completion.association == association)
        & (Completion.source == "api")
        & (Completion.external_id == external_id)
        & Completion.live.is_null(False)
    )
    if completion is None:
        raise ApiError(
            404,
            "No recorded completion has this external id in your association.",
            field="external_id",
        )
    if not corrections.may_correct(actor, completion):
        raise ApiError(403, "This token may not correct completions of this training.")
    return completion


def _unprocessable(exc: CourseError) -> ApiError:
    """422 for a bad value; 403 when the caller would correct their own completion."""
    return ApiError(exc.status, str(exc), field=exc.field)


@api.patch("/completions/<external_id>")
@operation(
    "Correct a completion recorded with this external id (the old one stays, void)",
    body=CompletionCorrection,
    response=CompletionOut,
    capability="courses:record_completion",
    tags=("courses",),
    statuses=(422,),
)
def patch_completion(external_id: str, body: CompletionCorrection):
    actor = current_actor()
    completion = _by_external_id(actor, external_id)
    try:
        new = corrections.correct_completion(
            actor,
            completion,
            reason=body.reason,
            completed_on=body.completed_on,
            hours=body.hours,
            areas=body.areas,
        )
    except CourseError as exc:
        raise _unprocessable(exc) from None
    return jsonify(_out(new))


@api.delete("/completions/<external_id>")
@operation(
    "Void a completion recorded with this external id; the reason goes in the JSON body",
    body=CompletionVoid,
    response=CompletionOut,
    capability="courses:record_completion",
    tags=("courses",),
    statuses=(422,),
)
def delete_completion(external_id: str, body: CompletionVoid):
    actor = current_actor()
    completion = _by_external_id(actor, external_id)
    try:
        corrections.void_recorded_completion(actor, completion, reason=body.reason)
    except CourseError as exc:
        raise _unprocessable(exc) from None
    return jsonify(_out(completion))
