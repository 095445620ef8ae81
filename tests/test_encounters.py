"""Encounters: a volunteer reports a person found in hardship; staff take it to an outcome."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Agency, Area, AuditEvent, Encounter, EncounterEvent, Notification
from pwa_app.models.base import utcnow
from pwa_app.services import encounters, privacy
from pwa_app.services.errors import NotFound, ValidationError
from tests.conftest import AuthActions, csrf_from

# Near Nong Ian market, Khamcha-i, Mukdahan.
NONG_IAN = (16.595, 104.378)


def item(**overrides):
    """One report as the phone sends it."""
    report = {
        "client_uuid": str(uuid.uuid4()),
        "seen_at": (utcnow() - timedelta(hours=1)).isoformat(),
        "category": "homeless",
        "urgency": "normal",
        "place": "ศาลาหน้าตลาดหนองเอี่ยน",
        "description": "ชายสูงอายุนอนที่ศาลา ไม่มีบัตรประชาชน",
        "location": None,
        "person": {"name": "ลุงสมชาย", "age": 68, "sex": "male"},
        "village": "NI-01",
    }
    return {**report, **overrides}


@pytest.fixture
def send(client, login_as):
    """Log a volunteer of NI-01 in; return a function that posts a batch of reports."""
    user = login_as("volunteer", areas=["NI-01"])
    token = csrf_from(client.get("/?lang=en"))

    def post(*items, raw=None):
        return client.post(
            "/api/v1/encounters/sync",
            data=raw if raw is not None else json.dumps({"encounters": list(items)}),
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        )

    post.user = user
    return post


@pytest.fixture
def located_village(app):
    """Give the village NI-01 its coordinates."""
    village = db.session.scalar(select(Area).where(Area.code == "NI-01"))
    village.lat, village.lon = NONG_IAN
    db.session.commit()
    return village


@pytest.fixture
def agency(app):
    """An agency of the directory."""
    found = Agency(
        name_th=f"ศูนย์คุ้มครองคนไร้ที่พึ่ง {uuid.uuid4().hex[:6]}",
        name_en="Protection Center",
        kind="protection_centre",
        phone="042611364",
    )
    db.session.add(found)
    db.session.commit()
    return found


def reported(user, **overrides):
    """Record a report by a user directly through the service."""
    raw = item(**overrides)
    person = raw.pop("person") or {}
    location = raw.pop("location") or {}
    data = encounters.EncounterInput(
        **raw,
        person_name=person.get("name", ""),
        person_age=person.get("age"),
        person_sex=person.get("sex", ""),
        lat=location.get("lat"),
        lon=location.get("lon"),
    )
    encounter, _created = encounters.report(user, data)
    db.session.commit()
    return encounter


def count(model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Sync -------------------------------------------------------------------------------------


def test_a_synced_report_is_created_once_and_a_replay_is_a_duplicate(send):
    report = item()
    first = send(report)
    assert first.status_code == 200
    assert first.json["results"][0]["status"] == "created"
    again = send(report)
    assert again.json["results"][0] == {**first.json["results"][0], "status": "duplicate"}
    assert count(Encounter) == 1
    encounter = db.session.scalar(select(Encounter))
    assert encounter.status == "new" and encounter.person_age == 68
    assert [e.status_to for e in encounter.events] == ["new"]


def test_eight_racing_senders_of_one_report_make_one_row(migrated_app, app, create_user):
    user = create_user("volunteer", areas=["NI-01"])
    payload = {"encounters": [item()]}
    clients = []
    for _ in range(8):
        client = migrated_app.test_client()
        AuthActions(client).login(user.phone)
        clients.append((client, csrf_from(client.get("/"))))
    statuses, barrier = [], threading.Barrier(len(clients))

    def send(client, token):
        with migrated_app.app_context():
            barrier.wait()
            response = client.post(
                "/api/v1/encounters/sync", json=payload, headers={"X-CSRFToken": token}
            )
            statuses.append((response.status_code, response.json["results"][0]["status"]))
            db.session.remove()

    threads = [threading.Thread(target=send, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [(200, "created")] + [(200, "duplicate")] * 7
    assert count(Encounter) == 1
    assert count(EncounterEvent) == 1


def test_a_reused_uuid_with_other_content_is_rejected_and_the_first_kept(send):
    report = item()
    send(report)
    answer = send({**report, "place": "ที่อื่น"}).json["results"][0]
    assert answer["status"] == "rejected" and answer["error"] == "conflict"
    assert db.session.scalar(select(Encounter.place)) == report["place"]


def test_a_bad_item_never_sinks_the_good_ones(send):
    good, bad = item(), item(category="alien")
    results = send(good, bad, "not an object").json["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected"]
    assert "category" in results[1]["fields"]
    assert count(Encounter) == 1


def test_more_than_fifty_reports_are_refused_whole(send):
    response = send(*[item() for _ in range(51)])
    assert response.status_code == 413
    assert count(Encounter) == 0


def test_a_report_from_the_future_says_so(send):
    answer = send(item(seen_at="3000-01-01T10:00:00+07:00")).json["results"][0]
    assert answer["status"] == "rejected"
    assert "future" in answer["fields"]["seen_at"] and "3000" in answer["fields"]["seen_at"]


def test_a_report_older_than_thirty_days_is_refused(send):
    old = (utcnow() - timedelta(days=31)).isoformat()
    answer = send(item(seen_at=old)).json["results"][0]
    assert "30 days" in answer["fields"]["seen_at"]


def test_a_location_in_the_sea_is_refused_with_a_clear_message(send):
    answer = send(item(location={"lat": 0, "lon": 0, "accuracy_m": 5})).json["results"][0]
    assert answer["status"] == "rejected"
    assert "outside Thailand" in answer["fields"]["location"]


def test_a_location_far_from_the_village_is_refused(send, located_village):
    bangkok = {"lat": 13.75, "lon": 100.5, "accuracy_m": 10}
    answer = send(item(location=bangkok)).json["results"][0]
    assert "km from the village" in answer["fields"]["location"]
    near = {"lat": NONG_IAN[0] + 0.01, "lon": NONG_IAN[1], "accuracy_m": 12}
    assert send(item(location=near)).json["results"][0]["status"] == "created"
    assert db.session.scalar(select(Encounter.accuracy_m)) == 12


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"category": "alien"}, "category", "kind of hardship"),
        ({"urgency": "whenever"}, "urgency", "urgent"),
        ({"place": ""}, "place", "required"),
        ({"place": "x" * 301}, "place", "at most 300"),
        ({"description": "x" * 4001}, "description", "at most 4000"),
        ({"description": "ok\x00no"}, "description", "control character"),
        ({"place": "ok\x1bno"}, "place", "control character"),
        ({"person": {"age": 300}}, "person.age", "0 to 120"),
        ({"person": {"age": "old"}}, "person.age", "0 to 120"),
        ({"person": {"sex": "robot"}}, "person.sex", "female, male or other"),
        ({"person": {"name": "x" * 121}}, "person.name", "at most 120"),
        ({"village": "BL-01"}, "village", "not one of your areas"),
        ({"seen_at": "yesterday"}, "seen_at", "day/month/year"),
        ({"location": {"lat": "NaN", "lon": 104}}, "location", "could not be read"),
        ({"location": [1, 2]}, "location", "object"),
        ({"person": "Somchai"}, "person", "object"),
    ],
)
def test_each_mistake_gets_its_own_clear_message(send, overrides, field, words):
    answer = send(item(**overrides)).json["results"][0]
    assert answer["status"] == "rejected", answer
    assert words in answer["fields"][field], answer["fields"]
    assert count(Encounter) == 0


def test_messages_come_in_thai_for_a_thai_phone(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    response = client.post(
        "/api/v1/encounters/sync",
        json={"encounters": [item(category="alien")]},
        headers={"X-CSRFToken": csrf_from(client.get("/")), "Accept-Language": "th"},
    )
    assert response.json["results"][0]["fields"]["category"] == "กรุณาเลือกประเภทของปัญหา"


def test_a_volunteer_with_one_village_need_not_name_it(send):
    assert send(item(village=None)).json["results"][0]["status"] == "created"
    assert db.session.scalar(select(Encounter)).village.code == "NI-01"


def test_a_volunteer_with_two_villages_must_choose(client, login_as):
    login_as("volunteer", areas=["NI-01", "NI-02"])
    token = csrf_from(client.get("/?lang=en"))
    answer = client.post(
        "/api/v1/encounters/sync",
        json={"encounters": [item(village=None)]},
        headers={"X-CSRFToken": token},
    ).json["results"][0]
    assert "Choose the village" in answer["fields"]["village"]


def test_the_flood_of_reports_is_refused_with_429(send, monkeypatch):
    monkeypatch.setattr(encounters, "PER_REPORTER", 3)
    assert all(r["status"] == "created" for r in send(item(), item(), item()).json["results"])
    refused = send(item())
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    assert "reports in the last hour" in refused.json["message"]
    assert count(Encounter) == 3


def test_a_replay_is_answered_even_past_the_limit(send, monkeypatch):
    monkeypatch.setattr(encounters, "PER_REPORTER", 1)
    report = item()
    send(report)
    assert send(report).json["results"][0]["status"] == "duplicate"


def test_the_phone_lists_its_own_reports_with_their_status(client, send):
    send(item())
    listed = client.get("/api/v1/encounters").json
    assert [e["status"] for e in listed["encounters"]] == ["new"]
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/encounters", query_string={"since": later}).json["encounters"] == []
    assert client.get("/api/v1/encounters?since=nonsense").status_code == 400


def test_an_observer_cannot_report(client, login_as):
    login_as("observer", areas=["MDH"])
    token = csrf_from(client.get("/dashboard"))
    response = client.post(
        "/api/v1/encounters/sync", json={"encounters": [item()]}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 403


# --- The form ---------------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "category": "begging",
        "urgency": "normal",
        "place": "หน้าเซเว่น บ้านหนองเอี่ยน",
        "description": "หญิงนั่งขอทานกับเด็กเล็ก",
        "seen_at": (utcnow() + timedelta(hours=7) - timedelta(minutes=30)).strftime(
            "%d/%m/%Y %H:%M"
        ),
        "village": "NI-01",
        "person_name": "",
        "person_age": "",
        "person_sex": "",
        "client_uuid": str(uuid.uuid4()),
    }
    return {**data, **overrides}


def test_the_form_works_without_javascript(client, auth, login_as):
    login_as("volunteer", areas=["NI-01"])
    page = client.get("/encounters/new")
    assert page.status_code == 200 and "data-encounter-form" in page.get_data(as_text=True)
    response = auth.post("/encounters/new", form_data(), headers={"Accept-Language": "en"})
    assert response.status_code == 302
    encounter = db.session.scalar(select(Encounter))
    assert response.headers["Location"] == f"/encounters/{encounter.id}"
    assert encounter.category == "begging"


def test_the_form_keeps_what_was_typed_on_error(client, auth, login_as):
    login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        "/encounters/new",
        form_data(seen_at="01/01/3000 10:00", person_age="200"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "หน้าเซเว่น บ้านหนองเอี่ยน" in page and "หญิงนั่งขอทานกับเด็กเล็ก" in page
    assert "in the future" in page and "from 0 to 120" in page
    assert count(Encounter) == 0


def test_a_flood_through_the_form_is_refused_with_429_keeping_the_text(
    client, auth, login_as, monkeypatch
):
    login_as("volunteer", areas=["NI-01"])
    monkeypatch.setattr(encounters, "PER_REPORTER", 1)
    client.get("/?lang=en")
    assert auth.post("/encounters/new", form_data()).status_code == 302
    refused = auth.post("/encounters/new", form_data(place="ตลาดนัดคลองถม"))
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "reports in the last hour" in page and "ตลาดนัดคลองถม" in page
    assert count(Encounter) == 1


def test_the_offline_copy_of_the_form_carries_no_id(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    page = client.get("/encounters/new?shell=1").get_data(as_text=True)
    assert 'name="client_uuid" type="hidden" value=""' in page


# --- The workflow -----------------------------------------------------------------------------


@pytest.fixture
def case(create_user):
    """A report by a volunteer of NI-01, and the centre's staff."""
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    encounter = reported(volunteer)
    return volunteer, staff, encounter


