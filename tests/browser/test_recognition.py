"""Staff thank a visit and award a badge; the volunteer sees both at home and can share it."""

from tests.browser.conftest import new_context
from tests.browser.test_field_flow import log_in


def test_staff_thank_and_award_and_the_volunteer_sees_both(
    browser, live_server, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01"], name="สมพร แก้วมณี")
    staff = create_user("staff")
    create_visit(create_household("NI-01", volunteer=volunteer), volunteer)

    staff_page = new_context(
        browser, locale="th-TH", viewport={"width": 1024, "height": 900}
    ).new_page()
    log_in(staff_page, live_server, staff)
    staff_page.goto(f"{live_server}/dashboard")
    staff_page.click("button:has-text('ขอบคุณ')")
    staff_page.locator(".chip", has_text="ขอบคุณแล้ว").wait_for()
    staff_page.goto(f"{live_server}/volunteers/{volunteer.id}")
    staff_page.select_option("select[name=badge]", "smile")
    staff_page.fill("textarea[name=citation]", "ยิ้มแย้ม ดูแลผู้สูงอายุด้วยใจ")
    staff_page.click("#award button[type=submit]")
    staff_page.wait_for_url(f"{live_server}/badges/verify/**")
    verify_url = staff_page.url
    staff_page.context.close()

    page = new_context(browser, locale="th-TH", viewport={"width": 360, "height": 740}).new_page()
    log_in(page, live_server, volunteer)
    feed = page.locator(".recognition").inner_text()
    assert "เครื่องหมาย: Smile มีความสุข" in feed
    assert "คำขอบคุณจาก" in feed
    page.click("a:has-text('หน้าสาธารณะสำหรับแชร์')")
    assert page.url == verify_url
    page.context.close()

    anyone = new_context(browser, locale="th-TH").new_page()
    anyone.goto(verify_url)
    assert "สมพร แก้วมณี" in anyone.content()
    assert "ตรวจสอบแล้ว" in anyone.locator(".verified").inner_text()
    anyone.context.close()
