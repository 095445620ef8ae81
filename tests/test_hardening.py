"""Hostile input and the defects an attacker found: each refused clearly, nothing saved twice."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, Award, Household, RateEvent, Visit
from pwa_app.models.base import utcnow
from pwa_app.services import passwords
from tests.conftest import PASSWORD, AuthActions, csrf_from
from tests.test_sync_api import item

ENGLISH = {"Accept-Language": "en"}
HUGE = "99999999999999999999"


@pytest.fixture
def sync(client, login_as):
    """Log a volunteer of NI-01 in; return a function that posts a raw or JSON batch."""
    user = login_as("volunteer", areas=["NI-01"])
    token = csrf_from(client.get("/"))

    def post(body, raw=False):
        return client.post(
            "/api/v1/visits/sync",
            data=body if raw else json.dumps(body),
            headers={"X-CSRFToken": token, "Content-Type": "application/json", **ENGLISH},
        )

    post.user = user
    return post


def visit_count():
    return db.session.scalar(select(func.count(Visit.id)))


# --- Control characters and lone surrogates: one rule for every text --------------------


@pytest.mark.parametrize("bad", ["a\x00b", "\x0b", "line\x01", "\x1b[31m", "x\x7f"])
def test_a_synced_note_with_a_control_character_is_rejected_alone(sync, create_household, bad):
    household = create_household("NI-01")
    good, wrong = item(household), item(household, notes=bad)
    response = sync({"visits": [wrong, good]})
    assert response.status_code == 200
    first, second = response.json["results"]
    assert first["status"] == "rejected" and "notes" in first["fields"]
    assert "control character" in first["fields"]["notes"]
    assert second["status"] == "created"
    assert visit_count() == 1


@pytest.mark.parametrize("where", ["notes", "assistance"])
def test_a_lone_surrogate_rejects_its_item_and_saves_the_one_beside_it(
    sync, create_household, where
):
    household = create_household("NI-01")
    wrong = item(household, notes="\ud800" if where == "notes" else "")
    if where == "assistance":
        wrong["assistance"] = [
            {"program": "old_age_allowance", "status": "identified", "note": "\ud800"}
        ]
    # The raw body carries the escape as JSON allows; Python's json writes it the same way.
    body = json.dumps({"visits": [wrong, item(household)]})
    assert "\\ud800" in body
    response = sync(body, raw=True)
    assert response.status_code == 200
    first, second = response.json["results"]
    assert first["status"] == "rejected"
    assert any("invalid character (code U+D800)" in text for text in first["fields"].values())
    assert second["status"] == "created"


def test_a_replayed_id_with_a_surrogate_is_rejected_not_a_server_error(sync, create_household):
    household = create_household("NI-01")
    first = item(household)
    assert sync({"visits": [first]}).json["results"][0]["status"] == "created"
    replay = {**first, "notes": "\udfff"}
    result = sync(json.dumps({"visits": [replay]}), raw=True).json["results"][0]
    assert result["status"] == "rejected"
    assert visit_count() == 1


def test_a_form_note_with_a_control_character_is_refused_and_shown_without_it(
    client, login_as, create_household
):
    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    page = client.get(f"/visits/new?household={household.code}")
    form = {
        "csrf_token": csrf_from(page),
        "client_uuid": re.search(
            r'name="client_uuid"[^>]*value="([^"]+)"', page.get_data(as_text=True)
        ).group(1),
        "visited_at": utcnow().astimezone().strftime("%Y-%m-%dT%H:%M"),
        "kind": "routine",
        "wellbeing": "green",
        "notes": "ป้ายาย\x0bสบายดี",
    }
    response = client.post(f"/visits/new?household={household.code}", data=form, headers=ENGLISH)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "hidden control character (U+000B)" in text
    assert "ป้ายายสบายดี" in text  # what they typed, minus the character, ready to save
    assert visit_count() == 0


def test_a_household_form_with_a_nul_saves_nothing(client, login_as, create_household):
    login_as("staff")
    household = create_household("NI-01")
    response = client.post(
        f"/households/{household.code}/edit",
        data={
            "csrf_token": csrf_from(client.get(f"/households/{household.code}/edit")),
            "village": "NI-01",
            "house_no": "1",
            "head_name": "สม\x00ศรี",
        },
        headers=ENGLISH,
    )
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Household, household.id).head_name == "สมศรี ใจดี"


def test_a_control_character_in_the_address_is_a_clear_400(client, login_as):
    login_as("staff")
    for url in (
        "/households?q=%00",
        "/households?q=a%0Bb",
        "/households/NI-01%00",
        "/reports/monthly?month=%01",
    ):
        response = client.get(url, headers=ENGLISH)
        assert response.status_code == 400, url
        assert "hidden control character" in response.get_data(as_text=True)


def test_nothing_that_forgot_to_check_can_store_a_nul(app, create_household):
    household = create_household("NI-01")
    household.head_name = "a\x00b"
    from pwa_app.services.errors import ValidationError

    with pytest.raises(ValidationError):
        db.session.flush()
    db.session.rollback()


# --- Numbers: finite, not booleans ------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        '{"lat": 16.5, "lon": 104.7, "accuracy": 1e400}',
        '{"lat": 16.5, "lon": 104.7, "accuracy": "inf"}',
        '{"lat": "nan", "lon": 104.7}',
        '{"lat": true, "lon": 104.7}',
        '{"lat": 16.5, "lon": false}',
    ],
)
def test_a_location_that_is_not_a_finite_number_is_rejected(sync, create_household, location):
    household = create_household("NI-01")
    body = json.dumps({"visits": [item(household)]}).replace(
        '"location": null', f'"location": {location}'
    )
    result = sync(body, raw=True).json["results"][0]
    assert result["status"] == "rejected" and "location" in result["fields"]
    assert visit_count() == 0


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN"])
def test_json_that_is_not_json_is_refused_as_a_whole(sync, create_household, literal):
    household = create_household("NI-01")
    body = json.dumps({"visits": [item(household)]}).replace(
        '"location": null', f'"location": {{"lat": {literal}}}'
    )
    response = sync(body, raw=True)
    assert response.status_code == 400 and response.json["error"] == "invalid_json"


def test_a_body_nested_100000_deep_is_a_clear_400(sync):
    response = sync('{"visits": ' + "[" * 100_000 + "]" * 100_000 + "}", raw=True)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_json"


def test_a_case_id_of_true_is_not_case_one(sync, create_household):
    household = create_household("NI-01")
    entry = item(household, assistance=[{"case_id": True, "status": "applied"}])
    result = sync({"visits": [entry]}).json["results"][0]
    assert result["status"] == "rejected" and "assistance.0.case_id" in result["fields"]


# --- Ids and pages the database cannot hold ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/volunteers/{HUGE}",
        f"/visits/{HUGE}/edit",
        f"/admin/users/{HUGE}",
        f"/admin/badges/{HUGE}",
        f"/households/NI-01-0001/members/{HUGE}",
    ],
)
def test_an_id_that_cannot_exist_is_404(client, login_as, url):
    login_as("admin")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/visits/{HUGE}/thank",
        f"/help-requests/{HUGE}/status",
        f"/visits/{HUGE}/delete",
    ],
)
def test_posting_to_an_id_that_cannot_exist_is_404(client, login_as, auth, url):
    login_as("staff")
    assert auth.post(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/households?page={HUGE}",
        f"/volunteers?page={HUGE}",
        f"/admin/audit?page={HUGE}",
        f"/api/v1/households?page={HUGE}",
        "/households?page=-5",
        f"/households?stale={HUGE}",
        f"/households/cards?page={HUGE}",
    ],
)
def test_a_page_number_past_any_list_shows_an_empty_page(client, login_as, url):
    login_as("admin")
    assert client.get(url).status_code in (200, 304)


# --- A volunteer cannot confirm their own visits ------------------------------------------


def test_volunteers_get_a_hash_of_the_card_and_staff_the_card_itself(
    client, login_as, create_household, auth
):
    household = create_household("NI-01")
    digest = hashlib.sha256(household.qr_token.encode()).hexdigest()
    login_as("volunteer", areas=["NI-01"])
    entry = client.get("/api/v1/households").json["households"][0]
    assert entry["qr_hash"] == digest and "qr_token" not in entry
    assert household.qr_token not in client.get("/api/v1/households").get_data(as_text=True)
    auth.logout()
    login_as("staff")
    entry = client.get("/api/v1/households").json["households"][0]
    assert entry["qr_hash"] == digest and entry["qr_token"] == household.qr_token


def _confirm(client, household):
    page = client.get(f"/h/{household.qr_token}")
    token = csrf_from(page) if page.status_code == 200 else AuthActions(client).token()
    return client.post(
        f"/h/{household.qr_token}/confirm", data={"csrf_token": token}, headers=ENGLISH
    )


def test_a_logged_in_volunteer_cannot_confirm_a_visit(client, sync, create_household):
    household = create_household("NI-01", volunteer=sync.user)
    sync({"visits": [item(household)]})
    response = _confirm(client, household)
    assert response.status_code == 403
    assert "on its own phone" in response.get_data(as_text=True)
    assert db.session.scalar(select(Visit.confirmed_by_household_at)) is None
    refused = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "visit.confirm_refused")
    )
    assert refused.detail["session_user"] == sync.user.id


def test_the_volunteers_phone_cannot_confirm_after_logging_out(
    client, sync, create_household, auth
):
    household = create_household("NI-01", volunteer=sync.user)
    sync({"visits": [item(household)]})
    auth.logout()
    card = client.get(f"/h/{household.qr_token}", headers=ENGLISH).get_data(as_text=True)
    assert "Yes, a volunteer visited" not in card
    assert _confirm(client, household).status_code == 403
    assert db.session.scalar(select(Visit.confirmed_by_household_at)) is None


def test_the_households_own_phone_confirms(app, sync, create_household):
    household = create_household("NI-01", volunteer=sync.user)
    sync({"visits": [item(household)]})
    household_phone = app.test_client()
    assert "Yes, a volunteer visited" in household_phone.get(
        f"/h/{household.qr_token}", headers=ENGLISH
    ).get_data(as_text=True)
    assert _confirm(household_phone, household).status_code == 302
    assert db.session.scalar(select(Visit.confirmed_by_household_at)) is not None


def test_a_visit_that_reached_us_over_a_day_ago_cannot_be_confirmed(
    app, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer")
    household = create_household("NI-01", volunteer=volunteer)
    visit = create_visit(household, volunteer)
    visit.received_at = utcnow() - timedelta(days=1, minutes=5)
    db.session.commit()
    _confirm(app.test_client(), household)
    assert db.session.get(Visit, visit.id).confirmed_by_household_at is None


def test_ten_self_confirmations_earn_no_badge(client, sync, create_household):
    households = [create_household("NI-01", volunteer=sync.user) for _ in range(10)]
    sync({"visits": [item(h) for h in households]})
    for household in households:
        _confirm(client, household)
    assert (
        db.session.scalar(
            select(func.count(Award.id))
            .join(Award.badge)
            .where(Award.badge.has(code="household_confirmed_10"))
        )
        == 0
    )


# --- Logins ------------------------------------------------------------------------------


def test_unknown_phones_are_checked_against_a_hash_of_the_same_cost(app, create_user):
    real = create_user("volunteer").password_hash
    dummy = passwords.dummy_hash()
    parameters = re.compile(r"^\$argon2id\$v=\d+\$(m=\d+,t=\d+,p=\d+)\$")
    assert parameters.match(real).group(1) == parameters.match(dummy).group(1)


def test_a_login_lasts_30_days_not_a_year(client, login_as):
    login_as("volunteer")
    cookies = {cookie.key: cookie for cookie in client._cookies.values()}
    for name in ("session", "remember_token"):
        lifetime = cookies[name].expires - utcnow()
        assert timedelta(days=29) < lifetime <= timedelta(days=30, minutes=1)


def test_guessing_the_current_password_is_throttled_like_logins(app, client, login_as, auth):
    user = login_as("volunteer")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = auth.post(
            "/account/password",
            data={
                "current_password": "wrong-guess-1",
                "new_password": "another-pass-77",
                "confirm_password": "another-pass-77",
            },
            headers=ENGLISH,
        )
        assert response.status_code == 400
    response = auth.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another-pass-77",
            "confirm_password": "another-pass-77",
        },
        headers=ENGLISH,
    )
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert passwords.verify_password(db.session.get(type(user), user.id).password_hash, PASSWORD)
    assert db.session.scalar(select(func.count(RateEvent.id))) >= 10
    # The same budget as the login page: the phone is locked out there too.
    auth.logout()
    assert auth.login(user.phone).status_code == 429


# --- Personal data is never cached, links never follow a forged host -------------------


def test_personal_data_is_sent_with_no_store(client, login_as, create_household, create_visit):
    staff = login_as("staff")
    household = create_household("NI-01")
    create_visit(household, staff)
    for url in (
        "/api/v1/me",
        f"/api/v1/visits?household={household.code}",
        "/api/v1/households",
        f"/households/{household.code}/data.json",
        "/reports/visits.csv",
        "/reports/visits.xlsx",
        f"/households/{household.code}",
        f"/h/{household.qr_token}",
    ):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url


def test_badge_links_never_follow_a_forged_host(app, client, login_as):
    login_as("staff")
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = client.get("/badges/issuer", headers={**evil, "Accept": "application/json"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_public_base_url_makes_links_whatever_the_host(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://visits.example.go.th"
    try:
        response = client.get("/badges/issuer", headers={"Host": "evil.example"})
        assert "https://visits.example.go.th/badges/issuer" in response.get_data(as_text=True)
        assert "evil.example" not in response.get_data(as_text=True)
    finally:
        app.config["PUBLIC_BASE_URL"] = None


def test_trusted_hosts_refuse_any_other_host(app, client):
    app.config["TRUSTED_HOSTS"] = ["visits.example.go.th"]
    try:
        assert client.get("/privacy", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/privacy", headers={"Host": "visits.example.go.th"}).status_code == 200
    finally:
        app.config["TRUSTED_HOSTS"] = None


def test_a_form_visit_id_that_is_not_a_uuid_is_refused(client, login_as, create_household):
    login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    page = client.get(f"/visits/new?household={household.code}")
    response = client.post(
        f"/visits/new?household={household.code}",
        headers=ENGLISH,
        data={
            "csrf_token": csrf_from(page),
            "client_uuid": "9223372036854775808",
            "visited_at": utcnow().astimezone().strftime("%Y-%m-%dT%H:%M"),
            "kind": "routine",
            "wellbeing": "green",
        },
    )
    assert response.status_code == 400
    assert visit_count() == 0


def test_a_value_the_database_cannot_hold_is_a_400_not_a_crash(app, client, login_as, monkeypatch):
    """The net under every input check: whatever slips through is the caller's input."""
    from pwa_app.services import households as households_service

    def overflowing(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    login_as("staff")
    monkeypatch.setattr(households_service, "search", overflowing)
    assert client.get("/households").status_code == 400


def test_a_volunteer_logged_in_before_marks_began_gets_their_phone_marked(
    client, sync, create_household, auth
):
    household = create_household("NI-01", volunteer=sync.user)
    sync({"visits": [item(household)]})
    client.delete_cookie("worker_device")  # as on a phone logged in before this release
    client.get("/")
    auth.logout()
    assert _confirm(client, household).status_code == 403


def test_a_language_chosen_on_a_read_only_page_is_remembered(client, login_as):
    user = login_as("volunteer")
    client.get("/privacy?lang=en")
    db.session.expire_all()
    assert db.session.get(type(user), user.id).preferred_language == "en"