def step(user, encounter, name, **values):
    event = encounters.take_step(user, encounter, encounters.StepInput(step=name, **values))
    db.session.commit()
    return event


def test_staff_take_a_report_from_new_to_closed_with_its_history(case, agency, create_user):
    volunteer, staff, encounter = case
    helper = create_user("volunteer", areas=["NI-01"])
    step(staff, encounter, "assign", assignee=helper.id, note="ไปดูด้วยกัน")
    step(helper, encounter, "contact", note="คุยแล้ว ต้องการที่พัก")
    step(staff, encounter, "refer", agency=str(agency.id), note="โทรแจ้งศูนย์แล้ว")
    step(staff, encounter, "close", note="ศูนย์รับตัวไปดูแลแล้ว")
    db.session.refresh(encounter)
    assert encounter.status == "closed" and encounter.closed_at is not None
    assert encounter.agency_id == agency.id and encounter.assigned_to_id == helper.id
    assert [(e.status_from, e.status_to) for e in encounter.events] == [
        (None, "new"),
        ("new", "assigned"),
        ("assigned", "contacted"),
        ("contacted", "referred"),
        ("referred", "closed"),
    ]
    assert encounters.outcome(encounter) == "ศูนย์รับตัวไปดูแลแล้ว"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"encounter.create", "encounter.assign", "encounter.refer", "encounter.close"} <= actions


