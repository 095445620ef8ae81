"""Phones that volunteers or staff have logged in on: they cannot confirm visits as a household.

Logging in leaves a signed, long-lived cookie that logging out does not remove. A household's
confirmation is refused from a logged-in session and from such a phone, so a volunteer cannot
confirm their own visits from their own phone, logged in or not (docs/security.md says what
this proves and what it cannot).
"""

from flask import current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from pwa_app.web.sessions import SESSIONLESS_ENDPOINTS

COOKIE = "worker_device"
SALT = "worker-device"
LIFETIME_SECONDS = 5 * 365 * 24 * 3600


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def mark_worker_device(response, user):
    """Remember on this phone that a volunteer or staff member logged in on it."""
    response.set_cookie(
        COOKIE,
        _serializer().dumps(user.id),
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def remember_worker_device(response):
    """Mark the phone of anyone logged in who has no mark yet (logged in before marks began)."""
    if request.endpoint in SESSIONLESS_ENDPOINTS or COOKIE in request.cookies:
        return response
    if current_user.is_authenticated:
        mark_worker_device(response, current_user)
    return response


def worker_on_this_device():
    """Return the id of the last volunteer or staff member who logged in on this phone, or None."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        return _serializer().loads(value)
    except BadSignature:
        return None
