"""Finding a household on the phone: forgiving codes, name search offline, village + number."""

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Assistance, Member, Visit, WelfareProgram
from pwa_app.services.cases import today
from tests.conftest import PASSWORD

# Ready for a day without signal: the service worker controls the page, the pages the finder
# needs are cached and the app has said that the household list is on the phone.
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
  const paths = ['/', '/scan', '/households', '/households/shell', '/visits/new?shell=1',
    '/messages/new?shell=1'];  // (the last comes in the background, after the app is ready)
  const shell = await Promise.all(paths.map((path) => pages.match(path)));
  return Boolean(navigator.serviceWorker.controller && shell.every(Boolean)
    && document.documentElement.dataset.householdsStored !== undefined);
}"""
from tests.household_codes import CODES  # noqa: E402  (shared with the server's tests)

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def log_in(page, url, user):
    page.goto(f"{url}/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def log_in_and_prime(page, url, user):
    """Log in with signal and wait until the finder's pages and the household list are kept."""
    log_in(page, url, user)
    for _ in range(40):  # each start of the app fetches what the phone still lacks
        if page.evaluate(READY):
            break
        page.reload()
    assert page.evaluate(READY), "the app never got ready to work offline"


def go_offline(page, live):
    """No signal: the page is offline and the server unreachable."""
    page.context.set_offline(True)
    live.stop()


def add_open_case(page, code, case):
    """Give a household on the phone an open case, as the list carries them."""
    page.evaluate(
        """async ([code, entry]) => {
          const userId = window.PwaApp.userId;
          const all = await window.PwaOutbox.searchHouseholds(userId, '', { limit: Infinity });
          const list = all.map((h) => (h.code === code ? { ...h, open_cases: [entry] } : h));
          await window.PwaOutbox.saveHouseholds(userId, list);
        }""",
        [code, case],
    )


def test_normalize_code_forgives_what_volunteers_type(page, live_server):
    page.goto(f"{live_server}/login")
    page.wait_for_function("() => window.PwaOutbox !== undefined")
    inputs = [typed for typed, _ in CODES] + [None, 42]
    answers = page.evaluate(
        "(inputs) => inputs.map((text) => window.PwaOutbox.normalizeCode(text))", inputs
    )
    assert dict(zip(inputs[:-2], answers[:-2], strict=True)) == dict(CODES)
    assert answers[-2:] == [None, None]


