"""Notifications in the app: what makes one, who sees it, in which language, read and unread."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from pwa_app.extensions import db
from pwa_app.models import Assistance, Award, Badge, Notification, WelfareProgram
from pwa_app.services import notifications
from pwa_app.services.cases import today
from tests.conftest import csrf_from


def notes_of(user):
    """Return the user's notifications, newest first."""
    return db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    ).all()


def bell(client):
    """Return the bell's label in the top bar of the home page."""
    page = client.get("/").get_data(as_text=True)
    start = page.index('class="bell"')
    return page[start : page.index(">", page.index("aria-label", start))]


@pytest.fixture
def staff_thanks(client, auth, create_user):
    """Have staff thank a volunteer from the volunteer's page; return (volunteer, staff)."""
    volunteer = create_user("volunteer", name="สมใจ รักดี")
    staff = create_user("staff", name="Khun Malee")
    auth.login(staff.phone)
    response = auth.post(f"/volunteers/{volunteer.id}/thank", {"message": "ขอบคุณที่ดูแลยาย"})
    assert response.status_code == 302
    auth.logout()
    return volunteer, staff


def test_staff_thanks_reach_the_volunteers_list_in_the_readers_language(client, auth, staff_thanks):
    volunteer, _staff = staff_thanks
    auth.login(volunteer.phone)
    thai = client.get("/notifications").get_data(as_text=True)
    assert "Khun Malee ขอบคุณคุณ" in thai
    assert "“ขอบคุณที่ดูแลยาย”" in thai
    assert 'class="new-mark"' in thai
    english = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Khun Malee thanked you" in english
    (stored,) = notes_of(volunteer)
    assert stored.title == "%(name)s thanked you"  # the message id, not the words
    assert stored.params["name"] == "Khun Malee"


