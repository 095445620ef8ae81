"""The know-how on a phone: read with signal, then read again with none."""

from playwright.sync_api import expect
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Assistance, WelfareProgram
from pwa_app.services import knowledge_search
from tests.browser.conftest import HANG_MS
from tests.browser.test_offline import go_offline, log_in_and_prime

# The phone has the know-how once the app, idle, stored every page and the shell drawing them.
KNOWLEDGE_KEPT = """async (paths) => {
  if (document.documentElement.dataset.knowledgeStored === undefined) return false;
  const pages = await caches.open('pages-v1');
  const kept = await Promise.all(paths.map((path) => pages.match(path)));
  return kept.every(Boolean);
}"""


def wait_until_kept(page, paths):
    """Wait until the phone keeps each page (the service worker stores a page as it arrives)."""
    for _ in range(HANG_MS // 250):
        if page.evaluate(KNOWLEDGE_KEPT, paths):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the phone never kept {paths}")


def open_case(household, code):
    program = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == code))
    db.session.add(
        Assistance(
            household=household, village_id=household.village_id, program=program,
            status="identified", note="",
        )
    )  # fmt: skip
    db.session.commit()


def test_a_volunteer_reads_the_know_how_online_then_offline(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    open_case(household, "state_welfare_card")
    log_in_and_prime(page, live.url, volunteer)

    # With signal: the list, then a guide from it.
    page.goto(f"{live.url}/knowledge")
    page.locator("[data-knowledge-list] a", has_text="เบี้ยยังชีพผู้สูงอายุ").click()
    page.wait_for_url(f"{live.url}/knowledge/old-age-allowance")
    expect(page.locator("[data-guide-contacts]")).to_contain_text("หนองเอี่ยน")
    page.wait_for_function("() => document.documentElement.dataset.knowledgeStored !== undefined")
    wait_until_kept(page, ["/knowledge", "/knowledge/old-age-allowance", "/knowledge/shell"])

    go_offline(page, live)

    # The two pages opened with signal, as they were.
    page.goto(f"{live.url}/knowledge")
    expect(page.locator("h1")).to_have_text("ความรู้")
    expect(page.locator("[data-knowledge-list]")).to_contain_text("บัตรสวัสดิการแห่งรัฐ")
    page.goto(f"{live.url}/knowledge/old-age-allowance")
    expect(page.locator("h1")).to_contain_text("เบี้ยยังชีพผู้สูงอายุ")
    expect(page.locator("[data-knowledge-body]")).to_contain_text("ทะเบียนบ้าน")

    # A guide never opened is drawn from the phone's copy, with whom to call.
    page.goto(f"{live.url}/knowledge/refer-shelter")
    shell = page.locator("[data-knowledge-shell]")
    expect(shell).to_have_attribute("data-shell-state", "page")
    expect(page.locator("[data-shell-title]")).to_contain_text("ศูนย์คุ้มครองคนไร้ที่พึ่ง")
    expect(page.locator("[data-shell-body] h2").first).to_have_text("ส่งต่อเมื่อใด")
    expect(page.locator("[data-shell-agencies]")).to_contain_text("ศูนย์คุ้มครองคนไร้ที่พึ่ง")

    # A search with no signal looks through the phone's copy.
    page.goto(f"{live.url}/knowledge?q=บัตร")
    expect(shell).to_have_attribute("data-shell-state", "list")
    links = page.locator("[data-shell-pages] a.row-link")
    expect(links.first).to_be_visible()
    offline = {href.rsplit("/", 1)[1] for href in links.evaluate_all("(a) => a.map((l) => l.href)")}
    assert offline == {found.slug for found in knowledge_search.search("บัตร").pages}  # as online
    assert {"disability-card", "state-welfare-card"} <= offline

    # From the offline visit form, a case's "how to refer" opens its guide.
    page.goto(f"{live.url}/visits/new?household={household.code}")
    guide = page.locator("[data-case-list] [data-case-guide]:not([hidden]) a")
    expect(guide).to_have_attribute("href", "/knowledge/state-welfare-card")
    guide.click()
    page.wait_for_url(f"{live.url}/knowledge/state-welfare-card")
    expect(page.locator("[data-shell-title]")).to_contain_text("บัตรสวัสดิการแห่งรัฐ")
    assert page.console_errors == []
