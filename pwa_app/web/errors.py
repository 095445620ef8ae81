"""Error pages in the visitor's language, and JSON errors for the API."""

import sqlite3

import psycopg
from flask import current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from pwa_app.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("We could not find that page. It may have moved, or the link is wrong."),
    405: _l("This page cannot be used that way."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a little and try again."),
    500: _l("Something went wrong on our side. What you saved before is safe; try again."),
    503: _l("The service is busy. Please try again in a moment."),
}
TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Busy"),
}


def wants_json():
    """Tell whether the caller is the JSON API."""
    return request.path.startswith("/api/")


def render_error(status, message=None):
    """Answer with an error page, or JSON under /api/."""
    if wants_json():
        from pwa_app.api.errors import error_response

        return error_response(status, message=message)
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, _l("Error")),
            message=message or MESSAGES.get(status, MESSAGES[400]),
        ),
        status,
    )


def handle_http_error(error):
    """Turn an HTTPException into a page in the visitor's language, keeping its Allow header."""
    status = error.code or 500
    body, code = render_error(status)
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)  # RFC 9110 requires it on a 405
    if status == 429 and getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)
    return body, code, headers


def handle_csrf_error(_error):
    """Explain a missing or stale form token without losing the session."""
    message = _l(
        "This form has expired or was sent from another site. Go back, reload and try again."
    )
    if wants_json():
        from pwa_app.api.errors import error_response

        return error_response(400, "csrf_failed", message)
    return render_error(400, message)


# PostgreSQL's codes for "try again soon": the server shutting down or starting, too many
# connections, a lock or statement timeout, a deadlock, a serialization failure.
POSTGRES_BUSY = {"57P01", "57P02", "57P03", "53300", "55P03", "57014", "40P01", "40001"}


def database_lost(error):
    """Tell whether the connection is gone (PostgreSQL restarting or out of reach)."""
    if error.connection_invalidated:
        return True
    if not isinstance(error.orig, psycopg.OperationalError):
        return False
    code = error.orig.sqlstate
    return code is None or code.startswith("08") or code in POSTGRES_BUSY


def database_unavailable(error):
    """Tell whether a database error means "busy or out of reach for now" rather than a bug."""
    if database_lost(error):
        return True
    message = str(error).lower()
    sqlite_busy = "locked" in message or "busy" in message
    return isinstance(error.orig, sqlite3.OperationalError) and sqlite_busy


def handle_database_error(error):
    """A busy or unreachable database answers 503 with Retry-After; anything else is a 500."""
    if not database_unavailable(error):
        return handle_server_error(error)
    db.session.rollback()
    g.sqlite_immediate = False  # the answer itself only reads, which WAL allows meanwhile
    if database_lost(error):
        # Answer as nobody: the user's language and menu would need the database again.
        # (Flask-Login's own way to set the request's user; logout_user() would end the session.)
        current_app.login_manager._update_request_context_with_user()
    current_app.logger.warning("database unavailable: %s", error)
    response = render_error(503)
    body, status = response
    if hasattr(body, "headers"):
        body.headers["Retry-After"] = "5"
        return body, status
    return body, status, {"Retry-After": "5"}


def handle_server_error(error):
    """Log and roll back what failed, and answer 500 without details."""
    current_app.logger.exception("unhandled error", exc_info=error)
    db.session.rollback()
    return render_error(500)


def register(app):
    """Install the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(Exception, handle_server_error)
