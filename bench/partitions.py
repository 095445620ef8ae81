"""What monthly partitions of the visits would change, measured on the national database.

Two copies of the visits are made in a scratch schema: one plain table, as the app has it, and
one partitioned by month of `visited_at` (PostgreSQL's declarative partitioning), with the same
indexes. Then the same work runs on both: a month's figures, a volunteer's month, a month of
visits removed (the retention purge) and new visits written in batches. The schema is dropped
afterwards; the app's own tables are only read.
"""

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

SCHEMA = "bench_partitions"
COLUMNS = (
    "id, client_uuid, household_id, village_id, volunteer_id, visited_at, received_at, kind,"
    " wellbeing, notes, updated_at, deleted_at, payload_hash"
)
INDEXES = (
    ("household_id", "visited_at"),
    ("volunteer_id", "visited_at"),
    ("village_id", "visited_at"),
    ("visited_at",),
)
BATCHES = 200
BATCH = 20


def months(first, last):
    """Yield the first day of every month from first's to last's."""
    month = datetime(first.year, first.month, 1)
    while month <= last:
        yield month
        month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1)


def timed(connection, sql, params=None, runs=5):
    """Run a statement `runs` times; return the median milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def build(connection):
    """Make the two copies; return {table: seconds to load and index it}, the months."""
    first, last = connection.execute(
        "SELECT min(visited_at), max(visited_at) FROM visits"
    ).fetchone()
    spans = list(months(first, last + timedelta(days=62)))
    connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    connection.execute(f"CREATE SCHEMA {SCHEMA}")
    plain, monthly = f"{SCHEMA}.plain", f"{SCHEMA}.monthly"
    connection.execute(f"CREATE TABLE {plain} (LIKE visits INCLUDING DEFAULTS)")
    connection.execute(
        f"CREATE TABLE {monthly} (LIKE visits INCLUDING DEFAULTS) PARTITION BY RANGE (visited_at)"
    )
    for start, end in zip(spans, spans[1:], strict=False):
        connection.execute(
            f"CREATE TABLE {SCHEMA}.m{start:%Y%m} PARTITION OF {monthly}"
            f" FOR VALUES FROM ('{start:%Y-%m-%d}') TO ('{end:%Y-%m-%d}')"
        )
    seconds = {}
    for table, key in ((plain, "id"), (monthly, "id, visited_at")):
        started = time.perf_counter()
        connection.execute(f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM visits")
        connection.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
        for columns in INDEXES:
            connection.execute(f"CREATE INDEX ON {table} ({', '.join(columns)})")
        connection.execute(f"ANALYZE {table}")
        seconds[table] = time.perf_counter() - started
    return seconds, spans


def table_bytes(connection, table):
    """Bytes of a table (each partition, for a partitioned one) with its indexes."""
    return connection.execute(
        "SELECT greatest(pg_total_relation_size(%(t)s::regclass), ("
        " SELECT coalesce(sum(pg_total_relation_size(relid)), 0)"
        " FROM pg_partition_tree(%(t)s::regclass)))",
        {"t": table},
    ).fetchone()[0]


def newest_partition_bytes(connection, spans):
    """Bytes of the partition that takes today's visits, with its indexes."""
    today = datetime.now(UTC).replace(tzinfo=None)
    month = max(start for start in spans if start <= today)
    return connection.execute(
        "SELECT pg_total_relation_size(%s::regclass)", (f"{SCHEMA}.m{month:%Y%m}",)
    ).fetchone()[0]


def reads(connection, spans):
    """Return [(what, plain ms, monthly ms)] for the reads a dashboard and a volunteer do."""
    today = datetime.now(UTC).replace(tzinfo=None)
    month = max(start for start in spans if start <= today)
    volunteer = connection.execute(
        "SELECT volunteer_id FROM visits GROUP BY volunteer_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    plan = (
        (
            "visits per village this month (every village)",
            "SELECT village_id, count(*) FROM {t} WHERE visited_at >= %(start)s"
            " AND deleted_at IS NULL GROUP BY village_id",
        ),
        (
            "one volunteer's visits this month",
            "SELECT id, visited_at FROM {t} WHERE volunteer_id = %(volunteer)s"
            " AND visited_at >= %(start)s ORDER BY visited_at DESC",
        ),
        (
            "a household's last 20 visits",
            "SELECT id, visited_at FROM {t} WHERE household_id = %(household)s"
            " ORDER BY visited_at DESC LIMIT 20",
        ),
    )
    household = connection.execute(
        "SELECT household_id FROM visits WHERE volunteer_id = %s LIMIT 1", (volunteer,)
    ).fetchone()[0]
    params = {"start": month, "volunteer": volunteer, "household": household}
    rows = []
    for what, sql in plan:
        rows.append(
            (
                what,
                timed(connection, sql.format(t=f"{SCHEMA}.plain"), params),
                timed(connection, sql.format(t=f"{SCHEMA}.monthly"), params),
            )
        )
    return rows


def writes(connection, spans):
    """Return (plain ms, monthly ms) per batch of BATCH new visits, committed one by one."""
    template = connection.execute(
        "SELECT household_id, village_id, volunteer_id FROM visits LIMIT %s", (BATCH,)
    ).fetchall()
    next_id = connection.execute("SELECT max(id) FROM visits").fetchone()[0] + 1
    connection.commit()
    results = []
    for table in (f"{SCHEMA}.plain", f"{SCHEMA}.monthly"):
        samples = []
        for _ in range(BATCHES):
            now = datetime.now(UTC).replace(tzinfo=None)
            rows = []
            for household, village, volunteer in template:
                rows.append((next_id, str(uuid.uuid4()), household, village, volunteer, now))
                next_id += 1
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} (id, client_uuid, household_id, village_id,"
                    " volunteer_id, visited_at, received_at, kind, wellbeing, notes)"
                    " VALUES (%s, %s, %s, %s, %s, %s, now(), 'routine', 'green', '')",
                    rows,
                )
            connection.commit()
            samples.append((time.perf_counter() - started) * 1000)
        results.append(statistics.median(samples))
    return tuple(results)


def retention(connection, spans):
    """Return (plain ms, monthly ms, rows) to remove the oldest month's visits."""
    oldest, following = spans[0], spans[1]
    rows = connection.execute(
        f"SELECT count(*) FROM {SCHEMA}.plain WHERE visited_at < %s", (following,)
    ).fetchone()[0]
    started = time.perf_counter()
    connection.execute(f"DELETE FROM {SCHEMA}.plain WHERE visited_at < %s", (following,))
    connection.commit()
    plain = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    connection.execute(f"ALTER TABLE {SCHEMA}.monthly DETACH PARTITION {SCHEMA}.m{oldest:%Y%m}")
    connection.execute(f"DROP TABLE {SCHEMA}.m{oldest:%Y%m}")
    connection.commit()
    monthly = (time.perf_counter() - started) * 1000
    return plain, monthly, rows


def measure(url):
    """Return every figure of the comparison as a dict; the scratch schema is gone after."""
    with psycopg.connect(url) as connection:
        try:
            seconds, spans = build(connection)
            connection.commit()
            figures = {
                "load_seconds": seconds,
                "bytes": {t: table_bytes(connection, t) for t in seconds},
                "newest_partition_bytes": newest_partition_bytes(connection, spans),
                "partitions": len(spans) - 1,
                "reads": reads(connection, spans),
                "writes": writes(connection, spans),
                "retention": retention(connection, spans),
            }
        finally:
            connection.rollback()
            connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            connection.commit()
    return figures
