"""Login throttling: ten failures per phone or per address in 15 minutes, shared by workers."""

from datetime import timedelta

from sqlalchemy import update

from pwa_app.extensions import db
from pwa_app.models import RateEvent
from pwa_app.models.base import utcnow
from tests.conftest import PASSWORD, AuthActions


def fail_logins(auth, phone, times, address="10.0.0.1"):
    for _ in range(times):
        response = auth.login(phone, "wrong-password-1", REMOTE_ADDR=address)
        assert response.status_code == 401


def login_from(auth, phone, password, address):
    token = auth.client.get("/login").get_data(as_text=True)
    token = token.split('name="csrf-token" content="')[1].split('"')[0]
    return auth.client.post(
        "/login",
        data={"phone": phone, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_eleventh_attempt_for_a_phone_is_refused_with_429_in_thai(auth, create_user):
    user = create_user("volunteer")
    for n in range(10):
        assert login_from(auth, user.phone, "wrong-password-1", f"10.0.0.{n}").status_code == 401
    response = login_from(auth, user.phone, PASSWORD, "10.0.1.1")
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert "ใส่รหัสผ่านผิดหลายครั้งเกินไป" in response.get_data(as_text=True)


def test_one_address_trying_many_phones_is_refused(auth, create_user):
    user = create_user("volunteer")
    for n in range(10):
        assert (
            login_from(auth, f"08100000{n:02d}", "wrong-password-1", "10.9.9.9").status_code == 401
        )
    assert login_from(auth, user.phone, PASSWORD, "10.9.9.9").status_code == 429
    assert login_from(auth, user.phone, PASSWORD, "10.9.9.10").status_code == 302


def test_the_count_is_shared_by_every_worker(migrated_app, app, create_user):
    """Two clients stand for two gunicorn workers: the counter lives in the database."""
    user = create_user("volunteer")
    worker_a, worker_b = AuthActions(app.test_client()), AuthActions(app.test_client())
    for n in range(5):
        login_from(worker_a, user.phone, "wrong-password-1", f"10.1.0.{n}")
        login_from(worker_b, user.phone, "wrong-password-1", f"10.2.0.{n}")
    assert login_from(worker_a, user.phone, PASSWORD, "10.3.0.1").status_code == 429


def test_failures_older_than_15_minutes_no_longer_count(auth, create_user):
    user = create_user("volunteer")
    for n in range(10):
        login_from(auth, user.phone, "wrong-password-1", f"10.0.0.{n}")
    db.session.execute(update(RateEvent).values(at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert login_from(auth, user.phone, PASSWORD, "10.0.2.1").status_code == 302


def test_a_success_clears_the_phone_count(auth, create_user):
    user = create_user("volunteer")
    for n in range(9):
        login_from(auth, user.phone, "wrong-password-1", f"10.0.0.{n}")
    assert login_from(auth, user.phone, PASSWORD, "10.0.3.1").status_code == 302
    auth.logout()
    for n in range(9):
        login_from(auth, user.phone, "wrong-password-1", f"10.0.4.{n}")
    assert login_from(auth, user.phone, PASSWORD, "10.0.5.1").status_code == 302
