"""A whole country on one PostgreSQL: `make bench-national` (`python -m bench.run national`).

The database is seeded once with `demo seed --national` (a quarter of an hour or so) and kept
between runs, so the pages can be measured again without seeding again; the seed's time is kept
in the database's comment. NATIONAL_DATABASE_URL names another database.
"""

import os
import statistics
import time
from datetime import UTC, datetime

from bench import country, latency, load, partitions

NATIONAL_URL = os.environ.get(
    "NATIONAL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/pwa_national"
)
OBSERVER_TARGET_MS = 500  # the observer's dashboard over every province
ORGANISATION_TARGET_MS = 300  # one organisation's dashboard
BATCH = 20
BATCH_RUNS = 30
# The tables a visit writes to, directly or through what it sets going.
VISIT_TABLES = ("visits", "visit_needs", "assistances", "assistance_events")


def plain_url(url):
    """The database URL as psycopg takes it (no SQLAlchemy driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def ensure_database(url):
    """Create the database if it is missing; raise with a clear message if there is no server."""
    import psycopg

    server, name = plain_url(url).rsplit("/", 1)
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"bench-national needs PostgreSQL at {server} (NATIONAL_DATABASE_URL): {error}"
        ) from error


def seeded_app(url):
    """Return (app, seconds the national seed took, whether it ran now): seed if short."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from pwa_app import create_app
    from pwa_app.cli import progress_bar
    from pwa_app.extensions import db
    from pwa_app.models import Visit
    from pwa_app.services import demo

    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    name = url.rsplit("/", 1)[1]
    with app.app_context():
        upgrade()
        visits = db.session.scalar(select(func.count(Visit.id)))
        if visits >= demo.NATIONAL["visits"]:
            kept = db.session.scalar(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = :name"
                ),
                {"name": name},
            )
            db.session.rollback()
            return app, float(kept) if kept else None, False
        print(f"bench: seeding a national database ({demo.NATIONAL}) …", flush=True)
        started = time.perf_counter()
        demo.seed(**demo.NATIONAL, progress=progress_bar)
        db.session.commit()
        demo.tidy()
        seconds = time.perf_counter() - started
        db.session.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{seconds:.0f}'"))
        db.session.commit()
        db.engine.dispose()
    return app, seconds, True


def volunteer_households(app, phone):
    """Return the codes of the households a volunteer looks after."""
    from sqlalchemy import select

    from pwa_app.extensions import db
    from pwa_app.models import Household, User

    with app.app_context():
        codes = list(
            db.session.scalars(
                select(Household.code)
                .join(User, User.id == Household.assigned_volunteer_id)
                .where(User.phone == phone, Household.archived.is_(False))
                .order_by(Household.code)
            )
        )
        db.engine.dispose()
    return codes


def batch_sync(app, phone, codes, size=BATCH, runs=BATCH_RUNS):
    """Return (p50, p95) ms of a sync of `size` new visits, in-process, after warming up."""
    client = app.test_client()
    latency.log_in(client, phone, "demo-2569")
    csrf = latency.CSRF.search(client.get("/").get_data(as_text=True)).group(1)

    def sync():
        items = latency.visit_items(codes, size)
        started = time.perf_counter()
        answer = client.post(
            "/api/v1/visits/sync", json={"visits": items}, headers={"X-CSRFToken": csrf}
        )
        spent = (time.perf_counter() - started) * 1000
        assert all(r["status"] == "created" for r in answer.json["results"]), answer.json
        return spent

    for _ in range(3):
        sync()
    samples = sorted(sync() for _ in range(runs))
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def remove_visits_since(app, since):
    """Remove the visits received since then (the syncs' own) and what they wrote, so that
    every run measures the same database: tens of thousands of visits to a few households
    would otherwise slow that volunteer's pages in the next run. Their audit events stay, as
    history does (and so the audit trail's bytes per event stay true). Return how many."""
    from collections import Counter

    from sqlalchemy import delete, select

    from pwa_app.extensions import db
    from pwa_app.models import Household, User, Visit, VisitNeed
    from pwa_app.services import memo, visit_days, visits
    from pwa_app.services.summaries import LOCAL_TZ

    with app.app_context():
        rows = db.session.execute(
            select(
                Visit.id,
                Visit.visited_at,
                Visit.village_id,
                Visit.household_id,
                Visit.volunteer_id,
                Visit.deleted_at,
            ).where(Visit.received_at >= since)
        ).all()
        live = [row for row in rows if row.deleted_at is None]
        changes = Counter((r.visited_at.astimezone(LOCAL_TZ).date(), r.village_id) for r in live)
        visit_days.add_many({key: -count for key, count in changes.items()})
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            db.session.execute(delete(VisitNeed).where(VisitNeed.visit_id.in_(chunk)))
            db.session.execute(delete(Visit).where(Visit.id.in_(chunk)))
        for household_id, volunteer_id in {(row.household_id, row.volunteer_id) for row in rows}:
            visits.refresh_last_visit(
                db.session.get(Household, household_id), db.session.get(User, volunteer_id)
            )
        db.session.commit()
        memo.forget_all()
        db.engine.dispose()
    return len(ids)


