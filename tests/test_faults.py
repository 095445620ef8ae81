"""Faults: a busy database answers 503 with Retry-After, never a 500."""

import uuid
from datetime import UTC, datetime

from pwa_app.extensions import db
from tests.conftest import csrf_from
from tests.locks import write_lock_held_elsewhere


def sync_one_visit(client, code, token):
    return client.post(
        "/api/v1/visits/sync",
        json={
            "visits": [
                {
                    "client_uuid": str(uuid.uuid4()),
                    "household": code,
                    "visited_at": datetime.now(UTC).isoformat(),
                    "kind": "routine",
                    "wellbeing": "green",
                }
            ]
        },
        headers={"X-CSRFToken": token},
    )


def test_a_database_busy_elsewhere_makes_the_api_answer_503_with_retry_after(
    client, login_as, create_household
):
    """SQLite: a long write lock. PostgreSQL: a table locked past lock_timeout, not a hang."""
    login_as("volunteer", areas=["NI-01"])
    code = create_household("NI-01").code
    token = csrf_from(client.get("/"))
    with write_lock_held_elsewhere():
        response = sync_one_visit(client, code, token)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json["error"] == "unavailable"
        page = client.get("/households")
        if db.engine.dialect.name == "sqlite":  # every writing request waits for the lock
            assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        else:  # only the visits table is locked: reading goes on
            assert page.status_code == 200
    assert client.get("/households").status_code == 200
