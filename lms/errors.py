"""One service error type, and the one place every error becomes an HTTP answer.

A service refuses with `ServiceError` (or a plugin's subclass of it): a message for a person,
the input at fault (`field`), the HTTP status it means and a stable `code`. Services never
raise werkzeug exceptions nor call `abort`. The handler registered here answers it, and every
other HTTP error, as JSON `{"error": {"code", "message", "field"}}` on API paths and as an
error page elsewhere; a view that shows a form puts the message on the field with
`form_error`. Error pages say what happened and leak nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.inputs import FieldRefused

# The stable `code` of each HTTP status, used when an error names none.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


class ServiceError(Exception):
    """A request cannot be done as asked.

    `message` is shown to the person (str(error) is the message), `field` names the input at
    fault (None: the request as a whole), `status` is the HTTP status the refusal means (422 a
    bad value, 403 not allowed, 404 not found or not the actor's to see, 409 a conflict) and
    `code` a stable word for programs (default: the status's). Plugins subclass it, keeping
    the constructor `(message, field=None)`; a subclass may set `status` and `code` as class
    attributes.
    """

    status: int = 422
    code: str = ""

    def __init__(
        self,
        message: str = "",
        field: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        self.code = code or type(self).code or STATUS_CODES.get(self.status, "error")


class NotFound(ServiceError):
    """There is no such record, or it is not the actor's to see (never says which)."""

    status = 404


class Forbidden(ServiceError):
    """The actor may not do this."""

    status = 403


class Conflict(ServiceError):
    """The record changed or is in a state that refuses this."""

    status = 409


def form_error(form: Any, exc: ServiceError, default: str | None = None) -> None:
    """Show a service error on the form: on its field, else on `default`, else on the form."""
    for name in (exc.field, default):
        if name and name in form and name not in ("submit", "csrf_token"):
            form[name].errors = [*form[name].errors, exc.message or str(exc)]
            return
    form.form_errors.append(exc.message or str(exc))


# --- the HTTP answers --------------------------------------------------------------------------

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    401: ("Sign in needed", "Please sign in to continue."),
    403: ("Not allowed", "Your account may not do this."),
    404: ("Not found", "There is nothing at this address, or you may not see it."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Conflict", "This changed in the meantime. Reload and try again."),
    410: ("Gone", "This link is no longer valid."),
    413: ("Too large", "The file or form you sent is too large."),
    422: ("Cannot be done", "This request cannot be done as sent. Go back and try again."),
    429: ("Too many requests", "Too many attempts. Wait a few minutes and try again."),
    500: ("Something went wrong", "The error is logged. Please try again later."),
}

# What the API says for an HTTP error that carries no message of its own.
API_MESSAGES = {
    401: "Send a valid API token: Authorization: Bearer <token>.",
    404: "There is nothing at this address.",
    413: "The request body is too large.",
    429: "Too many requests; slow down and retry later.",
}


def is_api_request() -> bool:
    """Tell whether this request is for the API (token auth, JSON errors)."""
    return request.path.startswith(("/api/", "/xapi/"))


def error_response(status: int, message: str, field: str | None = None, code: str = ""):
    """Return the JSON error body every API error uses."""
    body = {
        "error": {
            "code": code or STATUS_CODES.get(status, "error"),
            "message": message,
            "field": field,
        }
    }
    return jsonify(body), status


def api_http_error(exc: HTTPException):
    """Render an HTTP error raised inside an API view as JSON."""
    status = exc.code or 500
    return error_response(
        status,
        API_MESSAGES.get(status, exc.description or "Request failed."),
        getattr(exc, "field", None),
    )


def _render(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    return render_template(
        "lms/error.html", status=status, title=title, message=detail or message
    ), status


def _no_store(result):
    """Keep an error page out of every cache.

    A 404 for an address that matched no route has no endpoint, so the security headers'
    no-store does not reach it; a shared cache would otherwise keep "there is nothing here"
    for a record that exists a moment later, or for someone else's address.
    """
    response = make_response(result)
    response.headers["Cache-Control"] = "no-store"
    return response


def service_error_response(exc: ServiceError):
    """Answer a service error: JSON on API paths, else an error page with its message.

    A 404 (or 401) page shows the standard words, never the message: it must not tell whether
    the record exists.
    """
    if is_api_request():
        message = (
            exc.message
            or API_MESSAGES.get(exc.status)
            or MESSAGES.get(exc.status, MESSAGES[500])[1]
        )
        return _no_store(error_response(exc.status, message, exc.field, exc.code))
    detail = None if exc.status in (401, 404) else exc.message or None
    return _no_store(_render(exc.status, detail))


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    app.register_error_handler(ServiceError, service_error_response)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if is_api_request():
            return _no_store(api_http_error(exc))
        return _no_store(
            _render(400, "The form expired or was sent from elsewhere. Reload it and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if is_api_request():
            return _no_store(api_http_error(exc))
        if isinstance(exc, FieldRefused):  # it names the field, and shows nothing else
            return _no_store(_render(400, exc.description))
        return _no_store(_render(exc.code or 500))

    @app.errorhandler(InternalServerError)
    def _unexpected(exc: InternalServerError):
        # Flask logs the original exception; the page says nothing about it.
        if is_api_request():
            return _no_store(api_http_error(InternalServerError()))
        return _no_store(_render(500))
