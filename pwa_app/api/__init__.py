"""The JSON API: JSON in, JSON out, every error included."""

from flask import Blueprint, current_app, request
from flask_login import current_user

from pwa_app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, after the login check

# Room for a multipart body's boundaries and small fields beside its file.
MULTIPART_ALLOWANCE = 64 * 1024


def takes_body_up_to(setting):
    """Let a view take a body as large as a setting (plus its form fields) rather than
    MAX_CONTENT_LENGTH; a larger one is refused with 413 before it is read."""

    def mark(view):
        view.body_limit_setting = setting
        return view

    return mark


def allow_larger_body():
    """Apply the view's own body limit, before anything reads the body."""
    view = current_app.view_functions.get(request.endpoint)
    setting = getattr(view, "body_limit_setting", None)
    if setting:
        request.max_content_length = current_app.config[setting] + MULTIPART_ALLOWANCE


@bp.before_request
def login_then_csrf():
    """Answer 401 to a call without a session before asking for its CSRF token.

    An offline queue needs to tell "log in again" (401) from "renew the token" (400).
    """
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if not current_user.is_authenticated:
            from pwa_app.errors import error_response

            return error_response(401, "login_required")
        allow_larger_body()
        csrf.protect()
    return None


from pwa_app.api import (  # noqa: E402,F401  (routes)
    encounters,
    households,
    knowledge,
    me,
    messages,
    openapi,
    photos,
    push,
    sync,
    visits,
)
