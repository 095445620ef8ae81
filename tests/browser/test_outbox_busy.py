"""A busy database: the sync answers 503, the phone keeps the visit and sends it once later."""

from playwright.sync_api import expect
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Visit
from tests.browser.test_offline import (
    expect_outbox_empty,
    expect_outbox_state,
    log_in_and_prime,
    open_outbox,
    press_send_now,
    visits_in_db,
    wait_for_badge,
)
from tests.locks import write_lock_held_elsewhere

SYNC_PATH = "/api/v1/visits/sync"
OUTBOX_ENTRIES = "async () => await window.PwaOutbox.entries(null)"


def test_a_visit_refused_by_a_busy_server_waits_on_the_phone_and_arrives_once(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-07"])
    household = create_household("NI-07", volunteer=volunteer)
    log_in_and_prime(page, live.url, volunteer)
    page.goto(f"{live.url}/visits/new?household={household.code}")
    page.evaluate("window.PwaApp.ready")
    answers = []
    page.on(
        "response",
        lambda response: (
            response.url.endswith(SYNC_PATH)
            and answers.append((response.status, response.headers.get("retry-after")))
        ),
    )

    with write_lock_held_elsewhere() as release:
        page.click("label.radio-yellow")
        page.click("label.radio-routine")
        page.fill("textarea[name=notes]", "ส่งตอนเซิร์ฟเวอร์ไม่ว่าง")
        page.click("button[data-save]")
        page.wait_for_url(f"{live.url}/households/{household.code}")  # kept on the phone: moves on

        open_outbox(page, live.url)  # reads only, so it opens while the lock is held
        wait_for_badge(page, "รอส่ง 1")
        waiting = page.locator(".outbox-entry.status-waiting")
        waiting.filter(has_text="จะลองใหม่").wait_for()
        assert waiting.count() == 1 and household.code in waiting.inner_text()
        [entry] = page.evaluate(OUTBOX_ENTRIES)
        assert entry["error"] == "http_503" and entry["next_attempt_at"]
        press_send_now(page)
        expect(page.locator("[data-send-status]")).to_contain_text("เซิร์ฟเวอร์ไม่ว่าง")
        assert waiting.count() == 1
        assert set(answers) == {(503, "5")}
        assert visits_in_db() == 0

        expect_outbox_state(page, "waiting")  # no send of the page's own is under way
        release()  # the other writer is done
        refused = len(answers)
        press_send_now(page)
        expect_outbox_empty(page)
        assert visits_in_db() == 1
        assert db.session.scalar(select(Visit.notes)) == "ส่งตอนเซิร์ฟเวอร์ไม่ว่าง"
        assert page.evaluate(OUTBOX_ENTRIES) == []
        page.locator("[data-outbox-badge]").wait_for(state="hidden")

        press_send_now(page)
        expect(page.locator("[data-send-status]")).to_contain_text("ส่งแล้ว: 0")
        assert visits_in_db() == 1
        assert [status for status, _ in answers[refused:]] == [200]  # one retry, accepted
