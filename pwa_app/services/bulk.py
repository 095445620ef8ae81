"""Writing many rows at once: PostgreSQL's COPY, or one statement per chunk elsewhere."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, func, insert, select

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime

CHUNK = 5000
TIME_TYPES = (DateTime, UTCDateTime)


def next_id(model):
    """Return the id after the highest a table holds (rows written in bulk bring their own)."""
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def naive_utc(value):
    """Store an aware time as the app does (UTCDateTime): naive, in UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def insert_rows(model, rows):
    """Insert many rows into a model's table (or a plain table): PostgreSQL's COPY there, one
    statement per chunk elsewhere."""
    if not rows:
        return
    table = getattr(model, "__table__", model)
    if db.session.get_bind().dialect.name == "postgresql":
        columns = list(rows[0])
        names = ", ".join(table.c[name].name for name in columns)
        # Only the time columns need converting: a million rows make tens of millions of values.
        times = [name for name in columns if isinstance(table.c[name].type, TIME_TYPES)]
        raw = db.session.connection().connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                if times:
                    row = row | {name: naive_utc(row[name]) for name in times}
                copy.write_row([row[name] for name in columns])
        return
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])
