"""A consultation from the field: asked with no signal, answered by staff, seen by the volunteer."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Message, Thread
from tests.browser.conftest import new_context
from tests.browser.test_offline import go_offline, go_online, log_in_and_prime, send_until_empty
from tests.conftest import PASSWORD

SHELL_READY = """async () => {
  const pages = await caches.open('pages-v1');
  return Boolean(await pages.match('/messages/new?shell=1'));
}"""


def rows(model):
    db.session.rollback()  # see what the server committed
    return db.session.scalar(select(func.count(model.id)))


def test_a_question_written_offline_reaches_staff_and_the_answer_comes_back(
    page, live, browser, create_user, create_household
):
    url = live.url
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer, head_name="บุญมา ศรีสุข")
    staff = create_user("staff")
    log_in_and_prime(page, url, volunteer)
    page.locator("html[data-later-pages-cached]").wait_for(state="attached")
    assert page.evaluate(SHELL_READY), "the question form is not on the phone"

    go_offline(page, live)
    page.goto(f"{url}/messages/new?household={household.code.lower()}")
    form = page.locator("form[data-message-form][data-ready]")
    form.wait_for()
    expect(page.locator("[data-household-label]")).to_contain_text("บุญมา ศรีสุข")
    page.fill("textarea[name=body]", "ยายบุญมาล้มในห้องน้ำ ควรส่งต่อที่ไหนคะ")
    page.click("form[data-message-form] button[type=submit]")
    page.wait_for_url(f"{url}/households/{household.code}")
    expect(page.locator("[data-outbox-badge]")).to_contain_text("1")
    assert rows(Message) == 0

    go_online(page, live)
    send_until_empty(page, url)
    assert rows(Message) == 1
    thread = db.session.scalar(select(Thread))
    assert thread.household_id == household.id and thread.waiting_since is not None

    staff_context = new_context(browser, viewport={"width": 1024, "height": 800}, locale="th-TH")
    staff_page = staff_context.new_page()
    staff_page.goto(f"{url}/login")
    staff_page.fill("input[name=phone]", staff.phone)
    staff_page.fill("input[name=password]", PASSWORD)
    staff_page.click("button[type=submit]")
    staff_page.goto(f"{url}/messages?waiting=1")
    staff_page.click(f"text={household.code}")
    expect(staff_page.locator("[data-messages]")).to_contain_text("ยายบุญมาล้ม")
    staff_page.locator("form[data-message-form][data-ready]").wait_for()
    staff_page.fill("textarea[name=body]", "โทรแจ้ง รพ.สต. แล้วค่ะ พรุ่งนี้มีเจ้าหน้าที่ไปเยี่ยม")
    staff_page.click("form[data-message-form] button[type=submit]")
    expect(staff_page.locator("[data-messages]")).to_contain_text("พรุ่งนี้มีเจ้าหน้าที่ไปเยี่ยม")
    staff_context.close()
    assert rows(Message) == 2

    page.goto(f"{url}/")
    expect(page.locator("[data-consultations]")).to_contain_text("1")
    page.click("[data-consultations] a")
    page.click(f"text={household.code}")
    expect(page.locator("[data-messages]")).to_contain_text("พรุ่งนี้มีเจ้าหน้าที่ไปเยี่ยม")
    page.goto(f"{url}/")
    expect(page.locator("[data-consultations]")).to_have_count(0)
    # (No signal makes the browser log the requests it could not send: nothing else.)
    assert [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
