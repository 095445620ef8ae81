"""Logging in by phone and password, logging out, and the messages for every mistake."""

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, User
from tests.conftest import PASSWORD, AuthActions, csrf_from


def test_login_page_is_thai_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "เข้าสู่ระบบ" in page
    assert 'name="phone"' in page and 'name="password"' in page


def test_volunteer_logs_in_with_phone_and_lands_on_home(client, auth, create_user):
    user = create_user("volunteer", phone="0891234567")
    response = auth.login("089-123-4567")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert f"สวัสดี คุณ{user.first_name}" in client.get("/").get_data(as_text=True)


def test_login_records_last_login_time(auth, create_user):
    user = create_user("staff")
    auth.login(user.phone)
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_says_so_in_thai_and_keeps_the_phone(auth, create_user):
    user = create_user("volunteer")
    response = auth.login(user.phone, "not-the-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "เบอร์โทรศัพท์หรือรหัสผ่านไม่ถูกต้อง" in page
    assert f'value="{user.phone}"' in page


def test_unknown_phone_gets_the_same_message_as_a_wrong_password(auth):
    response = auth.login("0899999999", PASSWORD)
    assert response.status_code == 401
    assert "เบอร์โทรศัพท์หรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)


def test_empty_fields_are_each_explained(auth):
    response = auth.login("", "")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("กรุณากรอกช่องนี้") == 2


def test_over_long_phone_is_refused_with_a_message(auth):
    response = auth.login("0" * 300, PASSWORD)
    assert response.status_code == 400
    assert "เบอร์โทรศัพท์ยาวได้ไม่เกิน 20 ตัวอักษร" in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(auth, create_user):
    user = create_user("volunteer", active=False)
    response = auth.login(user.phone)
    assert response.status_code == 401
    assert "บัญชีนี้ถูกปิดการใช้งาน" in response.get_data(as_text=True)


def test_english_messages_when_english_is_chosen(client, auth):
    client.get("/login?lang=en")
    response = auth.login("0899999999", "whatever-123")
    assert "The phone number or password is wrong." in response.get_data(as_text=True)


def test_login_does_not_redirect_off_site(auth, create_user, client):
    user = create_user("staff")
    token = csrf_from(client.get("/login"))
    response = client.post(
        "/login?next=https://evil.example/",
        data={"phone": user.phone, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_login_returns_to_the_page_asked_for(client, create_user):
    user = create_user("staff")
    response = client.get("/dashboard")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    token = csrf_from(client.get(login_url))
    response = client.post(
        login_url, data={"phone": user.phone, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/dashboard"


def test_login_without_csrf_token_is_refused(client, create_user):
    user = create_user("staff")
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 400
    assert "แบบฟอร์มนี้หมดอายุ" in response.get_data(as_text=True)


def test_logout_ends_the_session_on_every_device(app, create_user, auth):
    user = create_user("volunteer")
    other_device = app.test_client()
    auth.login(user.phone)
    AuthActions(other_device).login(user.phone)
    assert other_device.get("/").status_code == 200

    auth.logout()

    assert auth.client.get("/").status_code == 302
    assert other_device.get("/").status_code == 302


def test_logout_needs_post_with_a_token(client, login_as):
    login_as("volunteer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_a_user_deactivated_while_logged_in_is_logged_out(client, login_as):
    user = login_as("volunteer")
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_passwords_are_hashed_with_argon2id(create_user):
    user = create_user("staff")
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_password_change_keeps_this_device_and_ends_the_others(app, auth, create_user):
    user = create_user("volunteer")
    other_device = app.test_client()
    AuthActions(other_device).login(user.phone)
    auth.login(user.phone)

    response = auth.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "nam-khong-2570",
            "confirm_password": "nam-khong-2570",
        },
    )

    assert response.status_code == 302
    assert auth.client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    assert auth.logout().status_code == 302
    assert auth.login(user.phone, "nam-khong-2570").status_code == 302
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.password_change" in events


def test_password_change_explains_each_mistake_and_keeps_the_old_password(auth, login_as):
    user = login_as("volunteer")
    cases = [
        ({"current_password": "wrong-one-99"}, "รหัสผ่านปัจจุบันไม่ถูกต้อง"),
        ({"new_password": "short", "confirm_password": "short"}, "ต้องมีอย่างน้อย 8 ตัวอักษร"),
        ({"new_password": "password123", "confirm_password": "password123"}, "ง่ายหรือมีคนใช้มาก"),
        ({"confirm_password": "something-else-1"}, "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน"),
        ({"new_password": PASSWORD, "confirm_password": PASSWORD}, "ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน"),
    ]
    for change, message in cases:
        data = {
            "current_password": PASSWORD,
            "new_password": "nam-khong-2570",
            "confirm_password": "nam-khong-2570",
            **change,
        }
        response = auth.post("/account/password", data)
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
    assert auth.logout().status_code == 302
    assert auth.login(user.phone).status_code == 302
