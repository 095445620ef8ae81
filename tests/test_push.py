"""Web Push: subscriptions checked strictly, only allowed push services, delivery by the worker.

Nothing leaves this machine: the push service is a small server on a loopback port that the
tests allow through PUSH_ENDPOINTS, as a deployment would allow Google's or Apple's, and the
browser is a key pair the test holds, with which it decrypts what arrived.
"""

import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pwa_app import worker
from pwa_app.extensions import db
from pwa_app.models import Notification, PushSubscription
from pwa_app.services import notifications, push, recognition
from tests.conftest import AuthActions, csrf_from
from tests.push_service import Browser, PushService, unb64url, vapid_claims

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVICES = (
    "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bHPRgkF",
    "https://android.googleapis.com/gcm/send/dQw4w9WgXcQ:APA91b",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABh3mZk",
    "https://web.push.apple.com/QGuQyavXutnMHTYIEi-cL8qUY",
    "https://wns2-db5p.notify.windows.com/w/?token=BQYAAAB%2bxqDm%3d",
)
REFUSED = (
    "http://127.0.0.1:5432/",  # the database's port on this machine
    "http://localhost/push",
    "https://localhost/push",
    "https://10.0.0.8/push",  # private addresses
    "https://192.168.1.1/push",
    "https://172.16.0.1/push",
    "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "https://[::1]/push",
    "https://0x7f000001/push",
    "http://fcm.googleapis.com/fcm/send/x",  # not https
    "https://fcm.googleapis.com:5432/fcm/send/x",  # another port
    "https://fcm.googleapis.com:80/fcm/send/x",
    "https://fcm.googleapis.com.evil.com/fcm/send/x",  # lookalike hosts
    "https://fcm-googleapis.com/fcm/send/x",
    "https://evilfcm.googleapis.com/x",
    "https://fcm.googleapis.com@evil.com/x",  # a user part
    "https://user:pass@fcm.googleapis.com/x",
    "https://fcm.googleapis.com\\@evil.com/x",
    "https://FCM.googleapis.com/x",
    "https://evil.com/https://fcm.googleapis.com/",
    "https://a.b.notify.windows.com/w/",  # the wildcard is one name
    "https://notify.windows.com/w/",
    "https://evilnotify.windows.com/w/",
    "https://db5p.notify.windows.com.evil.com/w/",
    "https://fcm.googleapis.com",  # no path
    "https://fcm.googleapis.com/x#fragment",
    "https://fcm.googleapis.com/x y",
    " https://fcm.googleapis.com/x",
    "https://fcm.googleapis.com/x\n",
    "https://fcm.googleapis.com/x\x00",
    "ftp://fcm.googleapis.com/x",
    "javascript:alert(1)",
    "https://fcm.googleapis.com/" + "a" * 1000,
    "",
)


@pytest.fixture
def post_json(client):
    """Return a function that sends JSON to the API with the session's CSRF token."""
    token = {}

    def send(path, body, method="POST"):
        if "value" not in token:
            token["value"] = csrf_from(client.get("/"))
        return client.open(path, method=method, json=body, headers={"X-CSRFToken": token["value"]})

    return send


@pytest.fixture
def service(app, monkeypatch):
    """Run a push service on a loopback port and allow it (only it) through PUSH_ENDPOINTS."""
    running = PushService()
    monkeypatch.setitem(app.config, "PUSH_ENDPOINTS", (running.url,))
    yield running
    running.stop()


@pytest.fixture
def fresh_queue(app, tmp_path, monkeypatch):
    """Give the app a queue of its own for the test (a new SQLite file); return it."""
    made = worker.make_queue(app, filename=tmp_path / "huey.db")
    monkeypatch.setitem(app.extensions, "queue", made)
    return made


@contextmanager
def running_worker(queue, workers=2):
    """Run huey's consumer in this process's threads, as `flask worker` runs it, then stop it.

    (Its scheduler and workers, without the signal handlers that only a main program sets.)
    """
    consumer = queue.huey.create_consumer(
        workers=workers, periodic=False, initial_delay=0.05, max_delay=0.2,
        check_worker_health=False,
    )  # fmt: skip
    consumer.scheduler.start()
    for _, thread in consumer.worker_threads:
        thread.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)


