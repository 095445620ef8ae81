"""Notifications on the phone: the service worker shows a push, the opt-in subscribes.

Headless Chromium has no push service of its own, so the push is handed to the service worker
through the DevTools protocol (ServiceWorker.deliverPushMessage), as a push service would hand
it over, and the browser's PushManager.subscribe answers from a stub with a real key pair; the
server's side (the key, the subscription, its checks) is the real one.
"""

import functools
import json
import time

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import PushSubscription
from pwa_app.services import notifications, push
from tests.browser.conftest import HANG_MS, new_context
from tests.browser.test_field_flow import log_in
from tests.push_service import Browser, unb64url

ENDPOINT = "https://fcm.googleapis.com/fcm/send/browser-test:APA91b"

# The browser's PushManager, answering from a subscription this test holds (no push service);
# what it subscribed with outlives a page, as a browser's subscription does.
STUB_PUSH_MANAGER = """(subscription) => {
  const made = () => ({
    endpoint: subscription.endpoint,
    options: { applicationServerKey: Uint8Array.from(JSON.parse(localStorage.pushKey)).buffer },
    toJSON: () => subscription,
    unsubscribe: async () => { localStorage.removeItem("pushKey"); return true; },
  });
  PushManager.prototype.getSubscription = async function () {
    return localStorage.pushKey ? made() : null;
  };
  PushManager.prototype.subscribe = async function (options) {
    localStorage.pushKey = JSON.stringify(Array.from(new Uint8Array(options.applicationServerKey)));
    return made();
  };
}"""
SUBSCRIBED_WITH = "localStorage.pushKey ? JSON.parse(localStorage.pushKey) : null"

WORKER_READY = "async () => { await navigator.serviceWorker.ready; return true; }"
SHOWN = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url }))"""


def shown_once(page, condition, looks=200):
    """Return the notifications shown once they meet the condition, looking again every 50 ms.

    (wait_for_function takes an async predicate's promise for a true answer: it cannot wait
    for what getNotifications() resolves to.)
    """
    for _ in range(looks):
        shown = page.evaluate(SHOWN)
        if condition(shown):
            return shown
        page.wait_for_timeout(50)
    raise AssertionError(f"the notifications never met the condition: {shown}")


def pushed_until_shown(page, cdp, live_server, registration, data, condition, tries=3):
    """Deliver a push message until what it shows meets the condition; return what is shown.

    A push service delivers at least once, and a loaded headless Chromium has been seen to
    drop a message handed to a busy worker: the same message (same tag, so it replaces, never
    doubles) is handed over again after each look that finds nothing.
    """
    for attempt in range(tries):
        deliver(cdp, live_server, registration, data)
        try:
            return shown_once(page, condition)
        except AssertionError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def phone(browser, **options):
    """A Thai phone that allows the app's notifications."""
    context = new_context(
        browser, viewport={"width": 360, "height": 740}, locale="th-TH", is_mobile=True,
        has_touch=True, **options,
    )  # fmt: skip
    context.grant_permissions(["notifications"])
    return context


def registration_id(page, cdp, scope):
    """Return the id of the service worker registration for a scope, through DevTools."""
    found = {}

    def note(event):
        found.update({r["scopeURL"]: r["registrationId"] for r in event["registrations"]})

    cdp.on("ServiceWorker.workerRegistrationUpdated", note)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + HANG_MS / 1000
    while scope not in found and time.monotonic() < deadline:
        page.evaluate("0")  # a round trip lets the reported registrations in
    return found[scope]


def deliver(cdp, live_server, registration, data):
    """Hand a push message to the app's service worker, as a push service would."""
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server, "registrationId": registration, "data": data},
    )


