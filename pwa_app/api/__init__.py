"""The JSON API: JSON in, JSON out, every error included."""

from flask import Blueprint, request
from flask_login import current_user

from pwa_app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below, after the login check


@bp.before_request
def login_then_csrf():
    """Answer 401 to a call without a session before asking for its CSRF token.

    An offline queue needs to tell "log in again" (401) from "renew the token" (400).
    """
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if not current_user.is_authenticated:
            from pwa_app.errors import error_response

            return error_response(401, "login_required")
        csrf.protect()
    return None


from pwa_app.api import (  # noqa: E402,F401  (routes)
    encounters,
    households,
    knowledge,
    me,
    messages,
    openapi,
    push,
    sync,
    visits,
)
