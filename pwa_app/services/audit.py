"""The audit trail: one call per read or change of household data."""

from flask import has_request_context, request

from pwa_app.extensions import db
from pwa_app.models import AuditEvent


def record(action, user=None, obj=None, household=None, **detail):
    """Add an audit event; the caller's transaction commits it."""
    event = AuditEvent(
        action=action,
        user_id=getattr(user, "id", None),
        object_type=type(obj).__name__.lower() if obj is not None else None,
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) else None,
        household_id=getattr(household, "id", None),
        ip=request.remote_addr if has_request_context() else None,
        detail=detail or None,
    )
    db.session.add(event)
    return event
