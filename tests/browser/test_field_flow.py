"""The volunteer's day and the household's card, driven through the real pages."""

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Assistance, HelpRequest, Household, Visit
from tests.browser.conftest import new_context
from tests.conftest import PASSWORD

ZBARIMG = "/usr/bin/zbarimg"


def log_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def test_volunteer_logs_a_visit_with_two_welfare_entries(
    page, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    log_in(page, live_server, volunteer)

    page.goto(f"{live_server}/visits/new?household={household.code}")
    page.evaluate("window.PwaApp.ready")  # from here the form saves through the phone's outbox
    page.click("label.radio-yellow")
    page.click("label.radio-routine")
    page.check("input[name=needs][value=health]")
    page.fill("textarea[name=notes]", "ยายความดันสูง")
    page.select_option("select[name='new_cases-0-program']", "old_age_allowance")
    page.select_option("select[name='new_cases-0-status']", "applied")
    page.click("[data-add-case]")
    page.select_option("select[name='new_cases-1-program']", "refer_health")
    page.select_option("select[name='new_cases-1-status']", "referred")
    page.fill("input[name='new_cases-1-note']", "ส่ง รพ.สต.")
    page.click("button:has-text('บันทึกการเยี่ยม')")

    page.wait_for_url(f"{live_server}/households/{household.code}")
    page.locator(".alert-ok").filter(has_text="บันทึก").wait_for()
    expect(page.locator("[data-outbox-badge]")).to_have_attribute("data-outbox-state", "idle")
    page.reload()  # the page as the server has it now
    timeline = page.locator("#timeline").inner_text()
    assert "ยายความดันสูง" in timeline
    cases = page.locator("#cases").inner_text()
    assert "เบี้ยยังชีพผู้สูงอายุ" in cases and "ส่งต่อหน่วยบริการสาธารณสุข" in cases
    db.session.rollback()  # end the test's read snapshot to see what the server committed
    assert db.session.scalar(select(Visit.wellbeing)) == "yellow"
    assert sorted(db.session.scalars(select(Assistance.status))) == ["applied", "referred"]
    assert page.console_errors == []


def test_household_asks_for_help_and_staff_see_it(
    browser, page, live_server, create_user, create_household
):
    household = create_household("NI-02")
    staff = create_user("staff")

    page.goto(f"{live_server}/h/{household.qr_token}")
    assert household.head_name not in page.content()
    page.click("label.radio-food")
    page.fill("textarea[name=message]", "ข้าวสารหมดแล้ว")
    page.click("button:has-text('ส่งคำขอ')")
    expect(page.locator("main")).to_contain_text("ส่งคำขอแล้ว")

    staff_context = new_context(browser, viewport={"width": 1024, "height": 800}, locale="th-TH")
    staff_page = staff_context.new_page()
    log_in(staff_page, live_server, staff)
    staff_page.goto(f"{live_server}/help-requests")
    assert "ข้าวสารหมดแล้ว" in staff_page.content()
    staff_page.click("button:has-text('รับทราบแล้ว')")
    staff_context.close()
    db.session.rollback()  # end the test's read snapshot to see what the server committed
    assert db.session.scalar(select(HelpRequest.status)) == "seen"


def qr_video(path, text, width=640, height=480, frames=30, scale=8):
    """Write a Y4M video showing one QR code: grey Y plane, U and V at 128."""
    import qrcode

    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix) * scale
    left, top = (width - size) // 2, (height - size) // 2
    plane = bytearray([255]) * (width * height)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                for y in range(top + row * scale, top + (row + 1) * scale):
                    start = y * width + left + col * scale
                    plane[start : start + scale] = bytes(scale)
    chroma = bytes([128]) * (width * height // 4)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(plane) + chroma + chroma)


def camera_browser(launch_browser, video):
    """Launch Chromium whose camera shows the given Y4M video."""
    return launch_browser(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )


def test_the_scanner_decodes_a_card_from_the_camera(
    tmp_path, launch_browser, live_server, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-03"])
    household = create_household("NI-03", volunteer=volunteer)
    video = tmp_path / "card.y4m"
    qr_video(video, f"https://cards.example.org/h/{household.qr_token}")

    context = new_context(
        camera_browser(launch_browser, video),
        viewport={"width": 390, "height": 844},
        locale="th-TH",
    )
    page = context.new_page()
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server}/scan")
    page.wait_for_url(f"{live_server}/visits/new?household={household.code}")
    assert household.code in page.locator("h1").inner_text()


def test_a_foreign_qr_code_is_refused(tmp_path, launch_browser, live_server, create_user):
    volunteer = create_user("volunteer", areas=["NI-03"])
    video = tmp_path / "other.y4m"
    qr_video(video, "https://example.com/not-a-card")
    page = new_context(camera_browser(launch_browser, video), locale="th-TH").new_page()
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server}/scan")
    page.locator(".scanner-status").filter(has_text="ไม่ใช่บัตรครัวเรือน").wait_for()
    assert page.url == f"{live_server}/scan"


def test_without_a_camera_the_code_can_be_typed(page, live_server, create_user, create_household):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server}/scan")
    page.locator(".scanner-status").filter(has_text="ใช้กล้องไม่ได้").wait_for()
    page.fill("input[name=household]", household.code.lower())
    page.click("button:has-text('เปิดแบบบันทึกการเยี่ยม')")
    expect(page.locator("h1")).to_contain_text(household.code)


def test_every_printed_card_leads_to_its_household(
    browser, live_server, create_user, create_household, tmp_path
):
    if not Path(ZBARIMG).exists():
        pytest.fail(f"{ZBARIMG} is missing: install Debian's zbar-tools (make test does it)")
    staff = create_user("staff")
    printed = [create_household("BL-02") for _ in range(6)]
    context = new_context(browser, viewport={"width": 900, "height": 1200}, device_scale_factor=2)
    page = context.new_page()
    log_in(page, live_server, staff)
    page.goto(f"{live_server}/households/cards?village=BL-02")
    page.emulate_media(media="print")
    shot = tmp_path / "cards.png"
    page.screenshot(path=str(shot), full_page=True)
    context.close()

    decoded = subprocess.run(
        [ZBARIMG, "--quiet", "--raw", str(shot)], capture_output=True, text=True, check=False
    ).stdout.split()
    tokens = {url.rsplit("/h/", 1)[1] for url in decoded}
    assert tokens == {h.qr_token for h in printed}
    for url in decoded:
        assert url.startswith(live_server + "/h/")
    codes = {
        db.session.scalar(select(Household.code).where(Household.qr_token == t)) for t in tokens
    }
    assert codes == {h.code for h in printed}
