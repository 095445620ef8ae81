"""docs/rollout.md, performed: a new subdistrict from CSV files to a volunteer's first visit.

With ROLLOUT_SCREENSHOTS=<folder> the test also takes the guide's pictures (as JPEG files).
"""

import os
import re
from pathlib import Path

from flask_babel import force_locale
from playwright.sync_api import expect
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Household, Visit
from tests.browser.test_finder import log_in

AREAS_CSV = """code,level,parent,name_th,name_en,official_code,lat,lon
KH,subdistrict,MDH-KCI,คำบก,Kham Bok,490402,16.47,104.29
KH-01,village,KH,บ้านคำบก,Ban Kham Bok,49040201,16.471,104.288
KH-02,village,KH,บ้านนาคำ,Ban Na Kham,49040202,16.462,104.301
"""
USERS_CSV = """phone,name,role,areas,org
0893330001,ประไพ ศรีคำบก,volunteer,KH,MDH
"""
HOUSEHOLDS_CSV = """code,house_no,village,head_name,phone,tags,lat,lon
KH-01-0001,12,KH-01,ทองสุข บุญมา,,elderly,,
KH-01-0002,14,KH-01,คำไพ ศรีสุข,,,,
KH-02-0001,3,KH-02,บุญเรือง ใจดี,,,,
"""
NEW_PASSWORD = "ข้าวหอมมะลิคำบก"


def picture(page, name):
    """Keep a picture for the guide when asked to."""
    folder = os.environ.get("ROLLOUT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.jpg", type="jpeg", quality=60)


def leave(page, live_server):
    """Hand the phone to someone else: the page's own requests stopped first, so that none
    answering late brings the old session back; and if one did (the service worker's
    background fetches outlive the page), the cookies are cleared again until the login page
    shows."""
    page.goto("about:blank")
    page.context.clear_cookies()
    for _ in range(5):
        page.goto(f"{live_server}/login")
        if page.locator("input[name=phone]").count():
            return
        page.context.clear_cookies()
    raise AssertionError("the old session kept coming back")


def upload(page, url, text, name):
    page.goto(url)
    page.set_input_files(
        "input[type=file]", {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.click("form[enctype='multipart/form-data'] button[type=submit]")


def test_a_new_subdistrict_is_working_the_same_hour(
    page, live_server, app, create_user, create_household, second_org
):
    admin = create_user("admin")
    other = create_user("staff", org=second_org.code)  # a centre elsewhere
    staff = create_user("staff")
    log_in(page, live_server, admin)

    # 1. Its villages, with where they are.
    upload(page, f"{live_server}/admin/areas/import", AREAS_CSV, "areas.csv")
    expect(page.locator("main")).to_contain_text("3")
    page.goto(f"{live_server}/admin/areas")
    expect(page.locator("main")).to_contain_text("KH-02")
    picture(page, "1-areas")

    # 2. Its volunteers: one file, a one-time password each, printed once.
    users_file = Path(app.instance_path) / "rollout-users.csv"
    users_file.write_text(USERS_CSV, encoding="utf-8")
    with force_locale("en"):
        result = app.test_cli_runner().invoke(args=["users", "import", str(users_file)])
    assert result.exit_code == 0, result.output
    one_time = re.search(r"0893330001\s+volunteer\s+(\S+)", result.output).group(1)

    # 3. Its households, and their cards.
    upload(page, f"{live_server}/households/import", HOUSEHOLDS_CSV, "households.csv")
    expect(page.locator(".alert-ok").first).to_contain_text("3")
    picture(page, "2-households")
    page.goto(f"{live_server}/households/cards?village=KH-01")
    expect(page.locator("main")).to_contain_text("KH-01-0001")
    picture(page, "3-cards")

    # 4. The new volunteer: their own password first, then a visit found by number.
    leave(page, live_server)
    page.goto(f"{live_server}/login")
    page.fill("input[name=phone]", "0893330001")
    page.fill("input[name=password]", one_time)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/account/password")
    picture(page, "4-first-login")
    page.fill("input[name=current_password]", one_time)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.evaluate("window.PwaApp.ready")
    page.select_option("[data-finder-village]", "KH-01")
    page.tap("[data-finder-number]")
    page.keyboard.type("1")
    expect(page.locator("[data-finder-results] .row-link").first).to_contain_text("KH-01-0001")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/visits/new?household=KH-01-0001")
    page.locator("[data-visit-form][data-ready]").wait_for()
    page.click("label.radio-green")
    picture(page, "5-first-visit")
    page.click("button[data-save]")
    page.wait_for_url(f"{live_server}/households/KH-01-0001")
    expect(page.locator("[data-outbox-badge]")).to_have_attribute("data-outbox-state", "idle")

    # 5. The centre sees it.
    db.session.rollback()
    assert db.session.scalar(select(func.count(Visit.id))) == 1
    assert db.session.scalar(select(func.count(Household.id))) == 3
    leave(page, live_server)
    log_in(page, live_server, staff)
    page.goto(f"{live_server}/dashboard?area=KH&lang=th")
    expect(page.locator(".coverage-map")).to_be_visible()
    page.locator(".coverage-map").scroll_into_view_if_needed()
    picture(page, "6-dashboard")

    assert page.console_errors == []

    # 6. Another centre sees none of it.
    leave(page, live_server)
    log_in(page, live_server, other)
    assert page.goto(f"{live_server}/households/KH-01-0001").status == 404
    page.goto(f"{live_server}/dashboard?lang=en")
    expect(page.locator("main")).not_to_contain_text("Kham Bok")
