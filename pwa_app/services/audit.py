"""The audit trail: one call per read or change of household data, and its viewer."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import AuditEvent
from pwa_app.models.base import utcnow
from pwa_app.services import thai_dates
from pwa_app.services.errors import ValidationError


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


def record_each(action, user, objects):
    """Add one audit event per (object type, object id, household id), in one statement."""
    if not objects:
        return
    at, ip = utcnow(), request.remote_addr if has_request_context() else None
    db.session.execute(
        insert(AuditEvent.__table__),
        [
            {
                "at": at,
                "action": action,
                "user_id": getattr(user, "id", None),
                "object_type": object_type,
                "object_id": str(object_id),
                "household_id": household_id,
                "ip": ip,
                "detail": None,
            }
            for object_type, object_id, household_id in objects
        ],
    )


PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # far past any real trail; its offset still fits a database integer


@dataclass
class AuditQuery:
    """Filters of the audit viewer."""

    action: str = ""
    phone: str = ""
    household: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args):
        """Read the filters from a query string; raise ValidationError for bad dates."""
        errors, dates = {}, {}
        for name in ("from", "to"):
            value = (args.get(name) or "").strip()
            try:
                dates[name] = thai_dates.parse_day(value)
            except ValueError:
                errors[name] = thai_dates.DATE_EXAMPLE
        if not errors and dates["from"] and dates["to"] and dates["to"] < dates["from"]:
            errors["to"] = _l("The end of the period is before its start.")
        if errors:
            raise ValidationError(_l("Please correct the period."), errors)
        return cls(
            action=(args.get("action") or "")[:40],
            phone=(args.get("phone") or "")[:20],
            household=(args.get("household") or "")[:20].upper(),
            start=dates["from"],
            end=dates["to"],
            page=min(max(args.get("page", 1, type=int), 1), MAX_PAGE),
        )


def actions():
    """Return the actions the trail holds, for the filter."""
    return db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    ).all()


def search(query, viewer):
    """Return (events, total) for one page of the viewer's organisation's trail, newest first.

    An organisation's trail is what its users did and what happened to its households; events
    of nobody about no household (the app's own) are everyone's.
    """
    from pwa_app.models import Household, User
    from pwa_app.services.scope import org_villages
    from pwa_app.services.summaries import LOCAL_TZ
    from pwa_app.services.validation import normalize_phone

    stmt = select(AuditEvent).where(
        or_(
            AuditEvent.user_id.in_(select(User.id).where(User.org_id == viewer.org_id)),
            AuditEvent.household_id.in_(
                select(Household.id).where(Household.village_id.in_(org_villages(viewer.org_id)))
            ),
            and_(AuditEvent.user_id.is_(None), AuditEvent.household_id.is_(None)),
        )
    )
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.phone:
        stmt = stmt.where(
            AuditEvent.user_id.in_(
                select(User.id).where(User.phone == normalize_phone(query.phone))
            )
        )
    if query.household:
        stmt = stmt.where(
            AuditEvent.household_id.in_(
                select(Household.id).where(Household.code == query.household)
            )
        )
    if query.start:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(query.start, time(), LOCAL_TZ))
    if query.end:
        stmt = stmt.where(
            AuditEvent.at < datetime.combine(query.end + timedelta(days=1), time(), LOCAL_TZ)
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    events = db.session.scalars(
        stmt.options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((query.page - 1) * PAGE_SIZE)
    ).all()
    return events, total
