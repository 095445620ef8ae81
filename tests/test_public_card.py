"""The household's own card page: how to reach the volunteer, and nothing private."""

from datetime import timedelta

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import HelpRequest, Member, Visit
from pwa_app.models.base import utcnow
from tests.conftest import csrf_from


def test_the_card_page_shows_how_to_reach_the_volunteer_and_nothing_private(
    client, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", name="จันทร์เพ็ญ ศรีวงษ์", phone="0891112222")
    household = create_household(
        "NI-01", volunteer=volunteer, head_name="สุดใจ ลับมาก", tags=["disability"]
    )
    db.session.add(Member(household=household, name="ลูกสาว ลับมาก", birth_year=2010))
    visit = create_visit(household, volunteer, days_ago=2)
    visit.notes = "ป่วยเป็นโรคลับ"
    db.session.commit()

    page = client.get(f"/h/{household.qr_token}").get_data(as_text=True)

    assert household.code in page
    assert "จันทร์เพ็ญ" in page and "ศรีวงษ์" not in page
    assert 'href="tel:0891112222"' in page
    assert "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร" in page
    for private in ("สุดใจ", "ลับมาก", "ลูกสาว", "ป่วยเป็นโรคลับ", "คนพิการ"):
        assert private not in page


def test_tokens_of_the_wrong_shape_or_unknown_are_404(client):
    assert client.get("/h/short").status_code == 404
    assert client.get("/h/" + "x" * 200).status_code == 404
    assert client.get("/h/AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_a_household_sends_a_help_request(client, create_household):
    household = create_household("NI-01")
    page = client.get(f"/h/{household.qr_token}")
    response = client.post(
        f"/h/{household.qr_token}/help",
        data={
            "category": "health",
            "message": "ยายไม่สบาย",
            "phone": "0812345678",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302
    request = db.session.scalar(select(HelpRequest))
    assert (request.category, request.message, request.status) == ("health", "ยายไม่สบาย", "new")
    assert "ส่งคำขอแล้ว" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_help_request_needs_a_category_and_keeps_the_message(client, create_household):
    household = create_household("NI-01")
    token = csrf_from(client.get(f"/h/{household.qr_token}"))
    response = client.post(
        f"/h/{household.qr_token}/help",
        data={"message": "ช่วยด้วย", "phone": "12", "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "กรุณาเลือกเรื่องที่ต้องการความช่วยเหลือ" in page
    assert "ช่วยด้วย" in page
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0


def test_a_help_request_without_csrf_is_refused(client, create_household):
    household = create_household("NI-01")
    response = client.post(f"/h/{household.qr_token}/help", data={"category": "visit"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0


def test_a_flood_from_one_card_is_stopped_and_keeps_the_text(client, create_household):
    household = create_household("NI-01")
    token = csrf_from(client.get(f"/h/{household.qr_token}"))
    statuses = []
    for n in range(7):
        response = client.post(
            f"/h/{household.qr_token}/help",
            data={"category": "visit", "message": f"ครั้งที่ {n}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.5.0.{n}"},
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [302] * 5
    assert statuses[5:] == [429, 429]
    assert response.headers["Retry-After"] == "3600"
    assert "ครั้งที่ 6" in response.get_data(as_text=True)
    assert "กรุณาโทรหา อพม. ของคุณ" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 5


def test_the_household_confirms_a_visit_of_today(
    client, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer")
    household = create_household("NI-01", volunteer=volunteer)
    page = client.get(f"/h/{household.qr_token}").get_data(as_text=True)
    assert "ใช่ วันนี้ อพม. มาเยี่ยมบ้านแล้ว" not in page
    visit = create_visit(household, volunteer)
    page = client.get(f"/h/{household.qr_token}")
    assert "ใช่ วันนี้ อพม. มาเยี่ยมบ้านแล้ว" in page.get_data(as_text=True)
    client.post(f"/h/{household.qr_token}/confirm", data={"csrf_token": csrf_from(page)})
    assert db.session.get(Visit, visit.id).confirmed_by_household_at is not None


def test_an_old_visit_cannot_be_confirmed(client, create_user, create_household, create_visit):
    volunteer = create_user("volunteer")
    household = create_household("NI-01", volunteer=volunteer)
    visit = create_visit(household, volunteer)
    visit.visited_at = utcnow() - timedelta(hours=30)
    db.session.commit()
    token = csrf_from(client.get(f"/h/{household.qr_token}"))
    client.post(f"/h/{household.qr_token}/confirm", data={"csrf_token": token})
    assert db.session.get(Visit, visit.id).confirmed_by_household_at is None


def test_a_logged_in_volunteer_goes_straight_to_the_visit_form(client, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    response = client.get(f"/h/{household.qr_token}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/visits/new?household={household.code}"


def test_staff_go_to_the_household_record(client, login_as, create_household):
    household = create_household("NI-01")
    login_as("staff")
    response = client.get(f"/h/{household.qr_token}")
    assert response.headers["Location"] == f"/households/{household.code}"


def test_the_emergency_hotlines_are_call_buttons_above_the_help_form(client, create_household):
    household = create_household("NI-01")
    page = client.get(f"/h/{household.qr_token}").get_data(as_text=True)
    hotlines = page.index('href="tel:1300"')
    assert 'href="tel:1669"' in page
    assert hotlines < page.index('id="help"')


def test_the_privacy_notice_gives_the_centres_phone_as_a_call_link(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ORG_PHONE", "042-611-364")
    page = client.get("/privacy").get_data(as_text=True)
    assert '<a href="tel:042611364">042-611-364</a>' in page
    assert "XXX" not in page