def subscribe(post_json, browser, endpoint):
    response = post_json("/api/v1/push/subscriptions", browser.subscription(endpoint))
    assert response.status_code == 201, response.json
    return response


def staff_client(app, create_user):
    """Return the auth helper of a second phone, logged in as staff."""
    staff = create_user("staff", name="Khun Malee")
    auth = AuthActions(app.test_client())
    assert auth.login(staff.phone).status_code == 302
    return auth


# --- Subscriptions -----------------------------------------------------------------------------


def test_the_server_key_is_made_once_into_instance_and_kept_private(app, client, login_as):
    login_as("volunteer")
    first = client.get("/api/v1/push/key").json["key"]
    assert client.get("/api/v1/push/key").json["key"] == first
    raw = unb64url(first)
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point
    path = Path(app.instance_path) / push.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(path.parent.glob(f".{push.KEY_FILE}.*")), "a draft key file was left"


@pytest.mark.parametrize("endpoint", DEFAULT_SERVICES)
def test_the_major_push_services_are_allowed_by_default(client, login_as, post_json, endpoint):
    login_as("volunteer")
    response = post_json("/api/v1/push/subscriptions", Browser().subscription(endpoint))
    assert response.status_code == 201, response.json
    assert response.json == {"endpoint": endpoint, "created": True}


@pytest.mark.parametrize("endpoint", REFUSED)
def test_any_other_address_is_refused_with_a_clear_message(client, login_as, post_json, endpoint):
    login_as("volunteer")
    response = post_json("/api/v1/push/subscriptions?lang=en", Browser().subscription(endpoint))
    assert response.status_code == 400
    assert response.json["error"] == "validation_failed"
    assert "endpoint" in response.json["fields"]
    assert db.session.scalar(select(PushSubscription.id)) is None


def test_the_refusal_is_in_thai_for_a_thai_phone(client, login_as, post_json):
    login_as("volunteer")
    response = post_json("/api/v1/push/subscriptions", Browser().subscription("https://evil.com/"))
    assert "บริการแจ้งเตือน" in response.json["fields"]["endpoint"]
    english = client.open(
        "/api/v1/push/subscriptions",
        method="POST",
        json=Browser().subscription("https://evil.com/"),
        headers={"X-CSRFToken": csrf_from(client.get("/")), "Accept-Language": "en"},
    )
    assert "push service" in english.json["fields"]["endpoint"]


def test_a_loopback_service_is_allowed_only_when_configured(
    app, client, login_as, post_json, monkeypatch
):
    login_as("volunteer")
    local = "http://127.0.0.1:8925/push/abc"
    assert post_json("/api/v1/push/subscriptions", Browser().subscription(local)).status_code == 400
    monkeypatch.setitem(app.config, "PUSH_ENDPOINTS", ("http://127.0.0.1:8925/push/",))
    assert post_json("/api/v1/push/subscriptions", Browser().subscription(local)).status_code == 201
    for other in ("http://127.0.0.1:8926/push/x", "http://127.0.0.1:8925/admin", local[:-4]):
        response = post_json("/api/v1/push/subscriptions", Browser().subscription(other))
        assert response.status_code == 400, other


