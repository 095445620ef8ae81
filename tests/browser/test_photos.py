"""Photos on a visit: shrunk on the phone, kept in the outbox offline, uploaded once after their
visit, and never at the cost of the visit (a full phone, a server that dies mid-upload)."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Agency, Encounter, Photo, Visit
from tests.browser.conftest import new_context
from tests.browser.test_accessibility import PHONE, serious_violations, small_targets
from tests.browser.test_encounters import SHELL_READY, staff_page, take_step
from tests.browser.test_offline import (
    expect_outbox_state,
    go_offline,
    go_online,
    log_in_and_prime,
    open_outbox,
    send_until_empty,
)
from tests.test_crash import free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")
EXIF_ORIENTATION = 0x0112
ROTATED_90 = 6  # the camera was held upright: shown turned a quarter

# What the phone keeps of each photo, read from its outbox (IndexedDB), blob decoded again.
STORED_PHOTOS = """async () => Promise.all((await window.PwaOutbox.photos(null)).map(async (p) => {
  const photo = p;
  const bitmap = photo.blob ? await createImageBitmap(photo.blob) : null;
  return { state: photo.state, item_uuid: photo.item_uuid, size: photo.blob?.size,
    type: photo.blob?.type, width: bitmap?.width, height: bitmap?.height };
}))"""


def camera_photo():
    """A 3000x2000 JPEG as a phone's camera makes it: big, detailed, turned by its EXIF."""
    gradient = Image.linear_gradient("L").resize((3000, 2000))
    noise = Image.effect_noise((3000, 2000), 60)
    picture = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATED_90
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95, exif=exif)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def counts():
    """Visits and photos on the server (the test's snapshot ended to see what it committed)."""
    db.session.rollback()
    return (
        db.session.scalar(select(func.count(Visit.id))),
        db.session.scalar(select(func.count(Photo.id))),
    )


def open_visit_form(page, url, code, photos=True):
    """Open a household's visit form until it is ready, with its photo picker if allowed
    (whose script then comes: the phone keeps it for use offline)."""
    page.goto(f"{url}/visits/new?household={code}")
    page.locator("[data-visit-form][data-ready]").wait_for()
    if photos:
        page.locator("[data-photo-picker][data-photo-ready]").wait_for()


def add_photo(page, photo):
    """Choose a photo from the phone's gallery and wait until it is shrunk and shown."""
    picker = page.locator("[data-photo-picker][data-photo-ready]")
    count = int(picker.get_attribute("data-photo-count"))
    page.locator(".photo-choose input[data-photo-input]").set_input_files(photo)
    expect(picker).to_have_attribute("data-photo-count", str(count + 1))


def fill_and_save(page, url, code):
    page.click("label.radio-yellow")
    page.click("label.radio-routine")
    page.fill("textarea[name=notes]", "with a photo")
    page.click("button[data-save]")
    page.wait_for_url(f"{url}/households/{code}")
    return page.locator(".alert-ok")


# A sentence the page's scripts say, as the page carries it (every page's, and its own).
PAGE_STRING = """(key) => Object.assign({}, ...[
  ...document.querySelectorAll("#js-strings, script[data-js-strings]"),
].map((node) => JSON.parse(node.textContent)))[key]"""


def js_string(page, key):
    return page.evaluate(PAGE_STRING, key)