def test_the_service_worker_shows_a_push_without_the_network(
    browser, live, live_server, create_user
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    context = phone(browser)
    page = context.new_page()
    log_in(page, live_server, volunteer)
    page.evaluate(WORKER_READY)
    page.evaluate("window.PwaApp.ready")
    note = notifications.notify(volunteer, "thanks", "%(name)s thanked you", params={"name": "มาลี"})
    db.session.commit()
    message = push.payload(note, "th").decode()

    cdp = context.new_cdp_session(page)
    registration = registration_id(page, cdp, f"{live_server}/")
    live.stop()  # no network: what shows comes from the message alone
    push_until_shown = functools.partial(pushed_until_shown, page, cdp, live_server, registration)
    assert push_until_shown(message, lambda shown: len(shown) == 1) == [
        {
            "title": "มาลี ขอบคุณคุณ",
            "body": "",
            "tag": f"notification-{note.id}",
            "url": f"/notifications/{note.id}",
        }
    ]
    evil = {"title": "x", "url": "https://evil.example/steal", "tag": "evil"}
    # Read it in the same look that finds it: headless Chromium may let a shown notification
    # go again before a second look.
    shown = push_until_shown(json.dumps(evil), lambda shown: any(n["title"] == "x" for n in shown))
    evil = next(n for n in shown if n["title"] == "x")
    assert evil["url"] == "/notifications"  # a tap never leaves the app
    context.close()


def test_the_opt_in_asks_on_a_tap_subscribes_and_turns_off(browser, live_server, create_user):
    volunteer = create_user("volunteer", areas=["NI-01"])
    browser_keys = Browser()
    context = phone(browser)
    context.add_init_script(
        f"({STUB_PUSH_MANAGER})({json.dumps(browser_keys.subscription(ENDPOINT))})"
    )
    page = context.new_page()
    log_in(page, live_server, volunteer)
    page.evaluate("window.PwaApp.ready")
    offer = page.locator("[data-push-optin]")
    offer.wait_for(state="visible")
    assert page.evaluate(SUBSCRIBED_WITH) is None  # nothing before the tap
    assert not any("push.js" in r for r in page.evaluate(
        "performance.getEntriesByType('resource').map((r) => r.name)"))  # fmt: skip

    offer.get_by_role("button", name="รับการแจ้งเตือน").click()
    page.locator("[data-push-optin][data-push-state=on]").wait_for()
    assert "เปิดการแจ้งเตือนบนโทรศัพท์เครื่องนี้แล้ว" in offer.inner_text()
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == ENDPOINT))
    assert row is not None and row.user_id == volunteer.id
    assert bytes(page.evaluate(SUBSCRIBED_WITH)) == unb64url(push.public_key())

    page.goto(f"{live_server}/")
    page.evaluate("window.PwaApp.ready")
    assert page.locator("[data-push-optin]").count() == 0  # subscribed: the home offers no more

    page.goto(f"{live_server}/notifications")
    settings = page.locator("[data-push-optin][data-push-state=on]")
    settings.wait_for()
    settings.get_by_role("button", name="ปิดการแจ้งเตือน").click()
    page.locator("[data-push-optin][data-push-state=off]").wait_for()
    db.session.rollback()  # a new snapshot: what the server did since
    assert db.session.scalar(select(PushSubscription.id)) is None
    context.close()


def test_logging_out_stops_this_phones_notifications(browser, live_server, create_user):
    volunteer = create_user("volunteer", areas=["NI-01"])
    context = phone(browser)
    context.add_init_script(
        f"({STUB_PUSH_MANAGER})({json.dumps(Browser().subscription(ENDPOINT))})"
    )
    page = context.new_page()
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server}/notifications")
    page.locator("[data-push-optin][data-push-state=off]").wait_for()
    page.get_by_role("button", name="รับการแจ้งเตือน").click()
    page.locator("[data-push-optin][data-push-state=on]").wait_for()
    assert db.session.scalar(select(PushSubscription.user_id)) == volunteer.id

    page.click(".menu-button")
    page.click("form[data-logout] button")
    page.wait_for_url("**/login**")
    db.session.rollback()  # a new snapshot: what the server did since
    assert db.session.scalar(select(PushSubscription.id)) is None
    context.close()