def test_the_windows_wildcard_stands_for_one_name(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_ENDPOINTS", ("https://*.notify.windows.com/",))
    assert push.endpoint_allowed("https://db5p.notify.windows.com/w/?token=x")
    assert push.endpoint_allowed("https://wns2-by3p.notify.windows.com/w/")
    for host in ("a.b.notify.windows.com", "notify.windows.com", "-x.notify.windows.com"):
        assert not push.endpoint_allowed(f"https://{host}/w/")


def test_push_endpoints_come_from_the_environment_comma_separated(monkeypatch, tmp_path):
    from pwa_app import create_app

    monkeypatch.setenv("PUSH_ENDPOINTS", " https://push.example.org/ , https://*.example.net/ ,")
    configured = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert configured.config["PUSH_ENDPOINTS"] == (
        "https://push.example.org/",
        "https://*.example.net/",
    )


def bad_subscriptions():
    good = Browser().subscription(DEFAULT_SERVICES[0])
    not_a_point = Browser().subscription(DEFAULT_SERVICES[0])
    not_a_point["keys"]["p256dh"] = "BA" + "A" * 85  # 65 bytes, but no point on the curve
    return [
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, "keys.auth"),
        ({**good, "keys": {**good["keys"], "auth": "c2hvcnQ"}}, "keys.auth"),
        ({**good, "keys": {**good["keys"], "p256dh": "bm90IGEga2V5"}}, "keys.p256dh"),
        (not_a_point, "keys.p256dh"),
        ({**good, "keys": {**good["keys"], "p256dh": "+" * 87}}, "keys.p256dh"),
        ({**good, "keys": "secret"}, "keys"),
        ({**good, "keys": {**good["keys"], "extra": "x"}}, "keys.extra"),
        ({**good, "expirationTime": "soon"}, "expirationTime"),
        ({**good, "expirationTime": True}, "expirationTime"),
        ({**good, "userId": 1}, "userId"),
        ({k: v for k, v in good.items() if k != "endpoint"}, "endpoint"),
        ({**good, "endpoint": 42}, "endpoint"),
        ([good], "body"),
        ("endpoint", "body"),
    ]


@pytest.mark.parametrize(("body", "field"), bad_subscriptions())
def test_a_subscription_is_checked_strictly(client, login_as, post_json, body, field):
    login_as("volunteer")
    response = post_json("/api/v1/push/subscriptions", body)
    assert response.status_code == 400
    assert field in response.json["fields"], response.json
    assert db.session.scalar(select(PushSubscription.id)) is None