def test_a_camera_photo_is_shrunk_kept_offline_and_uploaded_once_after_its_visit(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    log_in_and_prime(page, live.url, volunteer)
    open_visit_form(page, live.url, household.code)
    remove = page.get_by_role("button", name=js_string(page, "photo_remove").replace("{n}", "1"))

    go_offline(page, live)
    add_photo(page, camera_photo())
    expect(remove).to_be_visible()
    box = remove.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    fill_and_save(page, live.url, household.code).wait_for()

    (stored,) = page.evaluate(STORED_PHOTOS)
    assert stored["state"] == "waiting"
    assert stored["type"] == "image/jpeg" and stored["size"] <= 300 * 1024
    assert (stored["width"], stored["height"]) == (853, 1280)  # upright, long side 1280
    assert counts() == (0, 0)

    go_online(page, live)
    send_until_empty(page, live.url)
    assert counts() == (1, 1)
    photo = db.session.scalar(select(Photo))
    assert db.session.get(Visit, photo.visit_id).client_uuid == stored["item_uuid"]
    assert page.evaluate(STORED_PHOTOS) == []


def test_a_household_without_consent_gets_no_picker(page, live, create_user, create_household):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    open_visit_form(page, live.url, household.code, photos=False)
    expect(page.locator("[data-photo-refusal]")).to_be_visible()
    expect(page.locator("[data-photo-input]")).to_have_count(2)
    for element in page.locator("[data-photo-input]").all():
        expect(element).to_be_hidden()


# The phone is full when a photo is stored: its put() fails as IndexedDB's does.
FULL_PHONE = """(() => {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === "photos") throw new DOMException("The phone is full", "QuotaExceededError");
    return put.apply(this, args);
  };
})();"""


def test_a_full_phone_keeps_the_visit_without_its_photo_and_says_so(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    page.context.add_init_script(FULL_PHONE)
    log_in_and_prime(page, live.url, volunteer)
    open_visit_form(page, live.url, household.code)
    add_photo(page, camera_photo())
    told = js_string(page, "photos_dropped").replace("{n}", "1")

    flash = fill_and_save(page, live.url, household.code)

    expect(flash).to_contain_text(told)
    assert page.evaluate(STORED_PHOTOS) == []
    send_until_empty(page, live.url)
    assert counts() == (1, 0)


class CrashingServer:
    """The app under gunicorn in its own process group (as tests/test_crash.py runs it), which
    holds a photo upload's answer, once stored, while the file `hold` exists: the test kills it
    there, with the photo on the server and its answer not yet sent."""

    def __init__(self, database_url, folder):
        self.port = free_port()
        self.hold = folder / "hold"
        self.stored = folder / "stored"
        instance = folder / "instance"
        instance.mkdir()
        self.env = {
            **os.environ,
            "CRASH_TEST_DATABASE": database_url,
            "CRASH_TEST_INSTANCE": str(instance),
            "CRASH_TEST_HOLD": str(self.hold),
            "CRASH_TEST_STORED": str(self.stored),
        }
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [str(GUNICORN), "--workers", "1", "--threads", "8", "--bind",
             f"127.0.0.1:{self.port}", "--log-level", "warning", "tests.crash_app:app"],
            env=self.env,
            start_new_session=True,
        )  # fmt: skip
        wait_until(lambda: self.healthy(), "the server never started")

    def healthy(self):
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                return True
        except OSError:
            return False

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def wait_until(condition, message, hang_s=90):
    """Wait for a sign from another process (a file, a port); the limit only ends a hang."""
    deadline = time.monotonic() + hang_s
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def test_a_photo_is_stored_once_when_the_server_dies_during_its_upload(
    page, app, create_user, create_household, tmp_path
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    server = CrashingServer(db.engine.url.render_as_string(hide_password=False), tmp_path)
    server.start()
    try:
        log_in_and_prime(page, server.url, volunteer)
        open_visit_form(page, server.url, household.code)
        page.context.set_offline(True)
        server.kill()
        add_photo(page, camera_photo())
        fill_and_save(page, server.url, household.code).wait_for()

        open_outbox(page, server.url)
        server.hold.touch()
        server.start()
        page.context.set_offline(False)  # signal: the outbox sends the visit, then its photo
        wait_until(server.stored.exists, "the photo never reached the server")
        server.kill()  # the photo is stored; its answer never leaves
        expect_outbox_state(page, "waiting")
        assert counts() == (1, 1)

        server.hold.unlink()
        server.start()
        send_until_empty(page, server.url)
    finally:
        server.kill()
    assert counts() == (1, 1)


def test_the_picker_and_the_outbox_photos_are_thumb_sized_and_axe_clean(
    browser, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    # axe is injected as a script: only this test's browser lets it past the page's CSP.
    context = new_context(
        browser, viewport=PHONE, locale="th-TH", is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    log_in_and_prime(page, live.url, volunteer)
    open_visit_form(page, live.url, household.code)
    add_photo(page, camera_photo())

    assert serious_violations(page) == []
    assert small_targets(page, "[data-photo-picker]") == []

    go_offline(page, live)
    fill_and_save(page, live.url, household.code).wait_for()
    open_outbox(page, live.url)
    expect(page.locator("[data-photo-state=waiting] img")).to_be_visible()
    assert serious_violations(page) == []
    assert small_targets(page, "[data-outbox-list]") == []
    context.close()


def test_a_file_that_is_not_a_photo_is_refused_on_the_phone_and_nothing_is_kept(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    log_in_and_prime(page, live.url, volunteer)
    open_visit_form(page, live.url, household.code)
    picker = page.locator("[data-photo-picker][data-photo-ready]")
    not_a_photo = {"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 no"}

    page.locator(".photo-choose input[data-photo-input]").set_input_files(not_a_photo)

    expect(picker.locator("[data-photo-status]")).to_have_text(js_string(page, "photo_unreadable"))
    expect(picker).to_have_attribute("data-photo-count", "0")
    fill_and_save(page, live.url, household.code).wait_for()
    assert page.evaluate(STORED_PHOTOS) == []


# The phone keeps the photo picker's script (in any of the service worker's caches).
PICKER_SCRIPT_KEPT = """async () => {
  for (const name of await caches.keys()) {
    const requests = await (await caches.open(name)).keys();
    if (requests.some((request) => request.url.includes('/static/js/photos.js'))) return true;
  }
  return false;
}"""


def test_offline_the_form_from_the_phones_list_offers_photos_only_where_consented(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    agreed = create_household("NI-01", volunteer=volunteer)
    agreed.consent_photos = True
    refused = create_household("NI-01", volunteer=volunteer)
    db.session.commit()
    log_in_and_prime(page, live.url, volunteer)
    # The picker's script came with the offline kit: no photo was ever taken with signal.
    for _ in range(200):  # (looked at, not wait_for_function: its answer is a promise)
        if page.evaluate(PICKER_SCRIPT_KEPT):
            break
        page.wait_for_timeout(50)
    assert page.evaluate(PICKER_SCRIPT_KEPT), "the picker's script is not on the phone"

    go_offline(page, live)
    open_visit_form(page, live.url, refused.code, photos=False)
    expect(page.locator("[data-photo-refusal]")).to_be_visible()
    expect(page.locator("[data-photo-controls]")).to_be_hidden()
    open_visit_form(page, live.url, agreed.code)
    assert page.locator("[data-visit-form][data-shell]").count() == 1  # drawn from the list
    add_photo(page, camera_photo())
    fill_and_save(page, live.url, agreed.code).wait_for()
    assert [photo["state"] for photo in page.evaluate(STORED_PHOTOS)] == ["waiting"]

    go_online(page, live)
    send_until_empty(page, live.url)
    assert counts() == (1, 1)


def test_logging_out_deletes_the_users_unsent_photos_after_asking_and_keeps_the_visit(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    log_in_and_prime(page, live.url, volunteer)
    open_visit_form(page, live.url, household.code)
    go_offline(page, live)
    add_photo(page, camera_photo())
    fill_and_save(page, live.url, household.code).wait_for()
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))

    def no_sends(environ, start_response):
        """Pages answer, sends do not: the visit and its photo are still on the phone."""
        if environ["PATH_INFO"].startswith(("/api/v1/visits/sync", "/api/v1/photos")):
            raise ConnectionAbortedError("no send before the logout")
        return live.app(environ, start_response)

    go_online(page, live, no_sends)
    page.evaluate("document.querySelector('form[data-logout]').requestSubmit()")
    page.wait_for_url(f"{live.url}/login")

    assert asked[-1] == js_string(page, "logout_photos").replace("{n}", "1")
    assert page.evaluate(STORED_PHOTOS) == []
    assert page.evaluate("async () => (await window.PwaOutbox.entries(null)).length") == 1


def test_an_encounter_reported_offline_with_a_photo_reaches_staff_who_refer_it(
    page, live, browser, create_user
):
    url = live.url
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    agency = Agency(
        name_th="ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร (ทดสอบ)",
        name_en="Protection Center (test)",
        kind="protection_centre",
        phone="042611364",
    )
    db.session.add(agency)
    db.session.commit()
    log_in_and_prime(page, url, volunteer)
    page.goto(f"{url}/encounters/new")  # once with signal: the picker's script is kept
    page.locator("[data-photo-picker][data-photo-ready]").wait_for()
    page.locator("html[data-later-pages-cached]").wait_for(state="attached")
    assert page.evaluate(SHELL_READY), "the report form is not on the phone"

    go_offline(page, live)
    page.goto(f"{url}/encounters/new")
    page.locator("form[data-encounter-form][data-ready]").wait_for()
    page.click("label.radio-homeless")
    page.fill("input[name=place]", "ศาลาหน้าตลาดสดหนองเอี่ยน")
    page.fill("textarea[name=description]", "ชายสูงอายุนอนที่ศาลามาสามคืน ขาบวม")
    add_photo(page, camera_photo())
    page.click("form[data-encounter-form] button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert [photo["state"] for photo in page.evaluate(STORED_PHOTOS)] == ["waiting"]

    go_online(page, live)
    send_until_empty(page, url)
    db.session.rollback()
    encounter = db.session.scalar(select(Encounter))
    photo = db.session.scalar(select(Photo))
    assert db.session.scalar(select(func.count(Photo.id))) == 1
    assert photo.encounter_id == encounter.id

    desk = staff_page(browser, url, staff)
    desk.goto(f"{url}/encounters")
    desk.click("text=ศาลาหน้าตลาดสดหนองเอี่ยน")
    shown = desk.locator(f"[data-encounter-description] img[src='/photos/{photo.id}']")
    expect(shown).to_be_visible()
    image = shown.element_handle()
    desk.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image)
    assert desk.evaluate("(img) => img.naturalWidth", image) == photo.width  # the photo itself
    take_step(desk, "assign", ("assignee", str(staff.id)), "ลงพื้นที่บ่ายนี้")
    take_step(desk, "refer", ("agency", str(agency.id)), "ศูนย์ฯ รับตัวไปดูแลแล้ว")
    expect(desk.locator("[data-encounter-status]")).to_have_attribute(
        "data-encounter-status", "referred"
    )
    desk.context.close()

    page.goto(f"{url}/encounters")
    page.click("text=ศาลาหน้าตลาดสดหนองเอี่ยน")
    expect(page.locator("[data-encounter-outcome]")).to_contain_text("ศูนย์ฯ รับตัวไปดูแลแล้ว")
    expect(page.locator("[data-encounter-facts]")).to_contain_text(agency.name_th)
    expect(page.locator(f"img[src='/photos/{photo.id}']")).to_be_visible()