def test_the_bell_counts_unread_notifications(client, auth, staff_thanks):
    volunteer, _staff = staff_thanks
    auth.login(volunteer.phone)
    assert "1" in bell(client)
    client.get(f"/notifications/{notes_of(volunteer)[0].id}")
    assert "1" not in bell(client)


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, auth, staff_thanks):
    volunteer, _staff = staff_thanks
    auth.login(volunteer.phone)
    (note,) = notes_of(volunteer)
    response = client.get(f"/notifications/{note.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/volunteers/{volunteer.id}"
    db.session.refresh(note)
    assert note.read_at is not None
    page = client.get("/notifications").get_data(as_text=True)
    assert 'class="new-mark"' not in page
    assert "Mark all read" not in client.get("/notifications?lang=en").get_data(as_text=True)


def test_mark_all_read_clears_every_unread_notification(client, auth, create_user):
    volunteer = create_user("volunteer")
    for n in range(3):
        notifications.notify(volunteer, "thanks", "Thanks %(n)s", params={"n": n})
    db.session.commit()
    auth.login(volunteer.phone)
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert page.count('class="new-mark"') == 3
    assert "Mark all read" in page
    response = auth.post("/notifications/read")
    assert response.status_code == 302
    assert notifications.unread_count(volunteer) == 0
    assert "new-mark" not in client.get("/notifications").get_data(as_text=True)


def test_another_users_notification_answers_404_and_stays_unread(client, auth, create_user):
    owner = create_user("volunteer")
    other = create_user("volunteer")
    note = notifications.notify(owner, "thanks", "For the owner only")
    db.session.commit()
    auth.login(other.phone)
    assert client.get(f"/notifications/{note.id}").status_code == 404
    assert client.get("/notifications/999999").status_code == 404
    assert "For the owner only" not in client.get("/notifications").get_data(as_text=True)
    db.session.refresh(note)
    assert note.read_at is None


def test_the_list_is_newest_first_and_paged(client, auth, create_user):
    volunteer = create_user("volunteer")
    for n in range(notifications.PAGE_SIZE + 2):
        note = notifications.notify(volunteer, "thanks", "Note %(n)s", params={"n": n})
        note.created_at = note.created_at + timedelta(seconds=n)
    db.session.commit()
    auth.login(volunteer.phone)
    first = client.get("/notifications?lang=en").get_data(as_text=True)
    newest, oldest = f"Note {notifications.PAGE_SIZE + 1}<", "Note 0<"
    assert newest in first and oldest not in first
    assert first.index(newest) < first.index(f"Note {notifications.PAGE_SIZE}<")
    second = client.get("/notifications?page=2&lang=en").get_data(as_text=True)
    assert oldest in second and newest not in second


def test_a_badge_given_by_staff_notifies_the_volunteer(client, auth, create_user):
    volunteer = create_user("volunteer")
    staff = create_user("staff")
    auth.login(staff.phone)
    response = auth.post(
        f"/volunteers/{volunteer.id}/awards", {"badge": "smile", "citation": "ยิ้มแย้มเสมอ"}
    )
    assert response.status_code == 302
    (note,) = notes_of(volunteer)
    assert note.kind == "badge"
    assert note.url.startswith("/badges/verify/")
    english = notifications.render(note, "en")
    assert english.title.startswith("You received the badge")
    assert english.body == "“ยิ้มแย้มเสมอ”"
    badge = db.session.scalar(select(Badge).where(Badge.code == "smile"))
    thai = notifications.render(note, "th")
    assert thai.title == f"คุณได้รับเหรียญ “{badge.name_th}”"  # the badge's Thai name too


def test_an_automatic_badge_notifies_the_volunteer_once(client, api, create_household):
    household = create_household("NI-01", volunteer=api.user)
    item = {
        "client_uuid": str(uuid.uuid4()),
        "household": household.code,
        "visited_at": datetime.now(UTC).isoformat(),
        "kind": "routine",
        "wellbeing": "green",
    }
    assert api({"visits": [item]}).json["results"][0]["status"] == "created"
    assert api({"visits": [item]}).json["results"][0]["status"] == "duplicate"
    awards = db.session.scalars(select(Award).where(Award.volunteer_id == api.user.id)).all()
    badges = [n for n in notes_of(api.user) if n.kind == "badge"]
    assert len(badges) == len(awards) >= 1  # one each, the replay adding none
    assert {n.url for n in badges} == {f"/badges/verify/{a.public_id}" for a in awards}
    titles = [notifications.render(n, "en").title for n in badges]
    assert "You received the badge “First home visit”" in titles


def test_a_help_request_notifies_the_households_volunteer_and_the_centres_staff(
    client, create_user, create_household, second_org
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    bystander = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    admin = create_user("admin")
    other_centre = create_user("staff", org="ZZC")
    household = create_household("NI-01", volunteer=volunteer)
    token = csrf_from(client.get(f"/h/{household.qr_token}"))
    response = client.post(
        f"/h/{household.qr_token}/help",
        data={"category": "health", "message": "ยายปวดขามาก", "csrf_token": token},
    )
    assert response.status_code == 302
    for user, url in ((volunteer, "/"), (staff, "/help-requests")):
        (note,) = notes_of(user)
        assert (note.kind, note.url) == ("help_request", url)
        shown = notifications.render(note, "en")
        assert shown.title == f"Help request from {household.code}"
        assert shown.body == "Health or care"
        assert "ปวดขา" not in str(note.params)  # the household's words stay in the app
        assert notifications.render(note, "th").body == "สุขภาพหรือการดูแล"
    for user in (bystander, admin, other_centre):
        assert notes_of(user) == []


def follow_up_case(household, due, status="applied", program="state_welfare_card"):
    """Open a welfare case of a household due for a follow-up on a day."""
    program = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == program))
    case = Assistance(
        household=household, village_id=household.village_id, program=program, status=status,
        note="", next_follow_up=due,
    )  # fmt: skip
    db.session.add(case)
    db.session.commit()
    return case