def test_a_body_that_is_not_json_is_refused(client, login_as):
    login_as("volunteer")
    token = csrf_from(client.get("/"))
    for method in ("POST", "DELETE"):
        response = client.open(
            "/api/v1/push/subscriptions",
            method=method,
            data="endpoint=x",
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json["error"] == "invalid_json"


def test_changing_subscriptions_needs_the_csrf_token(client, login_as):
    login_as("volunteer")
    body = Browser().subscription(DEFAULT_SERVICES[0])
    for method in ("POST", "DELETE"):
        response = client.open("/api/v1/push/subscriptions", method=method, json=body)
        assert response.status_code == 400
        assert response.json["error"] == "csrf_failed"
    assert db.session.scalar(select(PushSubscription.id)) is None


def test_a_browser_belongs_to_the_user_who_subscribed_it_last(client, auth, create_user, post_json):
    first, second = create_user("volunteer"), create_user("volunteer")
    browser = Browser()
    endpoint = DEFAULT_SERVICES[2]
    auth.login(first.phone)
    subscribe(post_json, browser, endpoint)
    auth.logout()
    auth.login(second.phone)
    again = client.open(
        "/api/v1/push/subscriptions", method="POST", json=browser.subscription(endpoint),
        headers={"X-CSRFToken": csrf_from(client.get("/"))},
    )  # fmt: skip
    assert again.status_code == 200 and again.json["created"] is False
    rows = db.session.scalars(select(PushSubscription)).all()
    assert [row.user_id for row in rows] == [second.id]


def test_the_same_browser_subscribing_twice_at_once_makes_one_row(
    client, login_as, post_json, monkeypatch
):
    user = login_as("volunteer")
    browser = Browser()
    subscribe(post_json, browser, DEFAULT_SERVICES[1])
    looked = []
    real = push._subscription_at

    def not_yet_there(endpoint):  # the other request inserts between the look and the insert
        looked.append(endpoint)
        return None if len(looked) == 1 else real(endpoint)

    monkeypatch.setattr(push, "_subscription_at", not_yet_there)
    again = post_json("/api/v1/push/subscriptions", browser.subscription(DEFAULT_SERVICES[1]))
    assert again.status_code == 200 and again.json["created"] is False
    rows = db.session.scalars(select(PushSubscription)).all()
    assert [(row.endpoint, row.user_id) for row in rows] == [(DEFAULT_SERVICES[1], user.id)]


def test_a_user_can_stop_only_their_own_browsers(client, auth, create_user, app):
    owner, other = create_user("volunteer"), create_user("volunteer")
    endpoint = DEFAULT_SERVICES[0]
    auth.login(owner.phone)
    token = csrf_from(client.get("/"))
    client.post("/api/v1/push/subscriptions", json=Browser().subscription(endpoint),
                headers={"X-CSRFToken": token})  # fmt: skip
    intruder = AuthActions(app.test_client())
    intruder.login(other.phone)
    answer = intruder.client.delete(
        "/api/v1/push/subscriptions", json={"endpoint": endpoint},
        headers={"X-CSRFToken": csrf_from(intruder.client.get("/"))},
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json == {"deleted": False}
    assert db.session.scalar(select(PushSubscription.user_id)) == owner.id
    mine = client.delete(
        "/api/v1/push/subscriptions", json=Browser().subscription(endpoint),
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert mine.json == {"deleted": True}
    assert db.session.scalar(select(PushSubscription.id)) is None


def test_a_user_keeps_at_most_ten_browsers_the_newest(client, login_as, post_json):
    user = login_as("volunteer")
    for n in range(push.SUBSCRIPTIONS_PER_USER + 2):
        subscribe(post_json, Browser(), f"{DEFAULT_SERVICES[0]}-{n:02d}")
    kept = db.session.scalars(
        select(PushSubscription.endpoint).where(PushSubscription.user_id == user.id)
    ).all()
    assert len(kept) == push.SUBSCRIPTIONS_PER_USER
    assert f"{DEFAULT_SERVICES[0]}-00" not in kept
    assert f"{DEFAULT_SERVICES[0]}-11" in kept


# --- Delivery ----------------------------------------------------------------------------------


def test_the_worker_process_pushes_a_thank_you_encrypted_for_the_phone_and_signed(
    app, client, login_as, post_json, create_user, service, tmp_path, database_url
):
    """End to end: subscribe, staff thank, `flask worker` sends, the phone decrypts."""
    volunteer = login_as("volunteer")
    browser = Browser()
    subscribe(post_json, browser, f"{service.url}push/phone-1")
    server_key = client.get("/api/v1/push/key").json["key"]
    queue_file = tmp_path / "huey.db"
    app.extensions["queue"] = worker.make_queue(app, filename=queue_file)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PUSH_ENDPOINTS": service.url,
        "WORKER_TEST_DATABASE": db.engine.url.render_as_string(hide_password=False),
        "WORKER_TEST_INSTANCE": app.instance_path,
        "WORKER_TEST_QUEUE": str(queue_file),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tests.worker_app", "worker", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        staff = staff_client(app, create_user)
        response = staff.post(f"/volunteers/{volunteer.id}/thank", {"message": "เยี่ยมมาก"})
        assert response.status_code == 302
        (delivery,) = service.wait_for(1)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        app.extensions["queue"] = None
    assert "Huey consumer started" in output, output

    note = db.session.scalar(select(Notification).where(Notification.user_id == volunteer.id))
    assert delivery.path == "/push/phone-1"
    assert browser.read(delivery) == {
        "title": "Khun Malee ขอบคุณคุณ",
        "body": "“เยี่ยมมาก”",
        "url": f"/notifications/{note.id}",
        "tag": f"notification-{note.id}",
        "lang": "th",
    }
    assert delivery.headers["ttl"] == str(app.config["PUSH_TTL_SECONDS"])
    header, claims = vapid_claims(delivery, server_key)
    assert header["alg"] == "ES256"
    assert claims["aud"] == service.url.rstrip("/")
    assert claims["sub"].startswith(("mailto:", "https://"))
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600


def test_a_push_speaks_the_recipients_language(
    app, client, login_as, post_json, create_user, service, fresh_queue
):
    volunteer = login_as("volunteer")
    staff = create_user("staff", name="Khun Malee")
    browser = Browser()
    subscribe(post_json, browser, f"{service.url}push/en")
    client.get("/?lang=en")  # the volunteer chooses English: it is remembered
    with running_worker(fresh_queue):
        recognition.thank(volunteer, staff)
        db.session.commit()
        (delivery,) = service.wait_for(1)
    shown = browser.read(delivery)
    assert (shown["title"], shown["body"], shown["lang"]) == (
        "Khun Malee thanked you",
        "For your work as a volunteer.",
        "en",
    )


def test_a_subscription_the_push_service_forgot_is_deleted(
    app, client, login_as, post_json, service, monkeypatch, tmp_path
):
    """Huey in immediate mode: the push is sent as the transaction commits, in this thread."""
    monkeypatch.setitem(app.config, "HUEY_IMMEDIATE", True)
    monkeypatch.setitem(app.extensions, "queue", worker.make_queue(app))
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), f"{service.url}push/gone")
    subscribe(post_json, Browser(), f"{service.url}push/alive")
    service.answers = [(410, {}), (201, {})]
    notifications.notify(volunteer, "thanks", "Thanks")
    db.session.commit()
    service.wait_for(2)
    kept = db.session.scalars(select(PushSubscription.endpoint)).all()
    gone = service.deliveries[0].path  # the one the service forgot (answered 410)
    alive = service.deliveries[1].path
    assert {gone, alive} == {"/push/gone", "/push/alive"}
    assert kept == [service.url + alive.lstrip("/")]


def test_a_busy_push_service_is_tried_again_with_backoff(
    client, login_as, post_json, service, fresh_queue, monkeypatch
):
    monkeypatch.setattr(worker, "RETRY_DELAYS", (0, 0, 0))
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), f"{service.url}push/busy")
    service.answers = [(503, {}), (429, {}), (201, {})]
    with running_worker(fresh_queue):
        notifications.notify(volunteer, "thanks", "Thanks")
        db.session.commit()
        assert [d.path for d in service.wait_for(3)] == ["/push/busy"] * 3
    assert db.session.scalar(select(PushSubscription.id)) is not None


