"""Offline first: installable, usable with no signal, and every visit delivered exactly once."""

import socket
import threading

from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Visit
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, HANG_MS, new_context
from tests.conftest import PASSWORD

# Ready for a day without signal: the service worker controls the page, every page of the
# app shell is cached and the volunteer's household list is on the phone.
READY = """async () => {
  await navigator.serviceWorker.ready;
  await window.PwaApp.ready;
  // The background kit is fetched (or given up for this start): nothing is still under way.
  const root = document.documentElement;
  await new Promise((done) => {
    const look = () => ('laterPagesCached' in root.dataset ? done() : setTimeout(look, 50));
    look();
  });
  const pages = await caches.open('pages-v1');
  // (The question form comes in the background once the app is ready: wait for it too, so
  // that no fetch is still under way when the signal goes.)
  const shell = await Promise.all(['/', '/scan', '/outbox', '/visits/new?shell=1',
    '/messages/new?shell=1'].map((path) => pages.match(path)));
  const households = await window.PwaOutbox.getMeta(`households:${window.PwaApp.userId}`);
  return Boolean(navigator.serviceWorker.controller && shell.every(Boolean)
    && households && households.checked_at);
}"""
EMPTY = "ไม่มีรายการรอส่ง"


def visits_in_db():
    db.session.rollback()  # end the test's snapshot to see what the server committed
    return db.session.scalar(select(func.count(Visit.id)))