def test_a_closed_report_can_be_reopened_by_assigning_it(case):
    _volunteer, staff, encounter = case
    step(staff, encounter, "close", note="ไม่พบตัว")
    step(staff, encounter, "assign", assignee=staff.id)
    assert encounter.status == "assigned" and encounter.closed_at is None


@pytest.mark.parametrize(
    ("name", "values", "field"),
    [
        ("refer", {"agency": "1"}, "step"),  # new -> referred: assign first
        ("contact", {}, "step"),  # new -> contacted
        ("close", {"note": ""}, "note"),  # closing needs the outcome
        ("assign", {"assignee": "999999"}, "assignee"),
        ("note", {"note": ""}, "note"),
        ("link", {"household": "NI-01-9999"}, "household"),
        ("fly", {}, "step"),
    ],
)
def test_impossible_steps_are_refused_and_change_nothing(case, name, values, field):
    _volunteer, staff, encounter = case
    with pytest.raises(ValidationError) as refused:
        encounters.take_step(staff, encounter, encounters.StepInput(step=name, **values))
    assert field in refused.value.fields
    db.session.rollback()
    assert encounter.status == "new" and len(encounter.events) == 1


def test_only_staff_and_the_villages_volunteers_can_be_assigned(case, create_user, second_org):
    _volunteer, staff, encounter = case
    elsewhere = create_user("volunteer", areas=["BL-01"])
    other_centre = create_user("staff", org="ZZC")
    offered = {user.id for user in encounters.assignees(staff, encounter)}
    assert staff.id in offered and elsewhere.id not in offered and other_centre.id not in offered
    for outsider in (elsewhere, other_centre):
        with pytest.raises(ValidationError) as refused:
            encounters.take_step(
                staff, encounter, encounters.StepInput(step="assign", assignee=outsider.id)
            )
        assert "assignee" in refused.value.fields