def test_a_push_that_keeps_failing_is_given_up_after_a_few_tries(
    client, login_as, post_json, service, fresh_queue, monkeypatch
):
    monkeypatch.setattr(worker, "RETRY_DELAYS", (0, 0))
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), f"{service.url}push/down")
    service.answers = [(500, {})]
    with running_worker(fresh_queue):
        notifications.notify(volunteer, "thanks", "Thanks")
        db.session.commit()
        service.wait_for(3)
        time.sleep(2.5)  # two turns of the scheduler: a fourth try would have come by now
    assert len(service.deliveries) == 3
    assert fresh_queue.huey.scheduled_count() == 0


def test_the_waits_grow_and_honour_retry_after(app, client, login_as, post_json, service):
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), f"{service.url}push/slow")
    note = notifications.notify(volunteer, "thanks", "Thanks")
    db.session.commit()
    subscription_id = db.session.scalar(select(PushSubscription.id))
    service.answers = [(429, {"Retry-After": "3600"})]
    assert push.deliver(subscription_id, note.id) == push.Outcome("retry", 3600)
    assert list(worker.RETRY_DELAYS) == sorted(worker.RETRY_DELAYS)
    assert len(worker.RETRY_DELAYS) >= 3


def test_a_redirect_from_a_push_service_is_not_followed(app, client, login_as, post_json, service):
    elsewhere = PushService()
    try:
        volunteer = login_as("volunteer")
        subscribe(post_json, Browser(), f"{service.url}push/moved")
        service.answers = [(307, {"Location": f"{elsewhere.url}steal"})]
        note = notifications.notify(volunteer, "thanks", "Thanks")
        db.session.commit()
        subscription_id = db.session.scalar(select(PushSubscription.id))
        assert push.deliver(subscription_id, note.id).status == "failed"
        assert elsewhere.deliveries == []
    finally:
        elsewhere.stop()


