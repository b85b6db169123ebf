"""API: a clinician's own sessions (list, log) and edits of pending ones."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import jsonify
from pydantic import BaseModel, ConfigDict, Field

from lms.api import ApiError, Id, operation
from lms.models import Association, User
from lms.permissions import acting_association, current_actor
from supervision import rules, services
from supervision.blueprint import api
from supervision.models import RscSession


class SessionOut(BaseModel):
    id: int
    provider_id: int
    provider_name: str
    occurred_on: dt.date
    hours: float
    format: str
    facilitated: bool
    group_size: int | None
    about_giving_rsc: bool
    private_note: str
    status: str
    reject_reason: str
    signed_name: str
    signed_at: dt.datetime | None


class SessionList(BaseModel):
    sessions: list[SessionOut]


class SessionIn(BaseModel):
    """A session as the clinician logs it."""

    model_config = ConfigDict(extra="forbid")

    provider_id: Id
    occurred_on: dt.date
    hours: float
    format: Literal["individual", "group", "peer"] = "individual"
    facilitated: bool = False
    group_size: int | None = None
    about_giving_rsc: bool = False
    private_note: str = Field(default="", max_length=2000)


class SessionPatch(BaseModel):
    """The fields to change; the others keep their values.

    Only `group_size` may be null (no group); the None defaults mark a field left out and
    are never validated, so an explicit null elsewhere is refused (422).
    """

    model_config = ConfigDict(extra="forbid")

    provider_id: Id = None  # type: ignore[assignment]
    occurred_on: dt.date = None  # type: ignore[assignment]
    hours: float = None  # type: ignore[assignment]
    format: Literal["individual", "group", "peer"] = None  # type: ignore[assignment]
    facilitated: bool = None  # type: ignore[assignment]
    group_size: int | None = None
    about_giving_rsc: bool = None  # type: ignore[assignment]
    private_note: str = Field(default=None, max_length=2000)  # type: ignore[assignment]


def _out(s: RscSession) -> dict:
    return SessionOut(
        id=s.id,
        provider_id=s.provider_id,
        provider_name=s.provider.display_name,
        occurred_on=s.occurred_on,
        hours=s.hours,
        format=s.format,
        facilitated=s.facilitated,
        group_size=s.group_size,
        about_giving_rsc=s.about_giving_rsc,
        private_note=s.private_note,
        status=s.status,
        reject_reason=s.reject_reason,
        signed_name=s.signed_name,
        signed_at=s.signed_at,
    ).model_dump(mode="json")


def _mine():
    """Return the actor's own sessions in the token's association (those of another
    association, private notes included, are not this token's to read or change)."""
    return RscSession.select().where(
        (RscSession.clinician == current_actor().user)
        & (RscSession.association == acting_association("supervision:log_own"))
    )


def _provider(provider_id: int, association: Association) -> User:
    provider = User.get_or_none(User.id == provider_id)
    if provider is None or not rules.has_role(provider, association, "rsc_provider"):
        raise ApiError(422, "Choose an RSC provider of your association.", field="provider_id")
    return provider


def _fail(exc: rules.SupervisionError):
    from lms.duties import OwnRecord  # one's own provider: refused (403), not a bad value

    status = 409 if isinstance(exc, rules.SupervisionConflict) else 422
    status = 403 if isinstance(exc, OwnRecord) else status
    field = {"provider": "provider_id"}.get(exc.field or "", exc.field)
    raise ApiError(status, str(exc), field=field) from exc


@api.get("/rsc-sessions")
@operation(
    "List my reflective supervision sessions",
    response=SessionList,
    capability="supervision:log_own",
    tags=("supervision",),
)
def list_sessions():
    rows = _mine().order_by(RscSession.occurred_on.desc(), RscSession.id.desc())
    return jsonify({"sessions": [_out(s) for s in rows]})


@api.post("/rsc-sessions")
@operation(
    "Log a session I received (pending until the provider attests it)",
    body=SessionIn,
    response=SessionOut,
    capability="supervision:log_own",
    tags=("supervision",),
    statuses=(422,),
    success=201,
)
def log_session(body: SessionIn):
    association = acting_association("supervision:log_own")
    provider = _provider(body.provider_id, association)
    data = rules.SessionInput(
        body.occurred_on,
        body.hours,
        body.format,
        body.facilitated,
        body.group_size,
        body.about_giving_rsc,
        body.private_note,
    )
    try:
        row = services.log_session(current_actor().user, association, provider, data)
    except rules.SupervisionError as exc:
        _fail(exc)
    return jsonify(_out(row)), 201


@api.patch("/rsc-sessions/<int:session_id>")
@operation(
    "Change a pending (or rejected) session of mine; attested ones answer 409",
    body=SessionPatch,
    response=SessionOut,
    capability="supervision:log_own",
    tags=("supervision",),
    statuses=(409, 422),
)
def patch_session(session_id: int, body: SessionPatch):
    row = _mine().where(RscSession.id == session_id).first()
    if row is None:
        raise ApiError(404, "There is no such session of yours.")
    changes = body.model_dump(exclude_unset=True)
    provider = (
        _provider(changes["provider_id"], row.association) if "provider_id" in changes else None
    )
    data = rules.SessionInput(
        changes.get("occurred_on", row.occurred_on),
        changes.get("hours", row.hours),
        changes.get("format", row.format),
        changes.get("facilitated", row.facilitated),
        changes.get("group_size", row.group_size),
        changes.get("about_giving_rsc", row.about_giving_rsc),
        changes.get("private_note", row.private_note) or "",
    )
    try:
        row = services.update_session(
            row, data, actor=current_actor().user, provider=provider, allow_attested=False
        )
    except rules.SupervisionError as exc:
        _fail(exc)
    return jsonify(_out(row))
