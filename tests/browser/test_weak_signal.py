"""One bar of signal (DESIGN.md section 8): saving never waits on the network, a visit is
one row whatever the volunteer taps, and open cases continue offline."""

import threading
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Assistance, Visit, WelfareProgram
from pwa_app.models.base import utcnow
from pwa_app.services import cases
from pwa_app.services.summaries import LOCAL_TZ
from tests.browser.conftest import new_context
from tests.browser.test_finder import log_in
from tests.browser.test_offline import (
    expect_outbox_state,
    go_offline,
    go_online,
    log_in_and_prime,
    open_outbox,
    send_until_empty,
    visits_in_db,
)

SYNC_PATH = "/api/v1/visits/sync"


class HangingSync:
    """A WSGI wrapper whose sync requests hang until released: one bar of signal, at worst."""

    def __init__(self, app):
        self.app = app
        self.released = threading.Event()
        self.held = 0

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == SYNC_PATH:
            self.held += 1
            self.released.wait(timeout=120)
        return self.app(environ, start_response)


def choose_and_save(page):
    page.click("label.radio-yellow")
    page.click("label.radio-routine")
    page.dblclick("button[data-save]")  # a double tap, as a hurried thumb does


def test_a_hanging_sync_never_holds_the_volunteer_and_the_visit_arrives_once(
    page, live, app, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    page.goto(f"{live.url}/visits/new?household={household.code}")
    page.locator("[data-visit-form][data-ready]").wait_for()

    hanging = HangingSync(app)
    live.stop()
    live.start(hanging)
    page.fill("textarea[name=notes]", "เยี่ยมตอนสัญญาณอ่อน")
    choose_and_save(page)
    # The volunteer is told and moves on while the server has not answered at all.
    page.wait_for_url(f"{live.url}/households/{household.code}")
    assert not hanging.released.is_set()
    expect(page.locator(".alert-ok")).to_contain_text("บันทึกการเยี่ยมไว้ในโทรศัพท์แล้ว")
    assert visits_in_db() == 0

    # Back to the form and "save" again: the browser kept the page, so it is the same visit.
    page.go_back()
    page.locator("[data-visit-form][data-ready]").wait_for()
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    if page.locator("button[data-save]").is_enabled():
        page.click("button[data-save]")
    hanging.released.set()
    live.stop()
    live.start()
    send_until_empty(page, live.url)
    assert visits_in_db() == 1
    db.session.rollback()
    assert db.session.scalar(select(Visit.notes)) == "เยี่ยมตอนสัญญาณอ่อน"
    assert page.console_errors == []


def test_offline_the_form_shows_open_cases_and_updating_one_moves_that_case(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-02"])
    household = create_household("NI-02", volunteer=volunteer, head_name="บุญมี ศรีสุข")
    program = db.session.scalar(
        select(WelfareProgram).where(WelfareProgram.code == "old_age_allowance")
    )
    case = cases.open_case(
        household,
        program,
        cases.NewCase(program="old_age_allowance", status="applied"),
        cases.today() + timedelta(days=3),
        volunteer,
    )
    db.session.commit()
    log_in_and_prime(page, live.url, volunteer)

    go_offline(page, live)
    page.goto(f"{live.url}/visits/new?household={household.code}")
    page.locator("[data-visit-form][data-ready]").wait_for()
    fieldset = page.locator("[data-case-change]")
    expect(fieldset).to_contain_text("เบี้ยยังชีพผู้สูงอายุ")
    expect(fieldset).to_contain_text("ติดตามคำร้องกับหน่วยงาน")  # the next step, offline
    # The same programme cannot be opened a second time next to it.
    option = page.locator("select[name='new_cases-0-program'] option[value='old_age_allowance']")
    assert option.is_disabled()

    page.select_option(f"select[name='case-{case.id}-status']", "received")
    page.fill(f"input[name='case-{case.id}-note']", "ได้รับเบี้ยแล้ว")
    page.click("label.radio-green")
    page.click("label.radio-routine")
    page.click("button[data-save]")
    page.wait_for_url(f"{live.url}/households/{household.code}")
    saved = page.evaluate("() => window.PwaOutbox.entries(null)")
    assert saved[0]["payload"]["assistance"][0]["case_id"] == case.id, saved

    go_online(page, live)
    open_outbox(page, live.url)
    send_until_empty(page, live.url)
    expect_outbox_state(page, "idle")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Assistance.id))) == 1
    db.session.expire_all()
    entries = page.evaluate("() => window.PwaOutbox.entries(null)")
    assert db.session.get(Assistance, case.id).status == "received", entries
    assert visits_in_db() == 1


def test_a_phone_set_to_another_time_zone_records_thailands_time(
    browser, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-03"])
    household = create_household("NI-03", volunteer=volunteer)
    context = new_context(
        browser,
        viewport={"width": 360, "height": 740},
        locale="th-TH",
        timezone_id="America/Los_Angeles",  # a phone whose zone was never set
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        log_in(page, live_server, volunteer)
        page.goto(f"{live_server}/visits/new?household={household.code}")
        page.locator("[data-visit-form][data-ready]").wait_for()
        bangkok = utcnow().astimezone(LOCAL_TZ)
        typed = page.input_value("input[name=visited_at]")
        assert typed.startswith(f"{bangkok.day:02d}/{bangkok.month:02d}/{bangkok.year + 543}")
        page.click("label.radio-green")
        page.click("button[data-save]")
        page.wait_for_url(f"{live_server}/households/{household.code}")
        expect(page.locator("[data-outbox-badge]")).to_have_attribute("data-outbox-state", "idle")
    finally:
        context.close()
    db.session.rollback()
    visited_at = db.session.scalar(select(Visit.visited_at))
    assert abs(visited_at - utcnow()) < timedelta(minutes=5)


def test_the_language_switch_keeps_the_page_and_its_query(
    page, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-04"])
    household = create_household("NI-04", volunteer=volunteer)
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server}/visits/new?household={household.code}")
    page.click("summary.menu-button")
    page.click("a[hreflang=en]")
    page.wait_for_url(f"{live_server}/visits/new?household={household.code}&lang=en")
    expect(page.locator("h1")).to_contain_text(f"Log a visit · {household.code}")
    page.goto(f"{live_server}/households?stale=30")
    page.click("summary.menu-button")
    page.click("a[hreflang=th]")
    page.wait_for_url(f"{live_server}/households?stale=30&lang=th")
    expect(page.locator("html")).to_have_attribute("lang", "th")


def test_a_page_shown_from_the_phones_copy_says_how_old_it_is(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-05"])
    create_household("NI-05", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)
    page.goto(f"{live.url}/")
    expect(page.locator("[data-copy-age]")).to_contain_text("ข้อมูลที่เก็บไว้ในเครื่อง ณ")
