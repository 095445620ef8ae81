"""Sync batches recorded as sets answer each item as if it had been sent alone, in order."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Area, AuditEvent, Household, Visit, VisitDay, VisitNeed
from pwa_app.services import household_days, visit_days
from tests.test_sync_api import item

# What an item of a batch can be: new and good, refused by a check, for a household elsewhere,
# carrying a welfare case, a replay of a visit synced before (same or other content), or a
# second send inside the batch of an earlier item's client_uuid (same or other content).
KINDS = (
    "good",
    "bad",
    "elsewhere",
    "with_case",
    "replay",
    "reused",
    "twin",
    "twin_changed",
    "bad_then_fixed",
)


def statuses(response):
    return [(r["status"], r.get("error")) for r in response.json["results"]]


def day_counts():
    """The visits per village and day, and the households per area and day of last visit."""
    visits = {
        (row.day, row.village_id): row.visits
        for row in db.session.scalars(select(VisitDay))
        if row.visits
    }
    return visits, household_days.kept(db.session.connection())


def recount():
    """Count the visits' days and the households' days again from the rows."""
    visit_days.rebuild()
    household_days.rebuild(db.session.connection())


def build_batch(kinds, here, elsewhere, synced):
    """Return (batch, expected answers) for the kinds, with the answers a sequential sync
    of the items one by one gives."""
    batch, expected, stored = [], [], {}
    for n, kind in enumerate(kinds):
        earlier = batch[n - 1] if n and kind.startswith(("twin", "bad_then")) else None
        if kind == "good":
            entry = item(here, notes=f"visit {n}")
        elif kind in ("bad", "bad_then_fixed"):
            entry = item(here, wellbeing="purple")
        elif kind == "elsewhere":
            entry = item(elsewhere)
        elif kind == "with_case":
            entry = item(here, assistance=[{"program": "refer_shelter", "status": "referred"}])
            # (Opened once per batch: a second would meet the first's open case.)
            if any(k == "with_case" for k in kinds[:n]):
                entry["assistance"] = []
        elif kind == "replay":
            entry = dict(synced)
        elif kind == "reused":
            entry = {**synced, "notes": "other content"}
        elif kind == "twin":
            entry = dict(earlier) if earlier else item(here)
        else:  # twin_changed
            entry = {**earlier, "notes": f"changed {n}"} if earlier else item(here)
        batch.append(entry)
        if kind == "bad_then_fixed":
            batch.append({**entry, "wellbeing": "green"})
    prior = {synced["client_uuid"]: synced}
    for entry in batch:
        key = entry["client_uuid"]
        first = stored.get(key) or prior.get(key)
        if first is not None:
            expected.append(("duplicate", None) if first == entry else ("rejected", "conflict"))
        elif entry["wellbeing"] == "purple":
            expected.append(("rejected", "validation_failed"))
        elif entry["household"] == elsewhere.code:
            expected.append(("rejected", "not_found"))
        else:
            stored[key] = entry
            expected.append(("created", None))
    return batch, expected


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=8))
def test_a_mixed_batch_answers_each_item_as_a_sequential_sync_would(api, create_household, kinds):
    here, elsewhere = create_household("NI-01"), create_household("BL-01")
    synced = item(here, notes="synced before")
    first = api({"visits": [synced]}).json["results"][0]
    assert first["status"] == "created"
    before = db.session.scalar(select(func.count(Visit.id)))
    batch, expected = build_batch(kinds, here, elsewhere, synced)

    response = api({"visits": batch})

    assert response.status_code == 200
    assert statuses(response) == expected
    results = response.json["results"]
    ids = {synced["client_uuid"]: first["id"]}
    for entry, result in zip(batch, results, strict=True):
        if result["status"] == "created":
            ids[entry["client_uuid"]] = result["id"]
        elif result["status"] == "duplicate":
            assert result["id"] == ids[entry["client_uuid"]]
    db.session.rollback()
    created = sum(1 for status, _ in expected if status == "created")
    assert db.session.scalar(select(func.count(Visit.id))) == before + created
    kept = day_counts()
    recount()
    assert day_counts() == kept


def test_the_same_client_uuid_twice_in_a_batch_is_one_visit(api, create_household):
    household = create_household("NI-01")
    visit = item(household, needs=["food"])
    results = api({"visits": [visit, visit]}).json["results"]
    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[0]["id"] == results[1]["id"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Visit.id))) == 1
    assert db.session.scalar(select(func.count()).select_from(VisitNeed)) == 1


def test_a_reused_client_uuid_in_a_batch_is_a_conflict_and_the_first_stays(api, create_household):
    household = create_household("NI-01")
    visit = item(household, notes="first")
    results = api({"visits": [visit, {**visit, "notes": "second"}]}).json["results"]
    assert [(r["status"], r.get("error")) for r in results] == [
        ("created", None),
        ("rejected", "conflict"),
    ]
    db.session.rollback()
    assert db.session.scalars(select(Visit.notes)).all() == ["first"]


def test_a_refused_item_corrected_in_the_same_batch_is_recorded(api, create_household):
    household = create_household("NI-01")
    wrong = item(household, wellbeing="purple")
    results = api({"visits": [wrong, {**wrong, "wellbeing": "green"}]}).json["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]


def test_every_new_visit_of_a_batch_has_its_audit_event_and_needs(api, create_household):
    household = create_household("NI-01")
    batch = [item(household, needs=["food", "health"]), item(household), item(household)]
    results = api({"visits": batch}).json["results"]
    db.session.rollback()
    audited = db.session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "visit.create")
    ).all()
    assert sorted(audited) == sorted(str(r["id"]) for r in results)
    visit = db.session.get(Visit, results[0]["id"])
    assert visit.needs == ["food", "health"]
    assert db.session.get(Visit, results[1]["id"]).needs == []


def move(household, village_code):
    """Move a household to another village, as staff would."""
    village = db.session.scalar(select(Area).where(Area.code == village_code))
    db.session.get(Household, household.id).village = village
    db.session.commit()
    return village


def test_a_household_moved_out_of_the_volunteers_areas_between_syncs(api, create_household):
    household = create_household("NI-01")
    synced = item(household)
    assert api({"visits": [synced]}).json["results"][0]["status"] == "created"
    move(household, "BL-01")
    results = api({"visits": [synced, item(household)]}).json["results"]
    # What reached the centre stays delivered; a new visit there is no longer theirs to log.
    assert [(r["status"], r.get("error")) for r in results] == [
        ("duplicate", None),
        ("rejected", "not_found"),
    ]


def test_a_visit_counts_in_the_village_its_household_is_in_when_it_is_recorded(
    client, login_as, create_household
):
    from tests.conftest import csrf_from

    login_as("volunteer", areas=["NI"])
    token = csrf_from(client.get("/"))
    household = create_household("NI-01")
    first = item(household)
    client.post("/api/v1/visits/sync", json={"visits": [first]}, headers={"X-CSRFToken": token})
    village = move(household, "NI-02")
    second = item(household)
    answer = client.post(
        "/api/v1/visits/sync", json={"visits": [first, second]}, headers={"X-CSRFToken": token}
    ).json["results"]
    assert [r["status"] for r in answer] == ["duplicate", "created"]
    db.session.rollback()
    assert db.session.get(Visit, answer[1]["id"]).village_id == village.id
    kept = day_counts()
    recount()
    assert day_counts() == kept


def test_a_household_moved_while_a_batch_is_recorded(api, create_household, monkeypatch):
    """Another request moves the household between the batch's reading and its insert: the
    visits count where the household was when the batch read it, and the household's last
    visit moves from where the other request left it."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer at a time: nothing commits inside a sync")
    from sqlalchemy.orm import Session

    from pwa_app.services import visits as visits_service

    household = create_household("NI-01")
    elsewhere = db.session.scalar(select(Area.id).where(Area.code == "NI-02"))
    real, moved = visits_service.check_fields, []

    def moving(data, *args, **kwargs):
        if not moved:
            with Session(db.engine) as other:  # another request, as staff would move it
                other.get(Household, household.id).village_id = elsewhere
                other.commit()
            moved.append(True)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(visits_service, "check_fields", moving)
    batch = [item(household), item(household)]
    results = api({"visits": batch}).json["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    db.session.rollback()
    # Recorded where the household was when the batch read it, and counted there.
    villages = set(db.session.scalars(select(Visit.village_id)))
    assert villages == {household.village_id}
    db.session.expire_all()
    assert db.session.get(Household, household.id).village_id == elsewhere
    kept = day_counts()
    recount()
    assert day_counts() == kept


def test_a_batch_moves_each_households_last_visit_to_its_newest(api, create_household):
    here, there = create_household("NI-01"), create_household("NI-01")
    now = datetime.now(UTC).replace(microsecond=0)
    batch = [
        item(here, visited_at=(now - timedelta(hours=3)).isoformat()),
        item(there, visited_at=(now - timedelta(hours=1)).isoformat()),
        item(here, visited_at=(now - timedelta(hours=2)).isoformat()),
    ]
    api({"visits": batch})
    db.session.expire_all()
    assert db.session.get(Household, here.id).last_visit_at == now - timedelta(hours=2)
    assert db.session.get(Household, there.id).last_visit_at == now - timedelta(hours=1)
    # An older visit synced late does not move it back.
    api({"visits": [item(here, visited_at=(now - timedelta(days=3)).isoformat())]})
    db.session.expire_all()
    assert db.session.get(Household, here.id).last_visit_at == now - timedelta(hours=2)


def test_a_uuid_spelled_otherwise_is_the_same_visit(api, create_household):
    household = create_household("NI-01")
    visit = item(household)
    spelled = {**visit, "client_uuid": uuid.UUID(visit["client_uuid"]).hex.upper()}
    results = api({"visits": [visit, spelled]}).json["results"]
    assert [r["status"] for r in results] == ["created", "duplicate"]


def test_racing_batches_sharing_visits_in_other_orders_make_one_row_each(
    migrated_app, app, create_user, create_household
):
    """Phones retrying the same visits in other orders, at once: no deadlock, no double."""
    import random
    import threading

    from tests.conftest import AuthActions, csrf_from

    user = create_user("volunteer", areas=["NI-01"])
    households = [create_household("NI-01") for _ in range(4)]
    visits = [item(households[n % 4], needs=["food"]) for n in range(12)]
    senders = []
    for seed in range(4):
        client = migrated_app.test_client()
        AuthActions(client).login(user.phone)
        batch = list(visits)
        random.Random(seed).shuffle(batch)
        senders.append((client, csrf_from(client.get("/")), batch))
    answers, barrier = [], threading.Barrier(len(senders))

    def send(client, token, batch):
        with migrated_app.app_context():
            barrier.wait()
            response = client.post(
                "/api/v1/visits/sync", json={"visits": batch}, headers={"X-CSRFToken": token}
            )
            answers.append((response.status_code, response.json["results"]))
            db.session.remove()

    threads = [threading.Thread(target=send, args=sender) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [200] * len(senders)
    created = [
        r["client_uuid"] for _, results in answers for r in results if r["status"] == "created"
    ]
    assert sorted(created) == sorted(v["client_uuid"] for v in visits)
    assert {r["status"] for _, results in answers for r in results} == {"created", "duplicate"}
    db.session.rollback()
    assert db.session.scalar(select(func.count(Visit.id))) == len(visits)
    kept = day_counts()
    recount()
    assert day_counts() == kept


def test_volunteers_of_one_province_syncing_at_once_share_its_rows_without_deadlock(
    migrated_app, app, create_user, create_household, create_visit
):
    """An evening: volunteers of six villages send their day's visits at once. Every batch
    moves households from their earlier days to today on the rows of the same subdistricts,
    district and province; none waits forever on another, and the counts stay a recount's."""
    import random
    import threading

    from tests.conftest import AuthActions, csrf_from

    rng = random.Random(11)
    senders = []
    for village in ("NI-01", "NI-02", "NI-03", "BL-01", "BL-02", "BL-03"):
        user = create_user("volunteer", areas=[village])
        homes = [create_household(village) for _ in range(5)]
        for home in homes[:4]:
            create_visit(home, user, days_ago=rng.choice((1, 2, 3, 9, 40)))
        batch = [item(home) for home in homes for _ in range(2)]
        rng.shuffle(batch)
        client = migrated_app.test_client()
        AuthActions(client).login(user.phone)
        senders.append((client, csrf_from(client.get("/")), batch))
    answers, barrier = [], threading.Barrier(len(senders))

    def send(client, token, batch):
        with migrated_app.app_context():
            barrier.wait()
            for half in (batch[:5], batch[5:]):
                response = client.post(
                    "/api/v1/visits/sync", json={"visits": half}, headers={"X-CSRFToken": token}
                )
                answers.append(response.status_code)
            db.session.remove()

    threads = [threading.Thread(target=send, args=sender) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [200] * 2 * len(senders)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Visit.id))) == 6 * (4 + 10)
    kept = day_counts()
    recount()
    assert day_counts() == kept