def test_follow_ups_due_tomorrow_are_reminded_once_a_day(runner, create_user, create_household):
    tomorrow = today() + timedelta(days=1)
    volunteer = create_user("volunteer")
    idle = create_user("volunteer")
    first, second = (create_household("NI-01", volunteer=volunteer) for _ in range(2))
    follow_up_case(first, tomorrow)
    follow_up_case(second, tomorrow)
    follow_up_case(create_household("NI-01", volunteer=idle), tomorrow + timedelta(days=1))
    follow_up_case(create_household("NI-01", volunteer=idle), tomorrow, status="received")

    result = runner.invoke(args=["notifications", "follow-ups"])
    assert result.exit_code == 0, result.output
    assert "1 volunteers reminded" in result.output
    again = runner.invoke(args=["notifications", "follow-ups"])
    assert "0 volunteers reminded" in again.output

    (note,) = notes_of(volunteer)
    shown = notifications.render(note, "en")
    assert shown.title == "Follow-ups due tomorrow"
    assert shown.body == f"Cases to follow up: 2 ({first.code}, {second.code})"
    assert notes_of(idle) == []
    later = runner.invoke(args=["notifications", "follow-ups", "--day", str(tomorrow)])
    assert "0 volunteers reminded" in later.output
    other_day = tomorrow + timedelta(days=1)
    follow_up_case(first, other_day, program="home_repair")
    assert notifications.remind_follow_ups(other_day) == 2  # a new day: both are reminded


def test_a_reminder_names_a_few_households_and_counts_them_all(create_user, create_household):
    tomorrow = today() + timedelta(days=1)
    volunteer = create_user("volunteer")
    for _ in range(notifications.HOUSEHOLDS_NAMED + 2):
        follow_up_case(create_household("NI-01", volunteer=volunteer), tomorrow)
    notifications.remind_follow_ups()
    (note,) = notes_of(volunteer)
    body = notifications.render(note, "en").body
    assert body.startswith(f"Cases to follow up: {notifications.HOUSEHOLDS_NAMED + 2} (")
    assert body.count(", ") == notifications.HOUSEHOLDS_NAMED - 1 and body.endswith(" …)")


def test_a_notification_opens_only_a_path_of_this_app(create_user):
    volunteer = create_user("volunteer")
    for url in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        with pytest.raises(ValueError):
            notifications.notify(volunteer, "thanks", "Thanks", url=url)
    with pytest.raises(ValueError):
        notifications.notify(volunteer, "gossip", "Thanks")


def test_answer_and_announcement_kinds_are_ready_for_their_features(create_user):
    volunteer = create_user("volunteer")
    for kind in ("answer", "announcement"):
        assert notifications.notify(volunteer, kind, "News", url="/notifications") is not None


def test_a_notification_missing_a_value_shows_its_words_unfilled(create_user):
    volunteer = create_user("volunteer")
    note = notifications.notify(volunteer, "thanks", "%(name)s thanked you", params={"x": 1})
    assert notifications.render(note, "th").title == "%(name)s thanked you"


def test_staff_have_a_bell_and_observers_none(client, auth, login_as, create_user):
    login_as("staff")
    assert 'class="bell"' in client.get("/").get_data(as_text=True)
    auth.logout()
    observer = create_user("observer", areas=["MDH"])
    auth.login(observer.phone)
    assert 'class="bell"' not in client.get("/dashboard").get_data(as_text=True)


def test_the_unread_count_is_read_from_its_index(create_user):
    volunteer = create_user("volunteer")
    for n in range(200):  # mostly read, as a list becomes
        note = notifications.notify(volunteer, "thanks", "Thanks")
        note.read_at = None if n == 0 else note.created_at
    db.session.commit()
    count = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == volunteer.id, Notification.read_at.is_(None))
    )
    compiled = count.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE notifications"))
            connection.execute(text("SET enable_seqscan = off"))
            plan = connection.execute(text(f"EXPLAIN {compiled}")).scalars().all()
        else:
            plan = [row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert any("ix_notifications_user_read" in line for line in plan), plan
    assert notifications.unread_count(volunteer) == 1
