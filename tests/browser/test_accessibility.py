"""A volunteer's pages on a 360 px phone: axe finds nothing serious, every control is a thumb
target, and the chrome leaves the screen to the page."""

from pathlib import Path

import pytest
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Assistance, Badge, HelpRequest, Member, WelfareProgram
from pwa_app.models.base import utcnow
from pwa_app.services import announcements, consultations, encounters, recognition
from pwa_app.services.cases import today
from tests.browser.conftest import new_context
from tests.browser.test_field_flow import log_in
from tests.conftest import visit_photo

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
MIN_TARGET = 44  # CSS px, WCAG 2.5.5 (AAA); the app aims at 48 for rows and tabs
TOPBAR_MAX = 48
CONTENT_SHARE_MIN = 0.8

VOLUNTEER_PAGES = {
    "home": "/",
    "scan": "/scan",
    "households": "/households",
    "household": "/households/{code}",
    "visit_form": "/visits/new?household={code}",
    "outbox": "/outbox",
    "profile": "/volunteers/{user_id}",
    "password": "/account/password",
    "agencies": "/agencies",
    "consultations": "/messages",
    "ask_staff": "/messages/new?household={code}",
    "consultation": "/messages/{thread}",
    "announcements": "/announcements",
    "announcement": "/announcements/{announcement}",
    "knowledge": "/knowledge",
    "guide": "/knowledge/old-age-allowance",
    "process": "/knowledge/model-work-process",
    "notifications": "/notifications",
    "report_encounter": "/encounters/new",
    "my_reports": "/encounters",
    "my_report": "/encounters/{encounter}",
}
PUBLIC_PAGES = {"card": "/h/{token}", "privacy": "/privacy", "badge": "/badges/verify/{award}"}
CHECKS = [("th", name) for name in [*VOLUNTEER_PAGES, *PUBLIC_PAGES]] + [
    ("en", "home"),
    ("en", "visit_form"),
    ("en", "guide"),
    ("en", "report_encounter"),
]
# Pages whose remaining small targets can only be fixed in a template owned by other work in
# progress: their target check is skipped (axe still runs). Empty it as that work lands.
PAGES_PENDING_OTHER_WORK: set[str] = set()

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ rule: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
}"""

# Every visible control smaller than the minimum, measured where the finger lands: a radio or
# checkbox by the label tile around it. Exempt, narrowly, as WCAG 2.5.8 allows: a link that
# runs inline inside a sentence (an <a> displayed inline within a <p>, or a list item or table
# cell of a guide's text, that has other text), and
# a decoration the finger goes through (pointer-events: none, such as the outbox count drawn on
# the Waiting tab, which the tab beneath takes).
SMALL_TARGETS = """([minimum, root]) => {
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary,"
    + " [role=button]";
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "")
    + ` "${(el.textContent || el.name || "").trim().slice(0, 40)}"`;
  const inSentence = (el) => {
    const paragraph = el.parentElement?.closest("p, li, td");
    return el.tagName === "A" && getComputedStyle(el).display === "inline" && paragraph
      && paragraph.textContent.trim().length > el.textContent.trim().length;
  };
  const small = [];
  for (const el of document.querySelector(root).querySelectorAll(controls)) {
    const tile = el.matches("input[type=radio], input[type=checkbox]") && el.closest("label");
    const target = tile || el;
    if (!target.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    if (getComputedStyle(target).pointerEvents === "none" || inSentence(el)) continue;
    const box = target.getBoundingClientRect();
    if (box.right <= 0 || box.bottom + window.scrollY <= 0) continue;  // the unfocused skip link
    if (box.width < minimum || box.height < minimum) {
      small.push(`${describe(target)} ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""

# The part of the screen the chrome keeps for itself: what stays put while the page scrolls.
CHROME = """() => {
  const box = (selector) => document.querySelector(selector)?.getBoundingClientRect();
  const stays = (selector) => {
    const el = document.querySelector(selector);
    const position = el && getComputedStyle(el).position;
    return ["fixed", "sticky"].includes(position) ? box(selector).height : 0;
  };
  return {
    topbar: box(".topbar").height,
    kept: stays(".topbar") + stays(".tabbar") + stays(".sticky-actions"),
    tabbarTop: box(".tabbar")?.top,
    saveBottom: box(".sticky-actions")?.bottom,
  };
}"""


@pytest.fixture
def field(create_user, create_household, create_visit):
    """A volunteer with the things their pages list: cases due, a help request, badges, thanks."""
    volunteer = create_user("volunteer", areas=["NI-01"], name="จันทร์เพ็ญ ศรีวงษ์")
    staff = create_user("staff")
    household = create_household("NI-01", volunteer=volunteer, tags=["elderly"])
    create_household("NI-01", volunteer=volunteer, head_name="บุญมี ผาสุข")
    visit = create_visit(household, volunteer, days_ago=40, wellbeing="yellow")
    visit_photo(visit, volunteer)  # the household page shows it; the card never does
    program = db.session.scalar(
        select(WelfareProgram).where(WelfareProgram.code == "state_welfare_card")
    )
    db.session.add_all(
        [
            Member(household=household, name="ทองดี ใจดี", birth_year=1950),
            Assistance(
                household=household, village_id=household.village_id, program=program,
                status="applied", next_follow_up=today(), note="",
            ),
            HelpRequest(household=household, category="visit", message="มาเยี่ยมหน่อย",
                        phone="0812345678", status="new"),
        ]
    )  # fmt: skip
    badge = db.session.scalar(select(Badge).where(Badge.code == "smile"))
    award = recognition.award(badge, volunteer, staff, "ยิ้มแย้ม ดูแลผู้สูงอายุด้วยใจ")
    recognition.thank(volunteer, staff, "ขอบคุณที่ไปเยี่ยม", visit=visit)
    question, _ = consultations.post(
        volunteer,
        consultations.MessageInput(body="ยายปวดเข่า ควรส่งต่อที่ไหน", household=household.code),
    )
    consultations.post(
        staff, consultations.MessageInput(body="ส่ง รพ.สต. ได้เลยค่ะ", thread=question.thread_id)
    )
    notice = announcements.create(
        staff,
        announcements.AnnouncementInput(
            kind="training", title="อบรมการประสานส่งต่อ", body="นำบัตรประชาชนมาด้วย",
            area_codes=["NI"], event_on="15/12/2569", event_time="09:30", place="ศาลาประชาคม",
        ),
    )  # fmt: skip
    encounter, _ = encounters.report(
        volunteer,
        encounters.EncounterInput(
            seen_at=utcnow(), category="homeless", urgency="urgent", place="ศาลาหน้าตลาด",
            description="ชายสูงอายุนอนที่ศาลา", person_name="ลุงเสาร์", person_age=67,
        ),
    )  # fmt: skip
    encounters.take_step(
        staff, encounter, encounters.StepInput(step="assign", assignee=staff.id, note="ไปดูแล้ว")
    )
    db.session.commit()
    return {
        "encounter": encounter.id,
        "volunteer": volunteer,
        "code": household.code,
        "token": household.qr_token,
        "award": award.public_id,
        "thread": question.thread_id,
        "announcement": notice.id,
    }


def phone_page(browser, live_server, field, language, logged_in):
    """Open a Thai phone (360x740), logged in as the volunteer or not, in the language."""
    # axe is injected as a script: only this test's browser lets it past the page's CSP.
    context = new_context(
        browser, viewport=PHONE, locale="th-TH", is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    if logged_in:
        log_in(page, live_server, field["volunteer"])
    page.goto(f"{live_server}/privacy?lang={language}")
    return page


def open_page(page, live_server, name, field):
    """Go to a named page and wait until the app has started on it."""
    path = {**VOLUNTEER_PAGES, **PUBLIC_PAGES}[name]
    page.goto(live_server + path.format(user_id=field["volunteer"].id, **field))
    page.evaluate("window.PwaApp.ready")


def small_targets(page, within="body"):
    """Return the visible controls under a selector that are smaller than a thumb."""
    return page.evaluate(SMALL_TARGETS, [MIN_TARGET, within])


def serious_violations(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize(("language", "name"), CHECKS)
def test_page_has_no_serious_axe_violation_and_only_thumb_sized_controls(
    browser, live_server, field, language, name
):
    page = phone_page(browser, live_server, field, language, name in VOLUNTEER_PAGES)
    open_page(page, live_server, name, field)

    assert serious_violations(page) == []
    assert page.locator(".topbar").bounding_box()["height"] <= TOPBAR_MAX
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no side scroll
    if name in PAGES_PENDING_OTHER_WORK:
        pytest.skip(f"{name}: its small targets wait for its own template's fix")
    assert small_targets(page) == []
    if name in VOLUNTEER_PAGES:
        page.click(".menu-button")
        assert page.locator(".menu-panel").is_visible()
        assert small_targets(page) == []
    page.context.close()


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_visit_form_keeps_four_fifths_of_the_screen_for_the_page(
    browser, live_server, field, language
):
    page = phone_page(browser, live_server, field, language, logged_in=True)
    open_page(page, live_server, "visit_form", field)

    chrome = page.evaluate(CHROME)
    assert chrome["topbar"] <= TOPBAR_MAX  # one row: the menu does not wrap
    assert (PHONE["height"] - chrome["kept"]) / PHONE["height"] >= CONTENT_SHARE_MIN, chrome
    assert chrome["saveBottom"] <= chrome["tabbarTop"] + 0.5, "the save bar sits above the tabs"
    page.context.close()


def test_the_tab_bar_gives_four_labelled_tabs_and_the_outbox_count(browser, live_server, field):
    page = phone_page(browser, live_server, field, "th", logged_in=True)
    open_page(page, live_server, "households", field)

    tabs = page.locator(".tabbar a.tab")
    assert tabs.all_inner_texts() == ["หน้าหลัก", "สแกน", "ครัวเรือน", "รอส่ง"]
    assert all(tab.bounding_box()["height"] >= 48 for tab in tabs.all())
    assert page.locator(".tabbar [aria-current=page]").inner_text() == "ครัวเรือน"
    badge = page.locator("[data-outbox-badge]")
    assert badge.count() == 1 and badge.get_attribute("href") == "/outbox"
    assert page.locator(".tabbar svg[aria-hidden=true]").count() == 4
    # The page's last line scrolls clear of the fixed tabs.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator(".footer").bounding_box()
    assert footer["y"] + footer["height"] <= page.locator(".tabbar").bounding_box()["y"] + 0.5
    page.context.close()


@pytest.mark.parametrize("language", ["th", "en"])
def test_staff_keep_their_whole_menu_behind_one_button_in_one_row(
    browser, live_server, create_user, language
):
    staff = create_user("admin")
    context = new_context(browser, viewport=PHONE, locale="th-TH", is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, staff)
    page.goto(f"{live_server}/?lang={language}")

    assert page.locator(".topbar").bounding_box()["height"] <= TOPBAR_MAX
    assert page.locator(".tabbar").count() == 0
    assert page.locator("[data-outbox-badge]").count() == 1
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")  # the notifications bell
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # a <summary> opens its menu from the keyboard
    links = page.locator(".menu-panel nav:not(.lang) a")
    # home, scan, households, 4 staff (people in hardship among them), 6 admin pages (areas
    # among them), outbox, know-how, consultations, announcements, agencies, password
    assert links.count() == 19
    assert page.locator(".menu-panel form[data-logout].inline button").is_visible()
    assert small_targets(page, ".topbar") == []  # staff pages themselves are for bigger screens
    context.close()


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_dashboard_drills_down_through_links_axe_finds_fine(
    browser, live_server, create_user, create_household, create_visit, monkeypatch, language
):
    from pwa_app.models import Area
    from pwa_app.services import dashboard
    from pwa_app.web import choices

    # Limits small enough that the demo's 13 villages are "too many": the map draws its two
    # subdistricts as links, the chart its district, and the area select lists a short line.
    monkeypatch.setattr(dashboard, "BREAKDOWN_LIMIT", 1)
    monkeypatch.setattr(dashboard, "MAP_LIMIT", 2)
    monkeypatch.setattr(choices, "CHOICES_LIMIT", 5)
    for code, lat, lon in (("NI-01", 16.52, 104.24), ("BL-01", 16.45, 104.31)):
        area = db.session.scalar(select(Area).where(Area.code == code))
        area.lat, area.lon = lat, lon
    staff = create_user("staff")
    create_visit(create_household("NI-01"), staff)
    context = new_context(browser, viewport={"width": 1024, "height": 900}, bypass_csp=True)
    page = context.new_page()
    log_in(page, live_server, staff)
    page.goto(f"{live_server}/dashboard?period=week&lang={language}")

    assert page.locator(".coverage-map a.chart-link").count() == 2
    assert page.locator("#area-hint").is_visible()
    assert serious_violations(page) == []
    page.locator(".coverage-map a.chart-link").first.click()
    page.wait_for_url(f"{live_server}/dashboard?period=week&area=BL")
    assert page.locator("#area option[selected]").get_attribute("value") == "BL"
    assert serious_violations(page) == []
    context.close()
