"""A person in hardship found with no signal: reported on the phone, sent when the signal comes
back, assigned and referred by staff, and the volunteer sees what became of it."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Agency, Encounter
from tests.browser.conftest import new_context
from tests.browser.test_offline import go_offline, go_online, log_in_and_prime, send_until_empty
from tests.conftest import PASSWORD

SHELL_READY = """async () => {
  const pages = await caches.open('pages-v1');
  return Boolean(await pages.match('/encounters/new?shell=1'));
}"""


def rows():
    db.session.rollback()  # see what the server committed
    return db.session.scalar(select(func.count(Encounter.id)))


def staff_page(browser, url, staff):
    """Open a desk browser logged in as a staff member."""
    context = new_context(browser, viewport={"width": 1024, "height": 800}, locale="th-TH")
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=phone]", staff.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def take_step(page, step, choose=None, note=""):
    """Open one step of the encounter page, fill it in and send it."""
    page.click(f"details[data-step={step}] summary")
    if choose:
        field, value = choose
        page.select_option(f"#{step}-{field}", value)
    if note:
        page.fill(f"#{step}-note", note)
    page.click(f"details[data-step={step}] button[type=submit]")
    page.wait_for_url("**/encounters/*")


def test_a_report_made_offline_is_referred_by_staff_and_the_volunteer_sees_the_outcome(
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
    expect(page.locator("[data-report-encounter]")).to_be_visible()
    page.locator("html[data-later-pages-cached]").wait_for(state="attached")
    assert page.evaluate(SHELL_READY), "the report form is not on the phone"

    go_offline(page, live)
    page.goto(f"{url}/encounters/new")
    page.locator("form[data-encounter-form][data-ready]").wait_for()
    page.click("label.radio-homeless")
    page.click("label.radio-urgent")
    page.fill("input[name=place]", "ศาลาหน้าตลาดสดหนองเอี่ยน")
    page.fill("textarea[name=description]", "ชายสูงอายุนอนที่ศาลามาสามคืน ขาบวม")
    page.fill("input[name=person_age]", "67")
    page.click("form[data-encounter-form] button[type=submit]")
    page.wait_for_url(f"{url}/")
    expect(page.locator("[data-outbox-badge]")).to_contain_text("1")
    assert rows() == 0

    go_online(page, live)
    send_until_empty(page, url)
    assert rows() == 1
    encounter = db.session.scalar(select(Encounter))
    assert (encounter.urgency, encounter.person_age, encounter.status) == ("urgent", 67, "new")

    desk = staff_page(browser, url, staff)
    desk.goto(f"{url}/encounters")
    desk.click("text=ศาลาหน้าตลาดสดหนองเอี่ยน")
    take_step(desk, "assign", ("assignee", str(staff.id)), "ลงพื้นที่บ่ายนี้")
    expect(desk.locator("[data-encounter-status]")).to_have_attribute(
        "data-encounter-status", "assigned"
    )
    take_step(desk, "refer", ("agency", str(agency.id)), "ศูนย์ฯ รับตัวไปดูแลแล้ว")
    expect(desk.locator("[data-encounter-status]")).to_have_attribute(
        "data-encounter-status", "referred"
    )
    desk.context.close()

    page.goto(f"{url}/encounters")
    page.click("text=ศาลาหน้าตลาดสดหนองเอี่ยน")
    expect(page.locator("[data-encounter-outcome]")).to_contain_text("ศูนย์ฯ รับตัวไปดูแลแล้ว")
    expect(page.locator("[data-encounter-facts]")).to_contain_text(agency.name_th)
    expect(page.locator("[data-encounter-steps]")).to_have_count(0)
    # (No signal makes the browser log the requests it could not send: nothing else.)
    assert [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
