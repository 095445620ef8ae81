"""Volunteer profiles, thanks and awards: the staff encourage, the volunteer sees it."""

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Acknowledgement, Award


def test_staff_see_the_volunteer_list_and_a_profile(
    client, login_as, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01"], name="มาลี ไชยสิทธิ์")
    create_visit(create_household("NI-01", volunteer=volunteer), volunteer, days_ago=1)
    login_as("staff")
    assert "มาลี ไชยสิทธิ์" in client.get("/volunteers").get_data(as_text=True)
    page = client.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "มาลี ไชยสิทธิ์" in page and "<svg" in page


def test_a_volunteer_sees_their_own_profile_only(client, login_as, create_user):
    other = create_user("volunteer")
    me = login_as("volunteer")
    assert client.get(f"/volunteers/{me.id}").status_code == 200
    assert client.get(f"/volunteers/{other.id}").status_code == 404
    assert client.get("/volunteers/999999").status_code == 404


def test_thanks_on_a_visit_is_sent_once_and_shows_on_the_volunteer_home(
    client, auth, app, login_as, create_user, create_household, create_visit
):
    from tests.conftest import AuthActions

    volunteer = create_user("volunteer", areas=["NI-01"])
    visit = create_visit(create_household("NI-01", volunteer=volunteer), volunteer)
    login_as("staff")
    for _ in range(2):
        response = auth.post(f"/visits/{visit.id}/thank", {"next": "/dashboard"})
        assert response.headers["Location"] == "/dashboard"
    assert db.session.scalar(select(Acknowledgement.visit_id)) == visit.id
    assert len(db.session.scalars(select(Acknowledgement)).all()) == 1
    auth.logout()
    AuthActions(client).login(volunteer.phone)
    assert "คำขอบคุณจาก" in client.get("/").get_data(as_text=True)


def test_thanks_with_a_message_and_its_limit(client, auth, login_as, create_user):
    volunteer = create_user("volunteer")
    login_as("staff")
    assert (
        auth.post(
            f"/volunteers/{volunteer.id}/thank", {"message": "ขอบคุณที่ดูแลยายเป็นอย่างดี"}
        ).status_code
        == 302
    )
    too_long = auth.post(f"/volunteers/{volunteer.id}/thank", {"message": "ก" * 600})
    assert too_long.status_code == 400
    assert "ใส่ได้ไม่เกิน 500 ตัวอักษร" in too_long.get_data(as_text=True)
    assert "ก" * 600 in too_long.get_data(as_text=True)


def test_staff_award_a_badge_through_the_profile(client, auth, login_as, create_user):
    volunteer = create_user("volunteer")
    login_as("staff")
    response = auth.post(
        f"/volunteers/{volunteer.id}/awards", {"badge": "smile", "citation": "ยิ้มให้ทุกบ้าน"}
    )
    award = db.session.scalar(select(Award))
    assert response.headers["Location"] == f"/badges/verify/{award.public_id}"
    again = auth.post(f"/volunteers/{volunteer.id}/awards", {"badge": "smile", "citation": "อีกครั้ง"})
    assert again.status_code == 400
    assert "ได้รับเครื่องหมายนี้แล้ว" in again.get_data(as_text=True)
    missing = auth.post(f"/volunteers/{volunteer.id}/awards", {"badge": "smile"})
    assert "กรุณาเขียนเหตุผล" in missing.get_data(as_text=True)


def test_staff_revoke_with_a_reason(client, auth, login_as, create_user):
    volunteer = create_user("volunteer")
    login_as("staff")
    auth.post(f"/volunteers/{volunteer.id}/awards", {"badge": "smart", "citation": "ดีมาก"})
    award = db.session.scalar(select(Award))
    auth.post(f"/volunteers/{volunteer.id}/awards/{award.id}/revoke", {"reason": ""})
    assert db.session.get(Award, award.id).revoked_at is None
    auth.post(f"/volunteers/{volunteer.id}/awards/{award.id}/revoke", {"reason": "ซ้ำซ้อน"})
    assert db.session.get(Award, award.id).revoked_reason == "ซ้ำซ้อน"
    assert client.get(f"/badges/verify/{award.public_id}").status_code == 410
