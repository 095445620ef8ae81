"""POST /api/v1/visits/sync: every visit delivered exactly once, whatever the network did."""

import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Assistance, Visit
from pwa_app.services import cases
from tests.conftest import csrf_from


def item(household, **overrides):
    """Return one well-formed sync item for a household."""
    return {
        "client_uuid": str(uuid.uuid4()),
        "household": household.code,
        "visited_at": datetime.now(UTC).astimezone().isoformat(),
        "kind": "routine",
        "wellbeing": "green",
        "needs": [],
        "notes": "",
        "location": None,
        "assistance": [],
        **overrides,
    }


def visits_count():
    return db.session.scalar(select(func.count(Visit.id)))


def test_a_batch_is_recorded_with_one_result_per_item_in_order(api, create_household):
    household = create_household("NI-01")
    batch = [item(household), item(household, wellbeing="red", needs=["food"])]
    response = api({"visits": batch})
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["client_uuid"] for r in results] == [b["client_uuid"] for b in batch]
    assert [r["status"] for r in results] == ["created", "created"]
    assert visits_count() == 2
    visit = db.session.get(Visit, results[1]["id"])
    assert (visit.wellbeing, visit.needs, visit.volunteer_id) == ("red", ["food"], api.user.id)


def test_a_replayed_batch_creates_no_duplicate(api, create_household):
    household = create_household("NI-01")
    batch = [item(household), item(household)]
    first = api({"visits": batch}).json["results"]
    again = api({"visits": batch}).json["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert visits_count() == 2


def test_the_same_uuid_with_other_content_is_a_conflict_and_the_first_stays(api, create_household):
    household = create_household("NI-01")
    original = item(household, notes="ครั้งแรก")
    api({"visits": [original]})
    changed = {**original, "notes": "แก้ไขแล้ว"}
    result = api({"visits": [changed]}).json["results"][0]
    assert result["status"] == "rejected"
    assert result["error"] == "conflict"
    assert db.session.scalar(select(Visit.notes)) == "ครั้งแรก"


def test_token_or_code_and_any_offset_are_the_same_visit(api, create_household):
    household = create_household("NI-01")
    by_code = item(household, visited_at="2026-11-25T07:00:00+00:00")
    by_token = {
        **by_code,
        "household": household.qr_token,
        "visited_at": "2026-11-25T14:00:00+07:00",
    }
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    if datetime.now(UTC) - now > timedelta(days=29) or datetime.now(UTC) < now:
        by_code["visited_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
        local = datetime.fromisoformat(by_code["visited_at"]).astimezone(
            datetime.now().astimezone().tzinfo
        )
        by_token["visited_at"] = local.isoformat()
    assert api({"visits": [by_code]}).json["results"][0]["status"] == "created"
    assert api({"visits": [by_token]}).json["results"][0]["status"] == "duplicate"


def test_one_bad_item_never_sinks_the_batch(api, create_household):
    household = create_household("NI-01")
    good_before, good_after = item(household), item(household)
    bad = item(household, wellbeing="purple", visited_at="yesterday")
    results = api({"visits": [good_before, bad, good_after]}).json["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert set(results[1]["fields"]) == {"wellbeing", "visited_at"}
    assert visits_count() == 2


def test_items_missing_fields_are_rejected_field_by_field(api):
    results = api({"visits": [{"client_uuid": str(uuid.uuid4())}, "not an object", {}]}).json[
        "results"
    ]
    assert results[0]["status"] == "rejected"
    assert set(results[0]["fields"]) == {"household", "visited_at", "kind", "wellbeing"}
    assert results[1]["fields"] == {"item": results[1]["fields"]["item"]}
    assert results[1]["client_uuid"] is None
    assert "client_uuid" in results[2]["fields"]
    assert visits_count() == 0


def test_a_time_without_offset_or_in_the_future_is_rejected(api, create_household):
    household = create_household("NI-01")
    naive = item(household, visited_at="2026-11-25T10:00:00")
    future = item(household, visited_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    results = api({"visits": [naive, future]}).json["results"]
    assert "visited_at" in results[0]["fields"]
    assert "อนาคต" in results[1]["fields"]["visited_at"]


def test_a_household_the_volunteer_may_not_log_is_rejected(api, create_household):
    elsewhere = create_household("BL-01")
    result = api({"visits": [item(elsewhere)]}).json["results"][0]
    assert (result["status"], result["error"]) == ("rejected", "not_found")
    assert "household" in result["fields"]


def test_welfare_entries_travel_with_the_visit(api, create_household):
    household = create_household("NI-01")
    follow_up = (cases.today() + timedelta(days=10)).isoformat()
    visit = item(
        household,
        assistance=[
            {
                "program": "state_welfare_card",
                "status": "applied",
                "note": "ยื่นแล้ว",
                "next_follow_up": follow_up,
            },
            {"program": "refer_shelter", "status": "referred"},
        ],
    )
    assert api({"visits": [visit]}).json["results"][0]["status"] == "created"
    assert sorted(db.session.scalars(select(Assistance.status))) == ["applied", "referred"]
    case = db.session.scalar(select(Assistance).where(Assistance.status == "applied"))
    change = item(household, assistance=[{"case_id": case.id, "status": "received"}])
    assert api({"visits": [change]}).json["results"][0]["status"] == "created"
    db.session.expire_all()
    assert db.session.get(Assistance, case.id).status == "received"


def test_bad_welfare_entries_name_their_place_in_the_item(api, create_household):
    household = create_household("NI-01")
    visit = item(
        household,
        assistance=[
            {"program": "state_welfare_card", "status": "applied"},
            {
                "program": "nothing_like_it",
                "status": "applied",
                "next_follow_up": (cases.today() - timedelta(days=1)).isoformat(),
            },
            {"case_id": 99999, "status": "received"},
        ],
    )
    result = api({"visits": [visit]}).json["results"][0]
    assert result["status"] == "rejected"
    assert set(result["fields"]) == {
        "assistance.1.program",
        "assistance.1.next_follow_up",
        "assistance.2.status",
    }
    assert db.session.scalar(select(func.count(Assistance.id))) == 0


def test_a_body_that_is_not_json_or_not_a_list_is_a_json_error(api):
    response = api("{not json", raw=True)
    assert response.status_code == 400 and response.json["error"] == "invalid_json"
    response = api({"visits": {"a": 1}})
    assert response.status_code == 400 and "visits" in response.json["fields"]
    response = api([1, 2])
    assert response.status_code == 400 and response.json["error"] == "validation_failed"


def test_too_many_items_is_413_and_nothing_is_saved(api, create_household):
    household = create_household("NI-01")
    response = api({"visits": [item(household) for _ in range(51)]})
    assert response.status_code == 413
    assert response.json["error"] == "too_many_items"
    assert visits_count() == 0


def test_a_body_too_large_is_413_json(api):
    response = api({"visits": [], "padding": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.is_json


def test_without_a_session_the_answer_is_401_json(client):
    response = client.post("/api/v1/visits/sync", json={"visits": []})
    assert response.status_code == 401
    assert response.json["error"] == "login_required"


def test_without_a_csrf_token_the_answer_is_400_json(api, create_household):
    household = create_household("NI-01")
    response = api({"visits": [item(household)]}, token="")
    assert response.status_code == 400
    assert response.json["error"] == "csrf_failed"
    assert visits_count() == 0


def test_a_token_from_api_me_renews_the_csrf_after_a_new_session(
    app, client, create_user, create_household
):
    """Days offline: the session cookie is gone but the remember cookie logs back in."""
    user = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    from tests.conftest import AuthActions

    AuthActions(client).login(user.phone)
    old_token = csrf_from(client.get("/"))
    client.delete_cookie("session")  # the browser dropped the session; "remember me" stays
    stale = client.post(
        "/api/v1/visits/sync",
        json={"visits": [item(household)]},
        headers={"X-CSRFToken": old_token},
    )
    assert stale.status_code == 400 and stale.json["error"] == "csrf_failed"
    fresh = client.get("/api/v1/me").json["csrf_token"]
    response = client.post(
        "/api/v1/visits/sync", json={"visits": [item(household)]}, headers={"X-CSRFToken": fresh}
    )
    assert response.json["results"][0]["status"] == "created"


def test_another_user_on_the_same_phone_sends_as_themselves(
    app, client, auth, create_user, create_household
):
    first = create_user("volunteer", areas=["NI-01"])
    second = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    auth.login(second.phone)
    token = csrf_from(client.get("/"))
    client.post(
        "/api/v1/visits/sync", json={"visits": [item(household)]}, headers={"X-CSRFToken": token}
    )
    assert db.session.scalar(select(Visit.volunteer_id)) == second.id != first.id


def test_eight_racing_requests_with_the_same_visit_make_one_row(
    migrated_app, app, create_user, create_household
):
    user = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    payload = {"visits": [item(household)]}
    clients = []
    for _ in range(8):
        client = migrated_app.test_client()
        from tests.conftest import AuthActions

        AuthActions(client).login(user.phone)
        clients.append((client, csrf_from(client.get("/"))))
    statuses, barrier = [], threading.Barrier(len(clients))

    def send(client, token):
        with migrated_app.app_context():
            barrier.wait()
            response = client.post(
                "/api/v1/visits/sync", json=payload, headers={"X-CSRFToken": token}
            )
            statuses.append((response.status_code, response.json["results"][0]["status"]))
            db.session.remove()

    threads = [threading.Thread(target=send, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [(200, "created")] + [(200, "duplicate")] * 7
    db.session.rollback()
    assert visits_count() == 1


def test_a_busy_database_answers_503_with_retry_after(api, create_household, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from pwa_app.services import visits as visits_service

    household = create_household("NI-01")

    def locked(*args, **kwargs):
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(visits_service, "check_fields", locked)
    response = api({"visits": [item(household)]})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json["error"] == "unavailable"


def test_a_database_error_that_is_not_busy_is_a_500_not_a_retry(api, create_household, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from pwa_app.services import visits as visits_service

    household = create_household("NI-01")

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: visits"))

    monkeypatch.setattr(visits_service, "check_fields", broken)
    response = api({"visits": [item(household)]})
    assert response.status_code == 500
    assert response.json["error"] == "server_error"


def test_one_items_unexpected_failure_rejects_it_alone(api, create_household, monkeypatch):
    from pwa_app.services import visits as visits_service

    household = create_household("NI-01")
    real = visits_service.check_fields

    def fragile(data, *args, **kwargs):
        if data.notes == "boom":
            raise KeyError("a bug")
        return real(data, *args, **kwargs)

    monkeypatch.setattr(visits_service, "check_fields", fragile)
    response = api({"visits": [item(household, notes="boom"), item(household)]})
    assert response.status_code == 200
    first, second = response.json["results"]
    assert (first["status"], first["error"]) == ("rejected", "server_error")
    assert second["status"] == "created"
    assert visits_count() == 1


def test_a_failing_badge_check_keeps_the_visits(api, create_household, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from pwa_app.services import recognition

    def failing(*args, **kwargs):
        raise IntegrityError("INSERT INTO awards", {}, Exception("a bug in a rule"))

    monkeypatch.setattr(recognition, "evaluate", failing)
    household = create_household("NI-01")
    response = api({"visits": [item(household), item(household)]})
    assert [r["status"] for r in response.json["results"]] == ["created", "created"]
    db.session.rollback()
    assert visits_count() == 2


def test_a_connection_lost_in_the_badge_check_fails_the_whole_sync(
    api, create_household, monkeypatch
):
    """The database restarting during the badge check takes the request's transaction with it:
    the phone is told to send again (503), not that something broke (500)."""
    from sqlalchemy.exc import OperationalError

    from pwa_app.services import recognition

    def lost(*args, **kwargs):
        raise OperationalError(
            "SAVEPOINT sa_savepoint_1",
            {},
            Exception("terminating connection"),
            connection_invalidated=True,
        )

    monkeypatch.setattr(recognition, "evaluate", lost)
    household = create_household("NI-01")
    response = api({"visits": [item(household)]})
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_a_visit_that_earns_nothing_and_brings_no_photo_costs_eight_statements(
    api, create_household
):
    """A volunteer holding every automatic badge: the visit's insert finds on the way that no
    photo waits and no badge is left to earn, so neither is looked for again."""
    from sqlalchemy import event

    from pwa_app.models import Badge
    from pwa_app.services import recognition

    household = create_household("NI-01", volunteer=api.user)
    for badge in db.session.scalars(select(Badge).where(Badge.kind == "auto")):
        db.session.add(recognition._new_award(badge, api.user))
    db.session.commit()
    sent = []

    def note(_connection, _cursor, statement, *_args):
        if not statement.startswith("BEGIN") and "FROM users" not in statement:
            sent.append(statement)  # the request's own: its transaction and who is asking

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = api({"visits": [item(household)]})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.json["results"][0]["status"] == "created"
    # the household, the insert, its audit event, two last visits, the day and its roll-up,
    # the household's move in the households per day of last visit
    assert len(sent) == 8
    assert [s for s in sent if s.startswith("SELECT")] == sent[:1]
    assert "FROM households" in sent[0]
    if db.engine.dialect.name == "postgresql":  # locked, read and moved in one statement
        (advance,) = [s for s in sent if s.startswith("WITH sent")]
        assert "FOR NO KEY UPDATE OF h" in advance and "UPDATE households" in advance
    assert "INTO household_days" in sent[-1]


def test_a_batch_keeps_the_running_figures_equal_to_a_recount(api, create_household):
    """Per-day counts, the volunteer's and each household's last visit, written once a batch."""
    from pwa_app.models import Household, User, VisitDay
    from pwa_app.services import visit_days

    here, there = create_household("NI-01"), create_household("NI-01")
    now = datetime.now(UTC)
    batch = [
        item(household, visited_at=(now - timedelta(days=days)).isoformat())
        for household, days in ((here, 0), (here, 2), (here, 2), (there, 1))
    ]
    rejected = item(here, wellbeing="purple")
    results = api({"visits": [*batch, rejected]}).json["results"]
    assert [r["status"] for r in results] == ["created"] * 4 + ["rejected"]
    db.session.expire_all()

    def table():
        return {
            (row.day, row.village_id): row.visits
            for row in db.session.scalars(select(VisitDay))
            if row.visits
        }

    kept = table()
    visit_days.rebuild()
    assert kept == table()
    assert sum(kept.values()) == visits_count()
    newest = db.session.scalar(select(func.max(Visit.visited_at)))
    assert db.session.get(User, api.user.id).last_visit_at == newest
    for household in (here, there):
        assert db.session.get(Household, household.id).last_visit_at == db.session.scalar(
            select(func.max(Visit.visited_at)).where(Visit.household_id == household.id)
        )
