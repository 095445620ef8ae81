"""Writing many rows at once: PostgreSQL's COPY, or one statement per chunk elsewhere."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, func, insert, select, text

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


class Growth:
    """Keep PostgreSQL's plans in step with tables that a long write is growing.

    PostgreSQL plans each foreign-key check once per connection and keeps the plan until the
    referenced table's statistics change. Planned while the table held a handful of rows, the
    check reads the whole table for every row written, and a 75,000-row import that takes
    seconds takes most of an hour. ANALYZE each time the rows have doubled (about a dozen
    times from a few rows to a country's) makes the next checks use the table's index. Other
    databases plan each statement anew, so nothing is done there.

        growth = bulk.Growth(Area, area_paths)
        ...  # write rows
        growth.add(len(rows))
    """

    def __init__(self, *tables):
        self.names = [getattr(table, "__table__", table).name for table in tables]
        self.active = db.session.get_bind().dialect.name == "postgresql"
        # PostgreSQL's own estimate of the rows (-1 before the first ANALYZE): counting a
        # country's million households would cost a tenth of a second every upload.
        rows = (
            db.session.scalar(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
                {"name": self.names[0]},
            )
            if self.active
            else 0
        )
        self.rows = self.analysed = max(int(rows or 0), 1)

    def add(self, rows):
        """Count rows just written to the first table; ANALYZE them all if it has doubled."""
        self.rows += rows
        if self.active and self.rows >= 2 * self.analysed:
            db.session.execute(text("ANALYZE " + ", ".join(self.names)))
            self.analysed = self.rows