def test_a_referral_needs_an_agency(case):
    _volunteer, staff, encounter = case
    step(staff, encounter, "assign", assignee=staff.id)
    with pytest.raises(ValidationError) as refused:
        encounters.take_step(staff, encounter, encounters.StepInput(step="refer"))
    assert "agency" in refused.value.fields


def test_staff_link_a_report_to_a_household_of_their_organisation(case, create_household):
    _volunteer, staff, encounter = case
    household = create_household("NI-01")
    step(staff, encounter, "link", household=household.code.lower())
    assert encounter.household_id == household.id and encounter.status == "new"


def test_the_reporter_reads_but_does_not_act(case, client, auth):
    volunteer, _staff, encounter = case
    assert encounters.steps_for(volunteer, encounter) == []
    auth.login(volunteer.phone)
    assert client.get(f"/encounters/{encounter.id}").status_code == 200
    response = auth.post(f"/encounters/{encounter.id}", {"step": "note", "note": "x"})
    assert response.status_code == 403


def test_the_assigned_volunteer_may_note_and_mark_contacted_only(case, create_user):
    _volunteer, staff, encounter = case
    helper = create_user("volunteer", areas=["NI"])  # the subdistrict: NI-01 is theirs
    step(staff, encounter, "assign", assignee=helper.id)
    assert encounters.steps_for(helper, encounter) == ["contact", "note"]
    with pytest.raises(ValidationError):
        encounters.take_step(helper, encounter, encounters.StepInput(step="close", note="x"))