def test_a_subscription_at_a_service_no_longer_allowed_is_not_called(
    app, client, login_as, post_json, service, monkeypatch
):
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), f"{service.url}push/old")
    note = notifications.notify(volunteer, "thanks", "Thanks")
    db.session.commit()
    monkeypatch.setitem(app.config, "PUSH_ENDPOINTS", ("https://fcm.googleapis.com/",))
    subscription_id = db.session.scalar(select(PushSubscription.id))
    assert push.deliver(subscription_id, note.id).status == "failed"
    assert service.deliveries == []


def test_a_notification_read_in_the_app_is_not_pushed_late(
    app, client, login_as, post_json, service
):
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), f"{service.url}push/late")
    note = notifications.notify(volunteer, "thanks", "Thanks")
    db.session.commit()
    client.get(f"/notifications/{note.id}")
    subscription_id = db.session.scalar(select(PushSubscription.id))
    assert push.deliver(subscription_id, note.id).status == "failed"
    assert service.deliveries == []


# --- The queue, and a queue that is down -------------------------------------------------------


def test_a_notification_is_queued_only_once_its_transaction_commits(
    client, login_as, post_json, fresh_queue
):
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), DEFAULT_SERVICES[0])
    notifications.notify(volunteer, "thanks", "Thanks")
    assert fresh_queue.huey.pending_count() == 0  # flushed, not committed: nothing yet
    db.session.rollback()
    db.session.commit()
    assert fresh_queue.huey.pending_count() == 0  # rolled back: never
    with db.session.begin_nested():
        notifications.notify(volunteer, "thanks", "Thanks")
        db.session.rollback()  # a savepoint given up inside a committed transaction
    notifications.notify(volunteer, "thanks", "Thanks")
    db.session.commit()
    assert fresh_queue.huey.pending_count() == 1


def test_a_user_without_a_phone_queues_nothing(create_user, fresh_queue):
    volunteer = create_user("volunteer")
    notifications.notify(volunteer, "thanks", "Thanks")
    db.session.commit()
    assert fresh_queue.huey.pending_count() == 0


def closed_port():
    """Return a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_with_redis_down_the_thanks_still_go_through_and_wait_in_the_list(
    app, client, login_as, post_json, create_user, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setitem(app.extensions, "queue", None)  # rebuilt on Redis at first use
    volunteer = login_as("volunteer")
    subscribe(post_json, Browser(), DEFAULT_SERVICES[0])
    staff = staff_client(app, create_user)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="pwa_app.worker"):
        response = staff.post(f"/volunteers/{volunteer.id}/thank", {"message": "ขอบคุณ"})
    assert response.status_code == 302
    assert time.monotonic() - started < worker.REDIS_CONNECT_TIMEOUT + 3
    assert type(worker.queue().huey).__name__ == "RedisHuey"
    assert "could not queue push_notification" in caplog.text
    page = client.get("/notifications").get_data(as_text=True)
    assert "Khun Malee ขอบคุณคุณ" in page


def test_the_evening_reminder_is_a_periodic_task_of_the_worker(app, fresh_queue):
    periodic = {task.__name__ for task in fresh_queue.huey._registry._periodic_tasks}
    assert periodic == {"remind_follow_ups", "clean_photos"}
    # 17:00 to 20:00 in Thailand (huey's clock is UTC): the first run reminds, the others
    # catch up after a worker that was down.
    runs = [hour for hour in range(24) if worker.FOLLOW_UPS_AT(datetime(2026, 12, 9, hour, 0))]
    assert runs == [10, 11, 12, 13]
    assert not worker.FOLLOW_UPS_AT(datetime(2026, 12, 9, 10, 30))
    assert worker.remind_follow_ups() == 0  # runs in the app: nothing due, nobody reminded
