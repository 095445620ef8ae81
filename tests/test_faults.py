"""Faults: a busy database answers 503 with Retry-After, never a 500."""

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from pwa_app.extensions import db
from tests.conftest import csrf_from


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")


def test_a_long_write_lock_makes_the_api_answer_503_with_retry_after(
    sqlite_only, client, login_as, create_household
):
    import pwa_app

    login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    token = csrf_from(client.get("/"))
    usual_timeout = pwa_app.SQLITE_BUSY_TIMEOUT_MS
    pwa_app.SQLITE_BUSY_TIMEOUT_MS = 200
    db.engine.dispose()  # new connections take the short busy timeout
    blocker = sqlite3.connect(db.engine.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        response = client.post(
            "/api/v1/visits/sync",
            json={"visits": [{
                "client_uuid": str(uuid.uuid4()), "household": household.code,
                "visited_at": datetime.now(UTC).isoformat(), "kind": "routine",
                "wellbeing": "green"}]},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json["error"] == "unavailable"
        page = client.get("/households")
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        pwa_app.SQLITE_BUSY_TIMEOUT_MS = usual_timeout
        db.engine.dispose()
    assert client.get("/households").status_code == 200


def test_a_table_locked_elsewhere_makes_postgresql_answer_503_not_hang(
    app, client, login_as, create_household
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout")
    import psycopg

    import pwa_app

    login_as("volunteer", areas=["NI-01"])
    code = create_household("NI-01").code
    token = csrf_from(client.get("/"))
    usual_timeout = pwa_app.POSTGRES_LOCK_TIMEOUT_MS
    pwa_app.POSTGRES_LOCK_TIMEOUT_MS = 200
    db.session.close()
    db.engine.dispose()  # new connections take the short lock timeout
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as blocker:
        blocker.execute("LOCK TABLE visits IN EXCLUSIVE MODE")  # a long job elsewhere
        try:
            response = client.post(
                "/api/v1/visits/sync",
                json={"visits": [{
                    "client_uuid": str(uuid.uuid4()), "household": code,
                    "visited_at": datetime.now(UTC).isoformat(), "kind": "routine",
                    "wellbeing": "green"}]},
                headers={"X-CSRFToken": token},
            )
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "5"
            assert client.get("/households").status_code == 200  # reading goes on
        finally:
            blocker.rollback()
            pwa_app.POSTGRES_LOCK_TIMEOUT_MS = usual_timeout
            db.session.close()
            db.engine.dispose()
