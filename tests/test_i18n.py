"""Thai first, English second: choosing the language, and Buddhist-era dates."""

import re
from datetime import UTC, date, datetime

from pwa_app.i18n import format_day, format_moment
from tests.conftest import csrf_from
from tools import catalogues


def test_thai_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="th">' in page
    assert "เข้าสู่ระบบ" in page


def test_lang_parameter_switches_and_is_remembered(client):
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    assert "เข้าสู่ระบบ" in client.get("/login?lang=th").get_data(as_text=True)


def test_browser_language_decides_when_nothing_was_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in page
    page = client.get("/login", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="th">' in page


def test_a_malformed_lang_is_explained_not_an_error(client):
    response = client.get("/login?lang=xx%3Cscript%3E")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ไม่มีภาษานี้" in page
    assert "<script>" not in page.split("<main")[1].split("</main>")[0]


def test_a_logged_in_users_choice_is_kept_on_their_account(app, client, login_as):
    from pwa_app.extensions import db
    from pwa_app.models import User

    user = login_as("volunteer")
    client.get("/?lang=en")
    assert db.session.get(User, user.id).preferred_language == "en"


def test_thai_dates_use_the_buddhist_era(app):
    with app.test_request_context("/?lang=th"):
        app.preprocess_request()
        assert format_day(date(2026, 11, 25)) == "25 พ.ย. 2569"
        assert format_moment(datetime(2026, 11, 25, 3, 30, tzinfo=UTC)) == "25 พ.ย. 2569 10:30"


def test_english_dates_use_the_common_era(app):
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert format_day(date(2026, 11, 25)) == "Nov 25, 2026"


def test_every_string_in_the_code_is_translated_in_thai_and_english(tmp_path):
    fresh = tmp_path / "messages.pot"
    catalogues.extract(fresh)
    assert catalogues.missing("th", fresh) == []
    assert catalogues.missing("en", fresh) == []


def test_error_pages_speak_both_languages(client):
    assert "ไม่พบหน้าที่ต้องการ" in client.get("/nowhere").get_data(as_text=True)
    assert "could not find that page" in client.get("/nowhere?lang=en").get_data(as_text=True)


def test_every_template_yields_its_strings_to_the_extractor():
    """A template the extractor cannot parse would drop its strings from the catalogues."""
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from babel.messages.frontend import parse_mapping_cfg

    with open("babel.cfg") as config:
        _methods, options = parse_mapping_cfg(config)
    for path in Path("templates").rglob("*.html"):
        text = path.read_text("utf-8")
        found = list(
            extract_from_file(
                "jinja2", str(path), options={**options["**.html"], "silent": "false"}
            )
        )
        if '_("' in text or "_('" in text:
            assert found, f"no strings extracted from {path}"


def lang_links(page):
    """Return the hrefs of the language switch, Thai then English."""
    return re.findall(r'<a href="([^"]*)" lang="(?:th|en)"', page)


def test_the_language_switch_keeps_the_page_and_its_query(client, login_as, create_household):
    login_as("volunteer")
    household = create_household("NI-01")
    page = client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    assert lang_links(page) == [
        f"/visits/new?household={household.code}&amp;lang=th",
        f"/visits/new?household={household.code}&amp;lang=en",
    ]
    page = client.get("/households?stale=30&lang=th").get_data(as_text=True)
    assert lang_links(page)[1] == "/households?stale=30&amp;lang=en"


def test_a_form_sent_back_with_errors_switches_language_on_the_page_it_came_from(
    client, create_household
):
    household = create_household("NI-01")
    card = f"/h/{household.qr_token}"
    token = csrf_from(client.get(card))
    response = client.post(
        f"{card}/help",
        data={"message": "ช่วยด้วย", "csrf_token": token},
        headers={"Referer": f"http://localhost{card}?from=wall"},
    )
    assert response.status_code == 400
    assert lang_links(response.get_data(as_text=True))[1] == f"{card}?from=wall&amp;lang=en"


def test_pages_say_when_they_were_rendered(client):
    page = client.get("/login").get_data(as_text=True)
    stamp = re.search(r'<meta name="rendered-at" content="([^"]+)">', page).group(1)
    assert abs(datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds() < 60