def log_in_and_prime(page, url, user):
    """Log in online and wait until the app shell and the household list are on the phone."""
    page.goto(f"{url}/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    for _ in range(40):  # each start of the app fetches what the phone still lacks
        if page.evaluate(READY):
            break
        page.reload()
    assert page.evaluate(READY), "the app never got ready to work offline"


def go_offline(page, live):
    """No signal: the page is offline and the server unreachable (the service worker's
    own requests, such as Background Sync, are not covered by the browser's offline mode)."""
    page.context.set_offline(True)
    live.stop()


def go_online(page, live, wsgi=None):
    """Signal again."""
    live.start(wsgi)
    page.context.set_offline(False)


def open_outbox(page, url):
    """Open the outbox page once the app has started (its own first send has an answer)."""
    page.goto(f"{url}/outbox")
    page.evaluate("window.PwaApp.ready")


def outbox_state(page):
    """The badge's data-outbox-state: "sending", "waiting" (for a later try) or "idle"."""
    return page.locator("[data-outbox-badge]").get_attribute("data-outbox-state")


def expect_outbox_state(page, state):
    expect(page.locator("[data-outbox-badge]")).to_have_attribute("data-outbox-state", state)


def press_send_now(page):
    """Press "send now" and wait for the answer to that send: the button is disabled until
    it has one, and the status line then says it."""
    button = page.locator("[data-send-now]")
    button.click()
    expect(button).to_be_enabled()


def expect_outbox_empty(page):
    """Wait until the outbox page shows nothing waiting and nothing is being sent."""
    expect(page.locator("[data-outbox-list]")).to_contain_text(EMPTY)
    expect_outbox_state(page, "idle")


def send_until_empty(page, url, tries=6):
    """Press "send now" until nothing waits (each press is one more try, seen to its answer)."""
    open_outbox(page, url)
    for _ in range(tries):
        if outbox_state(page) == "idle":
            break
        press_send_now(page)
    expect_outbox_empty(page)


def wait_for_badge(page, text):
    expect(page.locator("[data-outbox-badge]")).to_contain_text(text)


def log_visit_offline(page, url, code, notes, answer_new_visit=True):
    """Log a visit through the scan page; "a new visit?" (a second one soon after) says yes."""

    def answer(dialog):
        dialog.accept() if answer_new_visit else dialog.dismiss()

    page.on("dialog", answer)
    try:
        _log_visit_offline(page, url, code, notes)
    finally:
        page.remove_listener("dialog", answer)


def _log_visit_offline(page, url, code, notes):
    page.goto(f"{url}/scan")
    page.fill("input[name=household]", code)
    page.click("form[action='/visits/new'] button[type=submit]")
    page.locator("[data-household-title]").filter(has_text=code).wait_for()
    page.click("label.radio-yellow")
    page.click("label.radio-routine")
    page.fill("textarea[name=notes]", notes)
    page.click("button[data-save]")
    page.wait_for_url(f"{url}/households/{code.upper()}")
    page.locator(".alert-ok").wait_for()


def test_chromium_finds_the_app_installable(playwright, live_server, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        timeout=HANG_MS,
    )
    context.set_default_timeout(HANG_MS)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()
    session = context.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    manifest = session.send("Page.getAppManifest")
    context.close()
    assert errors == []
    assert manifest["errors"] == []


def test_visits_logged_offline_wait_and_arrive_exactly_once(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)

    go_offline(page, live)
    page.goto(f"{live.url}/")
    log_visit_offline(page, live.url, household.code.lower(), "ครั้งที่หนึ่ง")
    assert "บันทึกการเยี่ยมไว้ในโทรศัพท์แล้ว" in page.locator(".alert-ok").inner_text()
    # A second visit to the same household minutes later is asked about: yes, a new one.
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    log_visit_offline(page, live.url, household.code, "ครั้งที่สอง")
    assert "นี่เป็นการเยี่ยมอีกครั้งหรือไม่" in questions[0]
    page.reload()
    wait_for_badge(page, "รอส่ง 2")
    open_outbox(page, live.url)  # its first send found no signal
    expect(page.locator(".outbox-entry")).to_have_count(2)
    expect_outbox_state(page, "waiting")
    assert visits_in_db() == 0

    go_online(page, live)  # the app hears the signal come back and sends by itself
    expect_outbox_empty(page)
    assert visits_in_db() == 2
    notes = set(db.session.scalars(select(Visit.notes)))
    assert notes == {"ครั้งที่หนึ่ง", "ครั้งที่สอง"}
    press_send_now(page)
    expect(page.locator("[data-send-status]")).to_contain_text("ส่งแล้ว")
    assert visits_in_db() == 2


def test_a_scanned_card_is_recognised_offline_by_its_hash_alone(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)
    page.goto(f"{live.url}/scan")
    found = page.evaluate(
        "async (token) => (await window.PwaOutbox.findHousehold(window.PwaApp.userId, token))",
        household.qr_token,
    )
    assert found["code"] == household.code
    assert household.qr_token not in page.evaluate(
        STORED_HOUSEHOLDS
    )  # the phone holds the card's hash, not the card


# The phone as the previous version of the app left it: a visit waiting in the outbox and a
# household list that held each card's token, with the ETag it was fetched with.
VERSION_1 = """async ([userId, household, token, visit]) => {
  await new Promise((resolve, reject) => {
    const open = indexedDB.open('pwa_app', 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore('outbox', { keyPath: 'client_uuid' }).createIndex('user_id', 'user_id');
      const store = db.createObjectStore('households', { keyPath: ['user_id', 'code'] });
      store.createIndex('token', ['user_id', 'qr_token']);
      store.createIndex('user_id', 'user_id');
      db.createObjectStore('meta', { keyPath: 'key' });
    };
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(['outbox', 'households', 'meta'], 'readwrite');
      tx.objectStore('outbox').put({ client_uuid: visit.client_uuid, user_id: userId,
        payload: visit, label: household, status: 'waiting', created_at: new Date().toISOString(),
        attempts: 0, next_attempt_at: null, error: null, fields: {}, message: null });
      tx.objectStore('households').put({ user_id: userId, code: household, qr_token: token,
        head_name: 'x', village: 'NI-01', tags: [], last_visit_at: null });
      tx.objectStore('meta').put({ key: `households:${userId}`,
        value: { etag: 'old', checked_at: 1, count: 1 } });
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  });
}"""
STORED_HOUSEHOLDS = """async () => JSON.stringify(await new Promise((resolve) => {
  const open = indexedDB.open('pwa_app');
  open.onsuccess = () => {
    const all = open.result.transaction('households').objectStore('households').getAll();
    all.onsuccess = () => resolve(all.result);
  };
}))"""


def test_the_upgrade_from_the_previous_version_keeps_waiting_visits_and_drops_card_tokens(
    page, live, create_user, create_household
):
    import json
    import uuid
    from datetime import UTC, datetime

    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    visit = {
        "client_uuid": str(uuid.uuid4()),
        "household": household.code,
        "visited_at": datetime.now(UTC).isoformat(),
        "kind": "routine",
        "wellbeing": "green",
        "needs": [],
        "notes": "ก่อนอัปเดต",
        "location": None,
        "assistance": [],
    }
    page.goto(f"{live.url}/healthz")  # the origin, before any of the app's scripts ran
    page.evaluate(VERSION_1, [volunteer.id, household.code, household.qr_token, visit])
    log_in_and_prime(page, live.url, volunteer)
    expect_outbox_state(page, "idle")
    assert visits_in_db() == 1  # the visit queued before the upgrade was delivered
    stored = json.loads(page.evaluate(STORED_HOUSEHOLDS))
    assert [h["code"] for h in stored] == [household.code]
    assert "qr_token" not in stored[0] and len(stored[0]["qr_hash"]) == 64


def test_a_server_that_dies_during_a_send_still_ends_with_one_row_each(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-02"])
    household = create_household("NI-02", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)  # the server is down while the phone tries to send
    log_visit_offline(page, live.url, household.code, "ก่อนไฟดับ")
    log_visit_offline(page, live.url, household.code, "ระหว่างไฟดับ")
    assert visits_in_db() == 0

    # Back up, but the first sync dies after the server committed, before it answered.
    lost_answers, one_at_a_time = [], threading.Lock()

    def dies_after_commit(environ, start_response):
        if environ["PATH_INFO"] != "/api/v1/visits/sync":
            return live.app(environ, start_response)
        # The page, its timer and Background Sync may send at the same moment: the syncs
        # are served one at a time, so the first one, which dies, also commits first.
        with one_at_a_time:
            if not lost_answers:
                lost_answers.append(b"".join(live.app(environ, lambda *args: None)))
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)  # gone without a word
                raise ConnectionAbortedError("server died before answering")
            return live.app(environ, start_response)

    go_online(page, live, dies_after_commit)
    send_until_empty(page, live.url)
    assert len(lost_answers) == 1 and b'"created"' in lost_answers[0]
    assert visits_in_db() == 2


def test_a_rejected_visit_is_shown_and_can_be_fixed(page, live, create_user, create_household):
    volunteer = create_user("volunteer", areas=["NI-03"])
    household = create_household("NI-03", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)
    log_visit_offline(page, live.url, household.code, "ยาว" * 3000)
    go_online(page, live)

    open_outbox(page, live.url)
    press_send_now(page)
    rejected = page.locator(".outbox-entry.status-rejected")
    rejected.wait_for()
    assert "บันทึกยาวได้ไม่เกิน 4000 ตัวอักษร" in rejected.inner_text()
    wait_for_badge(page, "ต้องแก้ 1")
    assert visits_in_db() == 0

    rejected.locator("a", has_text="แก้ไข").click()
    notes = page.locator("textarea[name=notes]")
    notes.wait_for()
    page.locator(".field.has-error").filter(has_text="บันทึกยาวได้ไม่เกิน").wait_for()
    notes.fill("สั้นลงแล้ว")
    page.click("button[data-save]")
    page.wait_for_url(f"{live.url}/households/{household.code}")
    expect_outbox_state(page, "idle")
    assert visits_in_db() == 1
    open_outbox(page, live.url)
    expect_outbox_empty(page)


def test_another_user_on_the_phone_does_not_send_the_first_users_visits(
    browser, live, create_user, create_household
):
    first = create_user("volunteer", areas=["NI-04"])
    second = create_user("volunteer", areas=["NI-04"])
    household = create_household("NI-04")
    context = new_context(browser, locale="th-TH", timezone_id="Asia/Bangkok")
    page = context.new_page()
    log_in_and_prime(page, live.url, first)
    go_offline(page, live)
    log_visit_offline(page, live.url, household.code, "ของคนแรก")
    context.set_offline(False)
    page.once("dialog", lambda dialog: dialog.accept())  # "visits are waiting: log out?"

    def refuses_sync(environ, start_response):
        """Pages answer, syncs do not: the first user's visit stays on the phone."""
        if environ["PATH_INFO"] == "/api/v1/visits/sync":
            raise ConnectionAbortedError("no sync before the logout")
        return live.app(environ, start_response)

    live.start(refuses_sync)
    page.evaluate("document.querySelector('form[data-logout]').requestSubmit()")
    page.wait_for_url(f"{live.url}/login")
    live.stop()
    live.start()
    page.goto(f"{live.url}/login")
    page.fill("input[name=phone]", second.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/")
    page.evaluate("window.PwaApp.ready")
    open_outbox(page, live.url)
    page.locator("[data-outbox-others]").filter(has_text="ของบัญชีอื่น").wait_for()
    press_send_now(page)
    expect(page.locator("[data-send-status]")).to_contain_text("ส่งแล้ว: 0")
    assert visits_in_db() == 0
    context.close()


def test_an_expired_session_keeps_the_outbox_and_asks_to_log_in(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-05"])
    household = create_household("NI-05", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)
    log_visit_offline(page, live.url, household.code, "รอหลายวัน")
    page.context.clear_cookies()  # days later: the server no longer knows this phone
    go_online(page, live)
    state = page.evaluate("async () => (await window.PwaApp.syncNow({ force: true })).state")
    assert state == "login"  # the API answered 401
    page.locator("[data-login-needed]").wait_for()
    assert page.evaluate("async () => (await window.PwaOutbox.entries(null)).length") == 1
    assert visits_in_db() == 0

    page.locator("[data-login-needed] a").click()
    page.fill("input[name=phone]", volunteer.phone)
    page.fill("input[name=password]", PASSWORD)
    assert "รอส่ง" in page.locator("[data-waiting-notice]").inner_text()
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/outbox")
    expect_outbox_empty(page)
    assert visits_in_db() == 1


def test_a_full_phone_says_so_and_keeps_the_form(page, live, create_user, create_household):
    volunteer = create_user("volunteer", areas=["NI-06"])
    household = create_household("NI-06", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    page.goto(f"{live.url}/visits/new?household={household.code}")
    page.evaluate("window.PwaApp.ready")  # from here the form saves through the phone's outbox
    page.evaluate("""() => {
      window.PwaOutbox.add = () => Promise.reject(new DOMException('full', 'QuotaExceededError'));
    }""")
    page.fill("textarea[name=notes]", "ไม่อยากให้หาย")
    page.click("button[data-save]")
    page.locator(".visit-form-errors").filter(has_text="พื้นที่เก็บข้อมูลในโทรศัพท์เต็ม").wait_for()
    assert page.input_value("textarea[name=notes]") == "ไม่อยากให้หาย"
    assert page.url.endswith(f"/visits/new?household={household.code}")
