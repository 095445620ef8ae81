"""PostgreSQL restarted during 150 syncs: nothing acknowledged is lost, nothing is stored twice.

While the database is down the app, left running, answers 503 with Retry-After (never 500);
once it is back, the app's pooled connections are replaced without restarting gunicorn.
Runs on the suite's PostgreSQL (TEST_DATABASE_URL) when it is a local Debian cluster we may
restart; with REQUIRE_POSTGRESQL set, not being able to restart it is a failure.
"""

import json
import os
import pwd
import shutil
import subprocess
import threading
import time
import urllib.error
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Visit
from tests.test_crash import Phone, Server, free_port

SYNCS = 150
RESTART_AT = (40,)  # acknowledged visits before each restart: one, as others may use the server
SYNC_INTERVAL = 0.02  # a steady outbox, so the stream is still flowing when the server stops
RETRY_DELAY = 0.1
DELIVERY_TIMEOUT = 60
READY_TIMEOUT = 60
MIN_AFTER_RESTARTS = 10
LOCAL_HOSTS = (None, "", "localhost", "127.0.0.1", "::1")


def unavailable(reason):
    """Skip, or fail when the run must exercise PostgreSQL (REQUIRE_POSTGRESQL)."""
    if os.environ.get("REQUIRE_POSTGRESQL"):
        pytest.fail(f"cannot restart PostgreSQL: {reason}")
    pytest.skip(f"cannot restart PostgreSQL: {reason}")


def find_cluster(url):
    """Return (version, name) of the local Debian cluster serving url, if we may restart it."""
    if url.host not in LOCAL_HOSTS:
        unavailable(f"the test database is on {url.host}, not this machine")
    for tool in ("pg_ctlcluster", "pg_lsclusters", "pg_isready"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (Debian's postgresql-common)")
    listing = subprocess.run(
        ["pg_lsclusters", "--json"], capture_output=True, text=True, timeout=30
    )
    if listing.returncode != 0:
        unavailable(f"pg_lsclusters failed: {listing.stderr.strip()}")
    port = url.port or 5432
    clusters = [c for c in json.loads(listing.stdout) if int(c["port"]) == port]
    if len(clusters) != 1:
        unavailable(f"pg_lsclusters shows {len(clusters)} clusters on port {port}")
    cluster = clusters[0]
    if os.geteuid() not in (0, cluster["owneruid"]):
        owner = pwd.getpwuid(cluster["owneruid"]).pw_name
        unavailable(f"pg_ctlcluster must run as root or {owner}")
    return str(cluster["version"]), cluster["cluster"]


def wait_until_ready(host, port):
    """Wait until PostgreSQL accepts connections; tell whether it did in time."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        probe = subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], timeout=30)
        if probe.returncode == 0:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def restart_postgres(app):
    """Return a function that restarts the test database's server; leave it running after."""
    url = db.engine.url
    if url.get_backend_name() != "postgresql":
        pytest.skip("restarts PostgreSQL: set TEST_DATABASE_URL to a local cluster")
    version, name = find_cluster(url)
    host, port = url.host or "127.0.0.1", str(url.port or 5432)

    def pg_ctlcluster(action):
        return subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def restart():
        done = pg_ctlcluster("restart")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster restart failed: {done.stderr.strip()}")
        if not wait_until_ready(host, port):
            raise RuntimeError("PostgreSQL did not accept connections after the restart")

    yield restart
    # Later tests need the server, whatever happened here.
    if not wait_until_ready(host, port):
        pg_ctlcluster("start")
        assert wait_until_ready(host, port), f"PostgreSQL {version}/{name} is not running"
    # This process's pooled connections died with the old server; give the session's back
    # first, or it would return to the discarded pool and never be closed.
    db.session.rollback()
    db.engine.dispose()


def test_restarting_postgres_during_syncs_loses_nothing_acknowledged(
    app, restart_postgres, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    phone_number, code = volunteer.phone, household.code
    db.session.commit()
    server = Server(db.engine.url.render_as_string(hide_password=False), free_port())
    phone = Phone(f"http://127.0.0.1:{server.port}")

    items = [
        {
            "client_uuid": str(uuid.uuid4()),
            "household": code,
            "visited_at": datetime.now(UTC).isoformat(),
            "kind": "routine",
            "wellbeing": "green",
            "notes": f"visit {n}",
        }
        for n in range(SYNCS)
    ]
    acknowledged, failures, restarts, restart_errors = [], [], [], []

    def restarter():
        started = time.monotonic()
        try:
            restart_postgres()
        except Exception as error:  # reported by the test, not lost in this thread
            restart_errors.append(repr(error))
        restarts.append((started, time.monotonic()))

    def deliver(item):
        """Send one visit until it is acknowledged; return how many tries that took."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        tries = 0
        while time.monotonic() < deadline:
            tries += 1
            try:
                status = phone.sync(item)
            except urllib.error.HTTPError as error:  # before OSError: it is one too
                failures.append((time.monotonic(), error.code, error.headers.get("Retry-After")))
                error.close()
            except OSError as error:  # refused, reset or timed out: the outbox tries again
                failures.append((time.monotonic(), type(error).__name__, None))
            else:
                assert status in ("created", "duplicate"), status
                acknowledged.append(item["client_uuid"])
                return tries
            time.sleep(RETRY_DELAY)
        pytest.fail(f"not acknowledged within {DELIVERY_TIMEOUT} s; failures: {failures}")

    restart_at, restart = list(RESTART_AT), None

    def restarting():
        return restart is not None and restart.is_alive()

    pending = iter(items)
    tries_after_restarts = []
    try:
        server.start()
        phone.log_in(phone_number)
        for item in pending:  # the stream, with the restarts in the middle of it
            if restart_at and len(acknowledged) >= restart_at[0] and not restarting():
                restart_at.pop(0)
                restart = threading.Thread(target=restarter)
                restart.start()
            deliver(item)
            if not restart_at and not restarting():
                break
            time.sleep(SYNC_INTERVAL)
        # PostgreSQL is back: the same gunicorn must serve at once, on fresh connections.
        tries_after_restarts = [deliver(item) for item in pending]
        assert server.process.poll() is None, "gunicorn stopped"
    finally:
        if restart is not None:
            restart.join(timeout=180)
        if server.process is not None:
            server.kill()

    assert restart_errors == []
    assert len(restarts) == len(RESTART_AT)
    for started, ended in restarts:
        assert any(started <= at <= ended for at, _, _ in failures), "a restart went unnoticed"
    answers = [(status, retry) for _, status, retry in failures if isinstance(status, int)]
    assert all(status == 503 and retry for status, retry in answers), answers
    assert len(tries_after_restarts) >= MIN_AFTER_RESTARTS, "the restarts outlasted the stream"
    assert set(tries_after_restarts) == {1}, failures

    db.session.rollback()
    db.engine.dispose()  # the test's own pooled connections died with the old server
    stored = list(db.session.scalars(select(Visit.client_uuid)))
    assert len(acknowledged) == len(set(acknowledged)) == SYNCS
    assert db.session.scalar(select(func.count(Visit.id))) == SYNCS
    assert sorted(str(uuid.UUID(u)) for u in stored) == sorted(acknowledged)
