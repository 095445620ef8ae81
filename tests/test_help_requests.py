"""Staff and volunteers handle help requests from household cards."""

from pwa_app.extensions import db
from pwa_app.models import HelpRequest


def make_request(household, message="ขอให้มาเยี่ยม"):
    request = HelpRequest(household=household, category="visit", message=message, status="new")
    db.session.add(request)
    db.session.commit()
    return request


def test_staff_see_new_requests_and_resolve_them(client, auth, login_as, create_household):
    request = make_request(create_household("NI-01"))
    staff = login_as("staff")
    assert "ขอให้มาเยี่ยม" in client.get("/help-requests").get_data(as_text=True)
    assert "ใหม่: 1" in client.get("/").get_data(as_text=True)

    auth.post(f"/help-requests/{request.id}/status", {"status": "seen", "next": "/help-requests"})
    db.session.expire_all()
    assert (request.status, request.seen_by_id) == ("seen", staff.id)

    auth.post(f"/help-requests/{request.id}/status", {"status": "resolved", "note": "โทรแล้ว"})
    db.session.expire_all()
    assert (request.status, request.resolved_by_id, request.resolution_note) == (
        "resolved",
        staff.id,
        "โทรแล้ว",
    )
    page = client.get("/help-requests?status=resolved").get_data(as_text=True)
    assert "โทรแล้ว" in page


def test_the_households_volunteer_sees_its_requests_on_home(client, login_as, create_household):
    make_request(create_household("NI-01"), "ข้าวสารหมด")
    make_request(create_household("BL-01"), "ของหมู่บ้านอื่น")
    login_as("volunteer", areas=["NI-01"])
    page = client.get("/").get_data(as_text=True)
    assert "ข้าวสารหมด" in page
    assert "ของหมู่บ้านอื่น" not in page


def test_a_bad_status_is_refused_with_a_message(client, auth, login_as, create_household):
    request = make_request(create_household("NI-01"))
    login_as("staff")
    response = auth.post(f"/help-requests/{request.id}/status", {"status": "deleted"})
    assert response.status_code == 302
    assert db.session.get(HelpRequest, request.id).status == "new"
    assert "เลือก รับทราบแล้ว หรือ แก้ไขแล้ว" in client.get("/").get_data(as_text=True)


def test_the_return_address_cannot_leave_the_site(auth, login_as, create_household):
    request = make_request(create_household("NI-01"))
    login_as("staff")
    response = auth.post(
        f"/help-requests/{request.id}/status", {"status": "seen", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"
