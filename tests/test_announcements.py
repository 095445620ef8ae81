"""Announcements: staff send news, trainings and meetings to chosen areas; who read them."""

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Announcement, AnnouncementRead, Notification, User
from pwa_app.services import announcements
from pwa_app.services.errors import ValidationError


def form(**values):
    data = {
        "kind": "training",
        "title": "อบรมการประสานส่งต่อ",
        "body": "นำบัตรประชาชนมาด้วย",
        "event_on": "15/12/2569",
        "event_time": "09.30",
        "place": "ศาลาประชาคมบ้านหนองเอี่ยน",
        "areas": ["NI"],
    }
    data.update(values)
    return data


def test_a_training_reaches_the_volunteers_of_its_areas_and_counts_who_read_it(
    client, auth, login_as, create_user
):
    ni_one = create_user("volunteer", areas=["NI-01"])
    ni_all = create_user("volunteer", areas=["NI"])
    bl = create_user("volunteer", areas=["BL-01"])
    create_user("volunteer", areas=["NI-02"], active=False)
    login_as("staff")
    response = auth.post("/announcements/new", form())
    assert response.status_code == 302
    announcement = db.session.scalar(select(Announcement))
    assert (announcement.event_on.isoformat(), announcement.event_time) == ("2026-12-15", "09:30")
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "announcement")
    ).all()
    assert sorted(told) == sorted([ni_one.id, ni_all.id])
    assert announcements.reach([announcement])[announcement.id] == announcements.Reach(2, 0)
    page = client.get("/announcements").get_data(as_text=True)
    assert "0 จาก 2" in page or "0 of 2" in page

    for volunteer, sees in ((ni_one, True), (ni_all, True), (bl, False)):
        auth.logout()
        auth.login(volunteer.phone)
        home = client.get("/").get_data(as_text=True)
        assert ("อบรมการประสานส่งต่อ" in home) is sees
        detail = client.get(f"/announcements/{announcement.id}")
        assert detail.status_code == (200 if sees else 404)
        if sees:
            assert "ศาลาประชาคมบ้านหนองเอี่ยน" in detail.get_data(as_text=True)
            assert "อบรมการประสานส่งต่อ" not in client.get("/").get_data(as_text=True)
    assert announcements.reach([announcement])[announcement.id] == announcements.Reach(2, 2)


def test_bad_announcements_are_refused_with_reasons_and_the_typed_text_kept(auth, login_as):
    login_as("staff")
    response = auth.post(
        "/announcements/new",
        form(title="", event_on="31/02/2569", event_time="25:00", areas=[], kind="party"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "ศาลาประชาคมบ้านหนองเอี่ยน" in page
    assert db.session.scalar(select(func.count(Announcement.id))) == 0
    user = db.session.scalar(select(User).where(User.role == "staff"))
    for values, field in (
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"event_on": "31/02/2569"}, "event_on"),
        ({"event_on": ""}, "event_on"),
        ({"event_time": "25:00"}, "event_time"),
        ({"areas": []}, "areas"),
        ({"areas": ["ZZZ"]}, "areas"),
        ({"kind": "party"}, "kind"),
        ({"body": "a\x00b"}, "body"),
    ):
        data = form(**values)
        try:
            announcements.check(
                user,
                announcements.AnnouncementInput(
                    **{k: v for k, v in data.items() if k != "areas"}, area_codes=data["areas"]
                ),
            )
        except ValidationError as error:
            assert field in error.fields, (values, error.fields)
        else:
            raise AssertionError(f"{values} was accepted")


def test_news_needs_no_day_and_another_centres_areas_are_refused(
    auth, login_as, second_org, create_user
):
    user = login_as("staff")
    data = announcements.AnnouncementInput(kind="news", title="ข่าว", area_codes=["ZZ"])
    try:
        announcements.check(user, data)
    except ValidationError as error:
        assert "areas" in error.fields
    else:
        raise AssertionError("another centre's area was accepted")
    data.area_codes = ["BL"]
    areas, day, time = announcements.check(user, data)
    assert [a.code for a in areas] == ["BL"] and day is None and time is None


def test_other_centres_and_observers_never_see_an_announcement(
    client, auth, login_as, create_user, second_org
):
    staff = login_as("staff")
    auth.post("/announcements/new", form())
    announcement_id = db.session.scalar(select(Announcement.id))
    outsiders = (
        create_user("staff", org="ZZC"),
        create_user("volunteer", areas=["ZZ-01"], org="ZZC"),
    )
    for outsider in outsiders:
        auth.logout()
        auth.login(outsider.phone)
        assert client.get(f"/announcements/{announcement_id}").status_code == 404
        assert "อบรมการประสานส่งต่อ" not in client.get("/announcements").get_data(as_text=True)
        assert auth.post(f"/announcements/{announcement_id}/withdraw").status_code in (403, 404)
    auth.logout()
    auth.login(create_user("observer", areas=["MDH"]).phone)
    assert client.get("/announcements").status_code == 403
    assert client.get(f"/announcements/{announcement_id}").status_code == 403
    assert staff.id


def test_a_withdrawn_announcement_leaves_the_volunteers_lists(client, auth, login_as, create_user):
    volunteer = create_user("volunteer", areas=["NI-01"])
    login_as("staff")
    auth.post("/announcements/new", form())
    announcement_id = db.session.scalar(select(Announcement.id))
    assert auth.post(f"/announcements/{announcement_id}/withdraw").status_code == 302
    auth.logout()
    auth.login(volunteer.phone)
    assert client.get(f"/announcements/{announcement_id}").status_code == 404
    assert db.session.scalar(select(func.count(AnnouncementRead.user_id))) == 0


def test_the_staff_page_names_who_has_not_read_it(client, auth, login_as, create_user):
    reader = create_user("volunteer", areas=["NI-01"], name="อ่าน แล้ว")
    create_user("volunteer", areas=["NI-01"], name="ยัง ไม่อ่าน")
    staff = create_user("staff")
    auth.login(staff.phone)
    auth.post("/announcements/new", form(kind="news", event_on="", event_time=""))
    announcement_id = db.session.scalar(select(Announcement.id))
    auth.logout()
    auth.login(reader.phone)
    client.get(f"/announcements/{announcement_id}")
    auth.logout()
    auth.login(staff.phone)
    page = client.get(f"/announcements/{announcement_id}").get_data(as_text=True)
    read_part, _, unread_part = page.partition(
        "ยังไม่ได้อ่าน" if "ยังไม่ได้อ่าน" in page else "Not read yet"
    )
    assert "อ่าน แล้ว" in read_part and "ยัง ไม่อ่าน" in unread_part
