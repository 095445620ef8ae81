"""Figures about periods that have ended, computed once and kept until the past changes.

A past period's counts only change when a late visit arrives (synced days after it happened)
or a visit is edited or deleted; those call forget_since() with the visit's day. Cases are
opened and moved on at the time they are recorded, so a past period's cases stay as they were,
unless their household moves to another village (forget_all(), as when areas move).
"""

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from pwa_app.extensions import db
from pwa_app.models import DashboardCache
from pwa_app.services.cases import today


def remembered(key, period_end, compute):
    """Return compute()'s value for a key; keep it when the period ended before today."""
    if period_end >= today():
        return compute()
    row = db.session.get(DashboardCache, key)
    if row is not None:
        return row.value
    value = compute()
    try:
        with db.session.begin_nested():
            db.session.add(DashboardCache(key=key, period_end=period_end, value=value))
    except IntegrityError:
        pass  # another request kept it a moment ago
    return value


def forget_since(day):
    """Forget every kept figure of a period that ended on or after this day."""
    if day < today():
        db.session.execute(delete(DashboardCache).where(DashboardCache.period_end >= day))


def forget_all():
    """Forget every kept figure (after bulk changes)."""
    db.session.execute(delete(DashboardCache))
