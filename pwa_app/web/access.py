"""Who may open a page: the role decorator every blueprint reuses."""

from functools import wraps

from flask import abort
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


def read_only(view):
    """Mark a view that never writes: on SQLite it reads without taking the write lock."""
    view.read_only = True
    return view
