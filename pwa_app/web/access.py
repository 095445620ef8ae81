"""Who may open a page: the role decorator every blueprint reuses."""

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required


def role_required(*roles):
    """Let only logged-in users with one of the roles through; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required("staff", "admin")
admin_required = role_required("admin")
# An observer sees the dashboard's figures and nothing at household level.
dashboard_required = role_required("staff", "admin", "observer")


def read_only(view):
    """Mark a view that never writes: on SQLite it reads without taking the write lock."""
    view.read_only = True
    return view


# An observer's whole app: the dashboard's figures, its own account and the public pages.
OBSERVER_ENDPOINTS = {
    "home.index",
    "dashboard.index",
    "auth.login",
    "auth.logout",
    "auth.change_password",
    "api.me",
    "api.openapi",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",
    "static",
}
OBSERVER_BLUEPRINTS = ("public", "badges", "system")


def keep_observers_to_figures():
    """Refuse an observer every page that is not its own (403): no household-level data."""
    if not current_user.is_authenticated or current_user.role != "observer":
        return None
    if request.endpoint is None or request.endpoint in OBSERVER_ENDPOINTS:
        return None
    if request.blueprint in OBSERVER_BLUEPRINTS:
        return None
    abort(403)