def test_offline_a_name_search_finds_the_household_and_its_phone_copy_logs_a_visit(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    create_household("NI-01", volunteer=volunteer, head_name="สมศรี ใจดี")
    wanted = create_household("NI-01", volunteer=volunteer, head_name="บุญมี ศรีสุข", tags=["elderly"])
    log_in_and_prime(page, live.url, volunteer)
    add_open_case(
        page,
        wanted.code,
        {"program": "old_age_allowance", "status": "applied", "next_follow_up": "2026-12-05"},
    )
    go_offline(page, live)

    page.goto(f"{live.url}/households")
    page.fill("[data-finder-text]", "ศรีสุข")
    rows = page.locator("[data-finder-results] .row-link")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(wanted.code)
    expect(rows.first).to_contain_text("บุญมี ศรีสุข")
    expect(rows.first).to_contain_text("เรื่องที่ยังดำเนินการ 1 เรื่อง")
    assert rows.first.bounding_box()["height"] >= 48
    expect(page.locator("[data-finder-server]")).to_be_hidden()

    rows.first.click()  # a household page never opened with signal
    page.wait_for_url(f"{live.url}/households/{wanted.code}")
    expect(page.locator("[data-household-shell]")).to_have_attribute("data-shell-state", "shown")
    expect(page.locator(".phone-copy")).to_be_visible()
    expect(page.locator("[data-shell-code]")).to_have_text(wanted.code)
    expect(page.locator("[data-shell-name]")).to_have_text("บุญมี ศรีสุข")
    expect(page.locator("[data-shell-tags]")).to_contain_text("ผู้สูงอายุ")
    expect(page.locator("[data-shell-last-visit]")).not_to_be_empty()
    cases = page.locator("[data-shell-case-list]")
    expect(cases).to_contain_text("เบี้ยยังชีพผู้สูงอายุ")
    expect(cases).to_contain_text("2569")  # the follow-up date in the Buddhist era

    page.click("[data-shell-visit]")
    page.wait_for_url(f"{live.url}/visits/new?household={wanted.code}")
    expect(page.locator("[data-household-title]")).to_have_text(wanted.code)
    expect(page.locator("[data-household-name]")).to_have_text("บุญมี ศรีสุข")
    assert page.console_errors == []


def test_offline_a_search_sent_from_the_home_page_is_answered_by_the_phone(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    create_household("NI-01", volunteer=volunteer, head_name="สมศรี ใจดี")
    create_household("NI-01", volunteer=volunteer, head_name="สมศักดิ์ ใจดี")
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)

    page.goto(f"{live.url}/households?q=%E0%B8%AA%E0%B8%A1%E0%B8%A8")  # ?q=สมศ
    expect(page.locator("[data-finder-text]")).to_have_value("สมศ")
    expect(page.locator("[data-finder-results] .row-link")).to_have_count(2)
    page.goto(f"{live.url}/households/ni-1-99")  # not on the phone: said so, nothing made up
    expect(page.locator("[data-household-shell]")).to_have_attribute("data-shell-state", "missing")
    expect(page.locator("[data-shell-missing]")).to_contain_text("NI-01-0099")


@pytest.mark.parametrize("sloppy", ["compact", "thai"])
def test_offline_a_sloppy_code_opens_the_right_households_visit_form(
    page, live, create_user, create_household, sloppy
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    create_household("NI-01", volunteer=volunteer, head_name="สมศรี ใจดี")
    household = create_household("NI-01", volunteer=volunteer, head_name="บุญมี ศรีสุข")
    log_in_and_prime(page, live.url, volunteer)
    go_offline(page, live)

    compact = household.code.replace("-", "")
    typed = compact if sloppy == "compact" else household.code.translate(THAI_DIGITS)
    page.goto(f"{live.url}/visits/new?household={typed}")
    expect(page.locator("[data-household-title]")).to_have_text(household.code)
    expect(page.locator("[data-household-name]")).to_have_text("บุญมี ศรีสุข")
    assert page.console_errors == []


def test_village_digits_and_enter_open_the_visit_form_in_four_taps_at_most(
    page, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    households = [create_household("NI-01", volunteer=volunteer) for _ in range(12)]
    wanted = households[11]  # NI-01-0012: 0001 and 0010-0011 also start with a 1
    wanted.head_name = "บุญมี ศรีสุข"
    db.session.commit()
    log_in(page, live_server, volunteer)
    page.evaluate("window.PwaApp.ready")

    taps = 0  # opening the app lands on the home page
    number = page.locator("[data-finder-number]")
    assert number.get_attribute("inputmode") == "numeric"  # no keyboard switch
    expect(page.locator("[data-finder-village]")).to_have_value("NI-01")  # the only village
    page.tap("[data-finder-number]")
    taps += 1
    page.keyboard.type("12")
    expect(page.locator("[data-finder-results] .row-link").first).to_contain_text(wanted.code)
    page.keyboard.press("Enter")  # the keyboard's Go
    taps += 1
    page.wait_for_url(f"{live_server}/visits/new?household={wanted.code}")
    expect(page.locator("h1")).to_contain_text(wanted.code)

    page.evaluate("window.PwaApp.ready")
    page.tap("label.radio-green")  # how the household is doing: never chosen for them
    taps += 1
    page.tap("button[data-save]")  # a routine visit, the form's start
    taps += 1
    page.wait_for_url(f"{live_server}/households/{wanted.code}")
    assert taps <= 4
    db.session.rollback()  # end the test's snapshot to see what the server committed
    assert db.session.scalar(select(func.count(Visit.id)).where(Visit.household_id == wanted.id))
    assert page.console_errors == []


def test_the_chosen_village_is_remembered_and_a_sloppy_typed_code_is_tidied(
    page, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01", "NI-02"])
    create_household("NI-01", volunteer=volunteer)
    other = create_household("NI-02", volunteer=volunteer)  # NI-02-0002
    log_in(page, live_server, volunteer)
    village = page.locator("[data-finder-village]")
    expect(village).to_have_value("")  # two villages: the volunteer chooses once
    page.fill("[data-finder-number]", "2")
    page.keyboard.press("Enter")
    expect(page.locator("[data-finder-status]")).not_to_be_empty()  # choose the village first
    village.select_option("NI-02")

    page.goto(f"{live_server}/")
    expect(page.locator("[data-finder-village]")).to_have_value("NI-02")
    page.goto(f"{live_server}/scan")
    expect(page.locator("[data-finder-village]")).to_have_value("NI-02")
    page.fill("input[name=household]", other.code.replace("-", " ").lower())
    page.click("form[action='/visits/new'] button[type=submit]")
    page.wait_for_url(f"{live_server}/visits/new?household={other.code}")
    page.goto(f"{live_server}/scan")
    page.fill("input[name=household]", "2")  # only the number: the village chosen above
    page.click("form[action='/visits/new'] button[type=submit]")
    page.wait_for_url(f"{live_server}/visits/new?household={other.code}")


def test_home_and_list_rows_are_whole_row_links_with_names(
    page, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer, head_name="บุญมี ศรีสุข")
    program = db.session.scalar(
        select(WelfareProgram).where(WelfareProgram.code == "old_age_allowance")
    )
    member = Member(household=household, name="ทองดี ศรีสุข", birth_year=1950)
    case = Assistance(
        household=household, village_id=household.village_id, program=program, member=member,
        status="applied", note="", next_follow_up=today(),
    )  # fmt: skip
    db.session.add_all([member, case])
    db.session.commit()
    log_in(page, live_server, volunteer)

    follow_up = page.locator(".follow-ups .row-link")
    expect(follow_up).to_have_count(1)
    for text in (household.code, "บุญมี ศรีสุข", "ทองดี ศรีสุข", "เบี้ยยังชีพผู้สูงอายุ"):
        expect(follow_up).to_contain_text(text)
    heights = page.eval_on_selector_all(
        "main ul.rows .row-link", "(links) => links.map((a) => a.getBoundingClientRect().height)"
    )
    assert len(heights) >= 2 and min(heights) >= 48, json.dumps(heights)
    page.goto(f"{live_server}/households")
    row = page.locator("ul.households .row-link")
    expect(row).to_have_count(1)
    assert row.bounding_box()["height"] >= 48
    assert page.console_errors == []
