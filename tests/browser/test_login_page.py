"""A volunteer logs in through the real page on a phone-sized screen."""

from tests.conftest import PASSWORD


def test_volunteer_logs_in_through_the_page(page, live_server, create_user):
    user = create_user("volunteer", name="จันทร์เพ็ญ ศรีวงษ์", areas=["NI-01"])

    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "เข้าสู่ระบบ"

    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_url(f"{live_server}/")
    assert "สวัสดี คุณจันทร์เพ็ญ" in page.locator("h1").inner_text()
    assert page.console_errors == []


def test_wrong_password_is_shown_in_thai_and_the_phone_stays(page, live_server, create_user):
    user = create_user("volunteer")
    page.goto(f"{live_server}/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", "not-my-password")
    page.click("button[type=submit]")

    assert "เบอร์โทรศัพท์หรือรหัสผ่านไม่ถูกต้อง" in page.locator(".alert-error").inner_text()
    assert page.input_value("input[name=phone]") == user.phone


def test_login_page_fits_a_360px_screen_with_big_targets(page, live_server):
    page.goto(f"{live_server}/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("button[type=submit]").bounding_box()
    assert box["height"] >= 44
    assert page.console_errors == []
