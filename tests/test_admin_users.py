"""Administrators create users, assign areas, reset passwords and deactivate accounts."""

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, User
from tests.conftest import AuthActions


def new_user_form(**overrides):
    return {
        "display_name": "บัวผัน ศรีสุข",
        "phone": "0861234567",
        "role": "volunteer",
        "areas": ["NI-03", "BL"],
        "password": "kaonieo-2569",
        **overrides,
    }


def test_admin_creates_a_volunteer_with_areas(auth, login_as):
    login_as("admin")
    response = auth.post("/admin/users/new", new_user_form())
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == "0861234567"))
    assert user.role == "volunteer"
    assert [area.code for area in user.areas] == ["BL", "NI-03"]
    assert "user.create" in db.session.scalars(select(AuditEvent.action)).all()


def test_the_new_volunteer_can_log_in(app, auth, login_as):
    login_as("admin")
    auth.post("/admin/users/new", new_user_form())
    newcomer = AuthActions(app.test_client())
    assert newcomer.login("0861234567", "kaonieo-2569").status_code == 302


def test_bad_input_is_explained_next_to_each_field_and_kept(auth, login_as):
    login_as("admin")
    response = auth.post(
        "/admin/users/new",
        new_user_form(phone="12345", display_name="", areas=[], password="1234"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "กรุณากรอกเบอร์โทรศัพท์ 9 หรือ 10 หลัก" in page
    assert "กรุณากรอกช่องนี้" in page
    assert "อพม. ต้องมีพื้นที่รับผิดชอบอย่างน้อย 1 แห่ง" in page
    assert "ต้องมีอย่างน้อย 8 ตัวอักษร" in page
    assert 'value="12345"' in page
    assert db.session.scalar(select(User).where(User.phone == "12345")) is None


def test_an_unknown_area_code_is_refused(auth, login_as):
    login_as("admin")
    response = auth.post("/admin/users/new", new_user_form(areas=["XX-99"]))
    assert response.status_code == 400
    assert "ไม่พบรหัสพื้นที่: XX-99" in response.get_data(as_text=True)


def test_a_phone_already_in_use_is_refused(auth, login_as, create_user):
    existing = create_user("staff")
    login_as("admin")
    response = auth.post("/admin/users/new", new_user_form(phone=existing.phone))
    assert response.status_code == 400
    assert "มีบัญชีอื่นใช้เบอร์โทรศัพท์นี้แล้ว" in response.get_data(as_text=True)


def test_an_over_long_name_is_refused_and_kept(auth, login_as):
    login_as("admin")
    response = auth.post("/admin/users/new", new_user_form(display_name="ก" * 500))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "ใส่ได้ไม่เกิน 120 ตัวอักษร (คุณพิมพ์ 500 ตัวอักษร)" in page


def test_admin_changes_role_and_areas(auth, login_as, create_user):
    target = create_user("volunteer", areas=["NI-01"])
    login_as("admin")
    response = auth.post(
        f"/admin/users/{target.id}",
        {
            "display_name": target.display_name,
            "phone": target.phone,
            "role": "volunteer",
            "areas": ["BL-02", "BL-03"],
        },
    )
    assert response.status_code == 302
    assert [a.code for a in db.session.get(User, target.id).areas] == ["BL-02", "BL-03"]


def test_a_failed_edit_keeps_what_was_saved(auth, login_as, create_user):
    target = create_user("volunteer", areas=["NI-01"])
    login_as("admin")
    response = auth.post(
        f"/admin/users/{target.id}",
        {"display_name": "", "phone": target.phone, "role": "volunteer", "areas": ["BL-02"]},
    )
    assert response.status_code == 400
    db.session.expire_all()
    saved = db.session.get(User, target.id)
    assert saved.display_name == target.display_name
    assert [a.code for a in saved.areas] == ["NI-01"]


def test_reset_password_logs_the_user_out_and_sets_the_new_one(app, auth, login_as, create_user):
    target = create_user("volunteer")
    their_phone = AuthActions(app.test_client())
    their_phone.login(target.phone)
    login_as("admin")

    response = auth.post(f"/admin/users/{target.id}/password", {"password": "mai-mai-2569"})

    assert response.status_code == 302
    assert their_phone.client.get("/").status_code == 302
    assert AuthActions(app.test_client()).login(target.phone, "mai-mai-2569").status_code == 302


def test_reset_password_refuses_a_weak_one(auth, login_as, create_user):
    target = create_user("volunteer")
    login_as("admin")
    response = auth.post(f"/admin/users/{target.id}/password", {"password": "12345678"})
    assert response.status_code == 400
    assert "ง่ายหรือมีคนใช้มากเกินไป" in response.get_data(as_text=True)


def test_deactivate_and_reactivate(app, auth, login_as, create_user):
    target = create_user("volunteer")
    their_phone = AuthActions(app.test_client())
    their_phone.login(target.phone)
    login_as("admin")

    auth.post(f"/admin/users/{target.id}/active", {"active": "0"})
    assert their_phone.client.get("/").status_code == 302
    assert their_phone.login(target.phone).status_code == 401

    auth.post(f"/admin/users/{target.id}/active", {"active": "1"})
    assert their_phone.login(target.phone).status_code == 302


def test_admin_cannot_deactivate_themselves(auth, login_as):
    admin = login_as("admin")
    auth.post(f"/admin/users/{admin.id}/active", {"active": "0"})
    assert db.session.get(User, admin.id).active is True
    assert auth.client.get("/").status_code == 200


def test_users_list_filters_by_role(client, login_as, create_user):
    create_user("staff", name="เจ้าหน้าที่ ทดสอบ")
    create_user("volunteer", name="อาสา ทดสอบ")
    login_as("admin")
    page = client.get("/admin/users?role=staff").get_data(as_text=True)
    assert "เจ้าหน้าที่ ทดสอบ" in page and "อาสา ทดสอบ" not in page