def sizes(app):
    """Return (database bytes, visits, [(table, bytes with indexes, rows)] largest first)."""
    from sqlalchemy import func, select, text

    from pwa_app.extensions import db
    from pwa_app.models import Visit

    with app.app_context():
        total = db.session.scalar(text("SELECT pg_database_size(current_database())"))
        visits = db.session.scalar(select(func.count(Visit.id)))
        tables = db.session.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid), c.reltuples::bigint"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'r' AND n.nspname = 'public'"
                " ORDER BY 2 DESC LIMIT 10"
            )
        ).all()
        db.engine.dispose()
    return total, visits, [tuple(row) for row in tables]


def audit_trail(app):
    """Return (audit events, their bytes with indexes)."""
    from sqlalchemy import text

    from pwa_app.extensions import db

    with app.app_context():
        counted = db.session.execute(
            text("SELECT count(*), pg_total_relation_size('audit_events') FROM audit_events")
        ).one()
        db.engine.dispose()
    return tuple(counted)


def target_for(who, page):
    """The p50 target of a dashboard, or None for other pages."""
    if not page.startswith("dashboard"):
        return None
    return OBSERVER_TARGET_MS if who.startswith("observer") else ORGANISATION_TARGET_MS


def section(_folder):
    """Pages, a batch sync and sizes on a national-size PostgreSQL database."""
    from pwa_app.services import demo

    app, seed_seconds, seeded_now = seeded_app(NATIONAL_URL)
    people = country.people(app)
    rows = []
    for who, page, p50, p95, size, _dashboard in country.measure(app, people):
        target = target_for(who, page)
        verdict = "" if target is None else f"{'yes' if p50 < target else 'NO'} (< {target})"
        rows.append(f"| {who} | {page} | {p50:.0f} | {p95:.0f} | {size:,.0f} | {verdict} |")
    codes = volunteer_households(app, people["volunteer"])
    syncs_began, audit_before = datetime.now(UTC), audit_trail(app)
    print(f"bench: batch syncs of {BATCH} visits in-process …", flush=True)
    batch_p50, batch_p95 = batch_sync(app, people["volunteer"], codes)
    print("bench: sync load with wrk on the national database …", flush=True)
    load_rows = [
        f"| {workers} | {what} | {rps:,.0f} | {rps * batch:,.0f} | {p50:.0f} | {p95:.0f} |"
        for workers, what, batch, rps, _ratio, p50, p95 in load.measure(
            NATIONAL_URL, codes, people["volunteer"], "demo-2569"
        )
        if batch or what.startswith("sync")
    ]
    # What the syncs' audit events took, per event: the trail's growth over the events added.
    audit_after = audit_trail(app)
    audit_row = (audit_after[1] - audit_before[1]) / max(audit_after[0] - audit_before[0], 1)
    remove_visits_since(app, syncs_began)
    print("bench: the visits copied into monthly partitions …", flush=True)
    split = partitions.measure(plain_url(NATIONAL_URL))
    total, visits, tables = sizes(app)
    per_million = total / (visits / 1_000_000)
    visit_bytes = sum(size for name, size, _rows in tables if name in VISIT_TABLES)
    table_rows = "\n".join(
        f"| {name} | {rows:,} | {size / 2**30:.2f} |" for name, size, rows in tables
    )
    seed_line = (
        f"Seeded in {seed_seconds / 60:.0f} minutes"
        + (" (this run)" if seeded_now else " (when the database was made; kept since)")
        if seed_seconds
        else "Seeded before its time was kept"
    )
    sizes_given = ", ".join(f"`--{name} {value:,}`" for name, value in demo.NATIONAL.items())
    page_rows = "\n".join(rows)
    load_table = "\n".join(load_rows)
    return f"""## A whole country on one PostgreSQL (`make bench-national`)

`demo seed --national`:
{sizes_given}
on PostgreSQL, with COPY and the visits' secondary indexes built once after the load.
{seed_line}. The database is kept between runs (its URL: `NATIONAL_DATABASE_URL`, default
`pwa_national` on 127.0.0.1), so a rerun measures without seeding; the batches below add
their visits to it. Not part of `make bench`.

Pages: each requested 3 times to warm up and 20 times measured, in-process (Flask's test
client, HTML rendered, no network). Targets: the observer's dashboard over every province under
{OBSERVER_TARGET_MS} ms p50, one organisation's under {ORGANISATION_TARGET_MS} ms p50.

| who | page | p50 ms | p95 ms | KB | target |
|---|---|---|---|---|---|
{page_rows}

Where the dashboards' time goes at this size, and what would bring them within their targets:
[`scaling.md`](scaling.md), "The dashboards at national size".

A sync of {BATCH} new visits by that volunteer ({len(codes)} households), in-process:
p50 {batch_p50:.0f} ms, p95 {batch_p95:.0f} ms ({BATCH_RUNS} batches after 3 to warm up).

The same syncs under gunicorn, loaded by wrk on loopback (2 threads, {load.CONNECTIONS}
connections, {load.DURATION} s each):

| workers | request | requests/s | visits/s | p50 ms | p95 ms |
|---|---|---|---|---|---|
{load_table}

Size: {total / 2**30:.1f} GiB for {visits:,} visits: **{per_million / 2**30:.2f} GiB per million
visits** with everything else the country holds (households, members, users, areas), of which
{visit_bytes / (visits / 1_000_000) / 2**30:.2f} GiB is the visits and what they write
({", ".join(VISIT_TABLES)}). The seed writes no audit event for its visits; a synced visit
writes one, {audit_row:,.0f} bytes with its indexes (the trail's growth over the events this
run's syncs added), so
{audit_row * 1_000_000 / 2**30:.2f} GiB more per million synced visits. The largest tables,
indexes included:

| table | rows (estimate) | GiB |
|---|---|---|
{table_rows}

{partition_text(split)}"""


