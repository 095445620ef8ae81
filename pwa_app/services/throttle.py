"""Rate limits counted in the database, so every worker and host sees the same counts."""

from datetime import timedelta

from sqlalchemy import delete, func, select

from pwa_app.extensions import db
from pwa_app.models import RateEvent
from pwa_app.models.base import utcnow


def hold(bucket, keys):
    """Take the keys' counters for this transaction, so counting and recording are one step.

    On SQLite a writing request already holds the database's write lock (BEGIN IMMEDIATE).
    On PostgreSQL two requests could otherwise both count four and both record a fifth; a
    transaction-scoped advisory lock per key, taken in sorted order, makes them queue.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({key for key in keys if key}):
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{bucket}:{key}"))))


def count_recent(bucket, key, window):
    """Count the events recorded for (bucket, key) within the window."""
    since = utcnow() - window
    return db.session.scalar(
        select(func.count(RateEvent.id)).where(
            RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at >= since
        )
    )


def is_limited(bucket, keys, limit, window):
    """Tell whether any of the keys has reached the limit in the window."""
    return any(count_recent(bucket, key, window) >= limit for key in keys if key)


def retry_after(bucket, key, window):
    """Return the seconds until the oldest event of (bucket, key) leaves the window (at least 1)."""
    oldest = db.session.scalar(
        select(func.min(RateEvent.at)).where(
            RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at >= utcnow() - window
        )
    )
    if oldest is None:
        return 1
    return max(1, int((oldest + window - utcnow()).total_seconds()) + 1)


def record(bucket, keys):
    """Count one event for each key."""
    now = utcnow()
    db.session.add_all(RateEvent(bucket=bucket, key=key, at=now) for key in keys if key)
    db.session.flush()


def clear(bucket, key):
    """Forget the events of one key, after a success."""
    db.session.execute(delete(RateEvent).where(RateEvent.bucket == bucket, RateEvent.key == key))


def prune(older_than=timedelta(days=1)):
    """Delete events too old to matter to any window."""
    db.session.execute(delete(RateEvent).where(RateEvent.at < utcnow() - older_than))
