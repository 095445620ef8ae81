"""The one error path: every error becomes a page in the visitor's language, or JSON under /api/.

Views and services raise; nothing else catches. Domain errors (services/errors.py) map to
their status here, so no view needs `except NotFound: abort(404)`.
"""

from flask import current_app, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from pwa_app.database import database_lost, database_unavailable
from pwa_app.extensions import db
from pwa_app.services.errors import (
    Conflict,
    DomainError,
    NotFound,
    StaleEdit,
    Throttled,
    TooLarge,
    Unsupported,
    ValidationError,
)

# How long a phone waits before trying a busy server again.
BUSY_RETRY_AFTER = 5

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("We could not find that page. It may have moved, or the link is wrong."),
    405: _l("This page cannot be used that way."),
    409: _l("This was already recorded differently; the first version is kept."),
    410: _l("This is no longer valid: it was withdrawn."),
    413: _l("What you sent is too large."),
    415: _l("This kind of file is not accepted."),
    429: _l("Too many requests. Please wait a little and try again."),
    500: _l("Something went wrong on our side. What you saved before is safe; try again."),
    503: _l("The service is busy. Please try again in a moment."),
}
TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    409: _l("Already recorded"),
    410: _l("Withdrawn"),
    413: _l("Too large"),
    415: _l("Not accepted"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Busy"),
}
CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}
DOMAIN_STATUS = {
    ValidationError: 400,
    NotFound: 404,
    Conflict: 409,
    StaleEdit: 409,
    Throttled: 429,
    TooLarge: 413,
    Unsupported: 415,
}


def wants_json():
    """Tell whether the caller is the JSON API."""
    return request.path.startswith("/api/")


def error_response(status, code=None, message=None, fields=None, headers=None):
    """Answer the API's {"error", "message", "fields"} with the given HTTP status."""
    body = {
        "error": code or CODES.get(status, "error"),
        "message": str(message or MESSAGES.get(status) or HTTP_STATUS_CODES.get(status, "")),
        "fields": {name: str(text) for name, text in (fields or {}).items()},
    }
    return jsonify(body), status, headers or {}


def render_error(status, message=None, code=None, fields=None, headers=None):
    """Answer with an error page, or JSON under /api/ (the request's changes are rolled back
    after the view, unless it asked to keep them)."""
    if wants_json():
        return error_response(status, code, message, fields, headers)
    if request_ctx.url_adapter is None:
        # The request named a host this server does not answer for: no links can be made.
        return (
            str(message or MESSAGES.get(status, MESSAGES[400])),
            status,
            {**(headers or {}), "Content-Type": "text/plain; charset=utf-8"},
        )
    page = render_template(
        "errors/error.html",
        status=status,
        title=TITLES.get(status, _l("Error")),
        message=message or MESSAGES.get(status, MESSAGES[400]),
    )
    return page, status, headers or {}


def failed(status, message=None, code=None, fields=None, headers=None):
    """Answer an error raised during the request: roll its changes back, then say so.

    (A failed statement leaves a PostgreSQL transaction unusable, even to render the page.)
    """
    db.session.rollback()
    return render_error(status, message, code, fields, headers)


def handle_http_error(error):
    """Turn an HTTPException into a page in the visitor's language, keeping its Allow header."""
    status = error.code or 500
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)  # RFC 9110 requires it on a 405
    if status == 429 and getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)
    if status == 401 and wants_json():
        return failed(401, code="login_required")
    return failed(status, headers=headers)


def handle_domain_error(error):
    """Answer a service's refusal that no view turned into a form error."""
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(error, kind)), 400)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Throttled) else {}
    return failed(status, error.describe() or None, error.code, error.fields, headers)


def handle_csrf_error(_error):
    """Explain a missing or stale form token without losing the session."""
    message = _l(
        "This form has expired or was sent from another site. Go back, reload and try again."
    )
    return failed(400, message, code="csrf_failed")


def busy_response():
    """Answer 503 with Retry-After: the phone keeps what it sent and tries again."""
    g.may_write = False  # the answer itself only reads, which WAL allows meanwhile
    return failed(503, headers={"Retry-After": str(BUSY_RETRY_AFTER)})


def handle_database_error(error):
    """A busy or unreachable database answers 503 with Retry-After; anything else is a 500."""
    if not database_unavailable(error):
        return handle_server_error(error)
    db.session.rollback()  # (before asking Flask-Login anything)
    if database_lost(error):
        # Answer as nobody: the user's language and menu would need the database again.
        # (Flask-Login's own way to set the request's user; logout_user() would end the session.)
        current_app.login_manager._update_request_context_with_user()
    current_app.logger.warning("database unavailable: %s", error)
    return busy_response()


def handle_data_error(error):
    """A value the database cannot hold (SQLSTATE class 22, an integer out of range) is the
    caller's input, never a crash: 400. Every input is checked before it reaches the database;
    this answers a path that forgot, and logs it so that it is fixed there."""
    current_app.logger.warning("input the database refused: %s", getattr(error, "orig", error))
    return failed(400)


def handle_server_error(error):
    """Log and roll back what failed, and answer 500 without details."""
    current_app.logger.exception("unhandled error", exc_info=error)
    return failed(500)


def register(app):
    """Install the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(OverflowError, handle_data_error)
    app.register_error_handler(Exception, handle_server_error)