def test_staff_steps_through_the_page(case, client, auth, agency):
    _volunteer, staff, encounter = case
    auth.login(staff.phone)
    page = client.get(f"/encounters/{encounter.id}?lang=en").get_data(as_text=True)
    assert 'data-step="assign"' in page and 'data-step="refer"' not in page
    refused = auth.post(f"/encounters/{encounter.id}", {"step": "close", "note": ""})
    assert refused.status_code == 400
    assert "Write the outcome before closing" in refused.get_data(as_text=True)
    done = auth.post(f"/encounters/{encounter.id}", {"step": "assign", "assignee": str(staff.id)})
    assert done.status_code == 302
    assert db.session.get(Encounter, encounter.id).status == "assigned"


# --- Who sees what ----------------------------------------------------------------------------


def test_a_volunteer_of_another_area_gets_404(case, create_user):
    _volunteer, _staff, encounter = case
    other = create_user("volunteer", areas=["BL-01"])
    with pytest.raises(NotFound):
        encounters.encounter_for(other, encounter.id)


def test_each_side_of_the_boundary_gets_its_answer(case, client, auth, create_user, second_org):
    _volunteer, _staff, encounter = case
    path = f"/encounters/{encounter.id}"
    for user, expected in (
        (create_user("volunteer", areas=["NI-01"]), 404),  # same village, not theirs
        (create_user("staff", org="ZZC"), 404),  # another organisation's staff
        (create_user("admin", org="ZZC"), 404),
        (create_user("observer", areas=["MDH"]), 403),
        (create_user("staff"), 200),
    ):
        auth.logout()
        auth.login(user.phone)
        assert client.get(path).status_code == expected, user.role
    auth.logout()
    assert client.get(path).headers["Location"].startswith("/login")


def test_the_staff_inbox_puts_urgent_then_oldest_open_first(create_user, client, auth):
    volunteer = create_user("volunteer", areas=["NI-01"])
    old = reported(volunteer, category="begging")
    urgent = reported(volunteer, urgency="urgent")
    closed = reported(volunteer, category="other")
    staff = create_user("staff")
    step(staff, closed, "close", note="จบแล้ว")
    rows, total = encounters.inbox(staff)
    assert [r.id for r in rows] == [urgent.id, old.id, closed.id] and total == 3
    rows, _ = encounters.inbox(staff, status="open", category="begging")
    assert [r.id for r in rows] == [old.id]
    auth.login(staff.phone)
    page = client.get("/encounters?status=open").get_data(as_text=True)
    assert page.index(f"/encounters/{urgent.id}") < page.index(f"/encounters/{old.id}")
    home = client.get("/").get_data(as_text=True)
    assert "data-encounters-home" in home and f"/encounters/{urgent.id}" in home


def test_a_volunteer_sees_their_own_reports_and_the_outcome(case, client, auth, agency):
    volunteer, staff, encounter = case
    step(staff, encounter, "assign", assignee=staff.id)
    step(staff, encounter, "refer", agency=agency.id, note="ส่งต่อศูนย์คุ้มครองฯ แล้ว")
    auth.login(volunteer.phone)
    listing = client.get("/encounters").get_data(as_text=True)
    assert f"/encounters/{encounter.id}" in listing
    page = client.get(f"/encounters/{encounter.id}").get_data(as_text=True)
    assert "ส่งต่อศูนย์คุ้มครองฯ แล้ว" in page and agency.name_th in page


# --- Notifications ----------------------------------------------------------------------------


