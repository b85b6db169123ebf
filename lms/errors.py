"""Error pages that say what happened and leak nothing; JSON on API paths."""

from __future__ import annotations

from flask import Flask, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.api import api_http_error, is_api_request
from lms.inputs import FieldRefused

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    401: ("Sign in needed", "Please sign in to continue."),
    403: ("Not allowed", "Your account may not do this."),
    404: ("Not found", "There is nothing at this address, or you may not see it."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Conflict", "This changed in the meantime. Reload and try again."),
    410: ("Gone", "This link is no longer valid."),
    413: ("Too large", "The file or form you sent is too large."),
    429: ("Too many requests", "Too many attempts. Wait a few minutes and try again."),
    500: ("Something went wrong", "The error is logged. Please try again later."),
}


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


def init_app(app: Flask) -> None:
    """Register the error handlers."""

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