def partition_text(split):
    """The comparison of plain and monthly-partitioned visits, as a report's paragraphs."""
    plain, monthly = f"{partitions.SCHEMA}.plain", f"{partitions.SCHEMA}.monthly"
    current = split["newest_partition_bytes"] / 2**20
    purge_plain, purge_monthly, purged = split["retention"]
    rows = [
        ("load and index", *(f"{split['load_seconds'][t]:.0f} s" for t in (plain, monthly))),
        (
            "size with indexes",
            f"{split['bytes'][plain] / 2**30:.2f} GiB",
            f"{split['bytes'][monthly] / 2**30:.2f} GiB (the current month {current:.0f} MiB)",
        ),
        *((what, f"{a:.1f} ms", f"{b:.1f} ms") for what, a, b in split["reads"]),
        (
            f"write a batch of {partitions.BATCH} visits, committed"
            f" (median of {partitions.BATCHES})",
            *(f"{ms:.1f} ms" for ms in split["writes"]),
        ),
        (
            f"remove the oldest month ({purged:,} visits)",
            f"{purge_plain / 1000:.1f} s (`DELETE`; dead rows left for vacuum)",
            f"{purge_monthly:.0f} ms (`DETACH` and `DROP`)",
        ),
    ]
    table = "\n".join(f"| {what} | {a} | {b} |" for what, a, b in rows)
    return f"""### The visits in monthly partitions

The visits copied twice into a scratch schema (`bench/partitions.py`): once as the app keeps
them, once partitioned by the month of `visited_at` ({split["partitions"]} partitions), each
with the same indexes (household, volunteer and village, each with the time; the time). Reads
are the median of 5, warm.

| | plain | monthly partitions |
|---|---|---|
{table}
"""