def test_an_urgent_report_tells_the_staff_and_steps_tell_the_others(create_user, agency):
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    other_org_staff_count = count(Notification)
    encounter = reported(volunteer, urgency="urgent")
    to_staff = db.session.scalars(select(Notification).where(Notification.user_id == staff.id))
    assert [n.kind for n in to_staff] == ["encounter"]
    assert count(Notification) > other_org_staff_count
    helper = create_user("volunteer", areas=["NI-01"])
    step(staff, encounter, "assign", assignee=helper.id)
    assert count(Notification, Notification.user_id == helper.id) == 1
    step(staff, encounter, "refer", agency=agency.id, note="ส่งต่อแล้ว")
    step(staff, encounter, "close", note="ได้ที่พักแล้ว")
    told = db.session.scalars(
        select(Notification).where(Notification.user_id == volunteer.id).order_by(Notification.id)
    ).all()
    assert len(told) == 3  # assigned, referred, closed
    from pwa_app.services import notifications

    with_words = notifications.render(told[-1], "th")
    assert "ปิด" in with_words.title
    assert "Closed" in notifications.render(told[-1], "en").title


def test_a_normal_report_bothers_nobody(create_user):
    create_user("staff")
    reported(create_user("volunteer", areas=["NI-01"]))
    assert count(Notification) == 0


# --- Dashboard and retention ------------------------------------------------------------------


def test_the_dashboard_counts_open_reports_by_age_and_category(create_user, client, auth):
    volunteer = create_user("volunteer", areas=["NI-01"])
    fresh = reported(volunteer, urgency="urgent")
    week = reported(volunteer, category="begging")
    month = reported(volunteer, category="begging")
    closed = reported(volunteer)
    week.received_at = utcnow() - timedelta(days=3)
    month.received_at = utcnow() - timedelta(days=20)
    staff = create_user("staff")
    step(staff, closed, "close", note="จบ")
    figures = encounters.open_figures(lambda column: column.is_not(None))
    assert (figures.total, figures.urgent) == (3, 1)
    assert [n for _key, _label, n in figures.by_age] == [1, 1, 1]
    assert figures.by_category == (("begging", 2), ("homeless", 1))
    assert fresh.id
    auth.login(staff.phone)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-figure="encounters_urgent"' in page
    observer = create_user("observer", areas=["MDH"])
    auth.logout()
    auth.login(observer.phone)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-figure="encounters_open"' in page and "/encounters?" not in page


def test_another_organisations_dashboard_counts_none_of_ours(create_user, second_org):
    reported(create_user("volunteer", areas=["NI-01"]))
    other = create_user("staff", org="ZZC")
    from pwa_app.services import dashboard

    villages = dashboard.villages_for(other)
    figures = encounters.open_figures(lambda column: dashboard.in_villages(column, villages))
    assert figures.total == 0


def test_the_purge_deletes_closed_reports_past_retention_only(create_user):
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    old, recent, still_open = (reported(volunteer) for _ in range(3))
    old_id = old.id
    for encounter in (old, recent):
        step(staff, encounter, "close", note="จบ")
    old.closed_at = datetime.now(UTC) - timedelta(days=400)
    still_open.received_at = datetime.now(UTC) - timedelta(days=400)
    db.session.commit()
    assert privacy.purge(365, dry_run=True)[2] == 1
    assert count(Encounter) == 3
    assert privacy.purge(365)[2] == 1
    db.session.commit()
    assert set(db.session.scalars(select(Encounter.id))) == {recent.id, still_open.id}
    assert count(EncounterEvent, EncounterEvent.encounter_id == old_id) == 0


def test_a_households_export_and_erasure_cover_its_linked_reports(create_user, create_household):
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    household = create_household("NI-01")
    encounter = reported(volunteer)
    step(staff, encounter, "link", household=household.code, note="คือลุงของบ้านนี้")
    record = privacy.household_record(household)
    assert record["encounters"][0]["person"]["name"] == "ลุงสมชาย"
    privacy.anonymise(household, staff)
    db.session.commit()
    db.session.refresh(encounter)
    assert encounter.person_name is None and encounter.description == ""
