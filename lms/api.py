"""The API base: token auth, JSON errors, request validation and the OpenAPI document."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from apispec import APISpec
from flask import Blueprint, Flask, current_app, g, jsonify, request
from pydantic import BaseModel, Field, ValidationError

from lms.accounts import find_api_token
from lms.errors import (  # noqa: F401 (is_api_request, api_http_error: re-exported)
    STATUS_CODES,
    ServiceError,
    api_http_error,
    error_response,
    is_api_request,
)
from lms.inputs import MAX_ID, ControlCharacter, find_control
from lms.models import utcnow
from lms.permissions import current_actor

F = TypeVar("F", bound=Callable[..., Any])
# A record id in a request body: beyond what a database column holds it is refused (422).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

bp = Blueprint("api", __name__)


class ApiError(ServiceError):
    """An API answer that is an error; rendered as {"error": {code, message, field}}."""

    def __init__(self, status: int, message: str, *, field: str | None = None, code: str = ""):
        super().__init__(message, field, status=status, code=code or None)


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class Error(BaseModel):
    """Every API error has this shape."""

    error: ErrorBody


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about one view."""

    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    capability: str | None = None
    public: bool = False
    tags: tuple[str, ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    statuses: tuple[int, ...] = ()
    success: int | dict[str, int] = 200
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    body_schema: dict[str, Any] | None = None

    def success_status(self, method: str) -> int:
        """Return the status of a successful answer to this HTTP method."""
        if isinstance(self.success, int):
            return self.success
        return self.success.get(method, 200)


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def json_body(limit: int | None = None) -> Any:
    """Return the parsed JSON body or raise an ApiError saying what is wrong."""
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON with Content-Type: application/json.")
    data = request.get_data(cache=True)
    if not data:
        raise ApiError(400, "The request body is empty; send a JSON document.")
    try:
        payload = request.get_json(force=True)
    except Exception as exc:  # werkzeug raises BadRequest with the decoder's message
        raise ApiError(400, "The body is not valid JSON.") from exc
    found = find_control(payload)
    if found is not None:
        where, char = found
        raise ApiError(400, ControlCharacter(where, char).description, field=where)
    return payload


def operation(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    capability: str | None = None,
    public: bool = False,
    tags: tuple[str, ...] = (),
    query: dict[str, str] | None = None,
    statuses: tuple[int, ...] = (),
    success: int | dict[str, int] = 200,
    headers: dict[str, dict[str, Any]] | None = None,
    body_schema: dict[str, Any] | None = None,
) -> Callable[[F], F]:
    """Declare an API view: auth, capability, validated body (passed as `body=`), docs.

    `success` is the status of a successful answer (per method when a mapping, default 200);
    `headers` documents required request headers (name: JSON schema); `body_schema`
    documents a JSON body the view reads itself with `json_body`.
    """
    op = Operation(
        summary,
        body,
        response,
        capability,
        public,
        tags,
        query or {},
        statuses,
        success,
        headers or {},
        body_schema,
    )

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not public:
                actor = current_actor()
                if actor is None:
                    raise ApiError(401, "Send a valid API token: Authorization: Bearer <token>.")
                if capability and not actor.can(capability):
                    raise ApiError(403, f"This token may not {capability.split(':', 1)[1]}.")
            if body is not None:
                payload = json_body()
                try:
                    kwargs["body"] = body.model_validate(payload)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    raise ApiError(
                        422, first["msg"], field=_field_path(first["loc"]) or None
                    ) from exc
            return view(*args, **kwargs)

        wrapper.openapi = op  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    role: str | None
    association: str | None


@bp.get("/me")
@operation("Who the token belongs to", response=Me, tags=("platform",))
def me():
    actor = current_actor()
    token = actor.token
    return jsonify(
        Me(
            id=actor.user.id,
            email=actor.user.email,
            display_name=actor.user.display_name,
            role=token.role if token else None,
            association=token.association.code if token and token.association_id else None,
        ).model_dump()
    )


@bp.get("/openapi.json")
@operation("This document", public=True, tags=("platform",))
def openapi():
    if "lms.openapi" not in current_app.extensions:
        current_app.extensions["lms.openapi"] = build_spec(current_app)
    return jsonify(current_app.extensions["lms.openapi"])


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def build_spec(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI 3 document from every declared operation in the URL map."""
    spec = APISpec(
        title="IMH Pathway API",
        version="1",
        openapi_version="3.1.0",
        info={"description": "Tokens: create one on your account page; send it as a Bearer token."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas.setdefault(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error_ref = ref(Error)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "openapi", None)
        if op is None:
            continue
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        parameters = [
            {
                "name": m.group(2),
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if m.group(1) == "int" else "string"},
            }
            for m in _CONVERTER.finditer(rule.rule)
        ]
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
            for name, kind in op.query.items()
        ]
        parameters += [
            {"name": name, "in": "header", "required": True, "schema": schema}
            for name, schema in op.headers.items()
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            ok = op.success_status(method)
            answer = {"schema": ref(op.response) if op.response else {"type": "object"}}
            responses: dict[str, Any] = {
                str(ok): {"description": "No content"}
                if ok == 204
                else {"description": "OK", "content": {"application/json": answer}}
            }
            # 400 and 404 can answer anything: a query or path value holding a control
            # character is refused before the view, and an unknown record is not found.
            for status in sorted({*op.statuses, *((401, 403) if not op.public else ()), 400, 404}):
                responses[str(status)] = {
                    "description": STATUS_CODES.get(status, "error"),
                    "content": {"application/json": {"schema": error_ref}},
                }
            if op.body is not None or op.body_schema is not None:
                for status in (400, 413, 415, 422) if op.body is not None else (400, 413, 415):
                    responses[str(status)] = {
                        "description": STATUS_CODES[status],
                        "content": {"application/json": {"schema": error_ref}},
                    }
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "tags": list(op.tags),
                "parameters": parameters,
                "responses": responses,
            }
            if not op.public:
                entry["security"] = [{"bearer": []}]
            if op.body is not None or op.body_schema is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": ref(op.body) if op.body is not None else op.body_schema
                        }
                    },
                }
            paths.setdefault(path, {})[method.lower()] = entry
    for name, schema in sorted(schemas.items()):
        spec.components.schema(name, schema)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def init_app(app: Flask) -> None:
    """Mount the API, authenticate tokens, answer errors as JSON on API paths."""
    from lms.csrf import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp, url_prefix="/api/v1")

    @app.before_request
    def _api_auth() -> Any:
        if not is_api_request():
            return None
        request.max_content_length = app.config["API_MAX_JSON_BYTES"]
        if request.content_length and request.content_length > app.config["API_MAX_JSON_BYTES"]:
            return error_response(413, "The request body is too large.")
        header = request.headers.get("Authorization", "")
        g.api_token = None
        if header.lower().startswith("bearer "):
            token = find_api_token(header[7:].strip())
            if token is None:
                return error_response(401, "This API token is not valid or was revoked.")
            g.api_token = token
            if token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() > 60:
                type(token).update(last_used_at=utcnow()).where(
                    type(token).id == token.id
                ).execute()
        return None
