"""One open case per household and programme, open cases on the phone, forgiving codes."""

import threading
import uuid
from datetime import timedelta

import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.i18n import format_day
from pwa_app.models import Assistance, AssistanceEvent, Member, Visit, WelfareProgram
from pwa_app.services import cases
from pwa_app.services.households import CODE_RE, normalize_code
from pwa_app.vocab import NEXT_STEPS
from tests.conftest import AuthActions, csrf_from
from tests.household_codes import CODES
from tests.test_openapi import check
from tests.test_sync_api import item
from tests.test_visits import visit_form

OLD_AGE = "old_age_allowance"


def program(code=OLD_AGE):
    return db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == code))


def in_days(n):
    return cases.today() + timedelta(days=n)


@pytest.fixture
def open_case(app, create_user):
    """Return a factory: an open case of a programme for a household, as a visit opens it."""

    def make(household, code=OLD_AGE, status="applied", follow_up=14, member=None):
        entry = cases.NewCase(program=code, status=status)
        by = create_user("staff")
        case = cases.open_case(household, program(code), entry, in_days(follow_up), by)
        case.member = member
        db.session.commit()
        return case

    return make


def open_count(household):
    return db.session.scalar(
        select(func.count(Assistance.id)).where(
            Assistance.household_id == household.id,
            Assistance.status.in_(("identified", "applied", "referred")),
        )
    )


def expected_message(app, case, language):
    """The refusal, rendered as the app renders it in that language."""
    with app.test_request_context("/"), force_locale(language):
        return str(cases.already_open(case))


# One open case per household and programme: the form


def test_the_form_refuses_a_second_open_case_naming_the_first(
    app, auth, login_as, create_household, open_case
):
    household = create_household("NI-01")
    first = open_case(household, follow_up=14)
    login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{"new_cases-0-program": OLD_AGE, "new_cases-0-status": "identified"}),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    message = expected_message(app, first, "th")
    assert message in page
    assert "เบี้ยยังชีพผู้สูงอายุ" in message and "ยื่นคำร้องแล้ว" in message
    assert str(in_days(14).year + 543) in message  # the follow-up, in the Buddhist era
    assert db.session.scalar(select(func.count(Visit.id))) == 0
    db.session.expire_all()
    assert (first.status, first.next_follow_up, open_count(household)) == (
        "applied",
        in_days(14),
        1,
    )


def test_the_refusal_reads_in_english_too(app, auth, login_as, create_household, open_case):
    household = create_household("NI-01")
    first = open_case(household, follow_up=14)
    login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        f"/visits/new?household={household.code}&lang=en",
        visit_form(**{"new_cases-0-program": OLD_AGE}),
    )
    with app.test_request_context("/"), force_locale("en"):
        follow_up = format_day(in_days(14))
    message = expected_message(app, first, "en")
    assert message == (
        "This household already has an open case for Old-age allowance "
        f"(Applied, follow-up {follow_up}): update that case instead."
    )
    assert message in response.get_data(as_text=True)


def test_the_same_programme_twice_on_one_visit_is_refused_on_the_second(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        f"/visits/new?household={household.code}&lang=en",
        visit_form(
            **{
                "new_cases-0-program": OLD_AGE,
                "new_cases-1-program": OLD_AGE,
                "new_cases-1-status": "applied",
            }
        ),
    )
    assert response.status_code == 400
    assert "This programme is already entered above on this visit" in response.get_data(
        as_text=True
    )
    assert open_count(household) == 0


# ...and the sync API


def test_sync_refuses_a_second_open_case_and_keeps_the_first(app, api, create_household, open_case):
    household = create_household("NI-01")
    first = open_case(household, status="identified", follow_up=3)
    visit = item(household, assistance=[{"program": OLD_AGE, "status": "applied"}])
    result = api({"visits": [visit]}).json["results"][0]
    assert (result["status"], result["error"]) == ("rejected", "validation_failed")
    assert result["fields"] == {"assistance.0.program": expected_message(app, first, "th")}
    db.session.expire_all()
    assert (first.status, open_count(household)) == ("identified", 1)
    assert db.session.scalar(select(func.count(Visit.id))) == 0


def test_sync_names_the_second_of_two_entries_of_one_programme(api, create_household):
    household = create_household("NI-01")
    visit = item(
        household,
        assistance=[
            {"program": "refer_health", "status": "referred"},
            {"program": OLD_AGE, "status": "identified"},
            {"program": OLD_AGE, "status": "applied"},
        ],
    )
    result = api({"visits": [visit]}).json["results"][0]
    assert result["status"] == "rejected"
    assert set(result["fields"]) == {"assistance.2.program"}
    assert open_count(household) == 0


def test_the_open_case_is_updated_instead(api, create_household, open_case):
    household = create_household("NI-01")
    first = open_case(household, status="identified")
    follow_up = in_days(20).isoformat()
    change = {"case_id": first.id, "status": "applied", "next_follow_up": follow_up}
    assert (
        api({"visits": [item(household, assistance=[change])]}).json["results"][0]["status"]
        == "created"
    )
    db.session.expire_all()
    assert (first.status, first.next_follow_up.isoformat()) == ("applied", follow_up)
    assert open_count(household) == 1


def test_once_the_case_is_closed_the_programme_can_be_opened_again(
    api, create_household, open_case
):
    household = create_household("NI-01")
    first = open_case(household)
    closing = item(household, assistance=[{"case_id": first.id, "status": "not_eligible"}])
    assert api({"visits": [closing]}).json["results"][0]["status"] == "created"
    again = item(household, assistance=[{"program": OLD_AGE, "status": "identified"}])
    assert api({"visits": [again]}).json["results"][0]["status"] == "created"
    assert open_count(household) == 1
    db.session.expire_all()
    assert first.status == "not_eligible"


def test_one_visit_may_close_a_case_and_open_the_programme_anew(api, create_household, open_case):
    household = create_household("NI-01")
    first = open_case(household)
    visit = item(
        household,
        assistance=[
            {"program": OLD_AGE, "status": "identified"},
            {"case_id": first.id, "status": "withdrawn"},
        ],
    )
    assert api({"visits": [visit]}).json["results"][0]["status"] == "created"
    db.session.expire_all()
    assert first.status == "withdrawn"
    assert open_count(household) == 1


def test_a_case_of_one_member_does_not_block_the_households_own(api, create_household, open_case):
    household = create_household("NI-01")
    member = Member(household=household, name="ทองดี ใจดี", birth_year=1950)
    db.session.add(member)
    open_case(household, member=member)
    visit = item(household, assistance=[{"program": OLD_AGE, "status": "identified"}])
    assert api({"visits": [visit]}).json["results"][0]["status"] == "created"
    assert open_count(household) == 2


def test_a_case_opened_meanwhile_rejects_the_item_alone_with_its_name(
    app, api, create_household, open_case, monkeypatch
):
    """The database refuses what the check missed (a phone racing another): a field error."""
    household = create_household("NI-01")
    first = open_case(household)
    real = cases.open_cases
    calls = iter([[]])  # the first check is blind to the open case, as in a race
    monkeypatch.setattr(cases, "open_cases", lambda h: next(calls, None) or real(h))
    racing = item(household, assistance=[{"program": OLD_AGE, "status": "identified"}])
    good = item(household, notes="ต่อ")
    results = api({"visits": [racing, good]}).json["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["fields"] == {"assistance.0.program": expected_message(app, first, "th")}
    assert open_count(household) == 1
    assert db.session.scalar(select(func.count(Visit.id))) == 1


def test_eight_phones_opening_one_programme_at_once_open_one_case(
    migrated_app, app, create_user, create_household
):
    user = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    payloads = [
        {"visits": [item(household, assistance=[{"program": OLD_AGE, "status": "identified"}])]}
        for _ in range(8)
    ]
    clients = []
    for _ in range(8):
        client = migrated_app.test_client()
        AuthActions(client).login(user.phone)
        clients.append((client, csrf_from(client.get("/"))))
    answers, barrier = [], threading.Barrier(len(clients))

    def send(client, token, payload):
        with migrated_app.app_context():
            barrier.wait()
            response = client.post(
                "/api/v1/visits/sync", json=payload, headers={"X-CSRFToken": token}
            )
            answers.append((response.status_code, response.json["results"][0]))
            db.session.remove()

    threads = [
        threading.Thread(target=send, args=(*pair, payload))
        for pair, payload in zip(clients, payloads, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _result in answers] == [200] * 8
    results = [result for _status, result in answers]
    assert sorted(r["status"] for r in results) == ["created"] + ["rejected"] * 7
    assert all(
        set(r["fields"]) == {"assistance.0.program"} for r in results if r["status"] == "rejected"
    )
    db.session.rollback()
    assert open_count(household) == 1
    assert db.session.scalar(select(func.count(Visit.id))) == 1


def test_the_demo_never_opens_a_programme_twice(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    duplicates = db.session.execute(
        select(Assistance.household_id, Assistance.program_id)
        .where(Assistance.status.in_(("identified", "applied", "referred")))
        .group_by(Assistance.household_id, Assistance.program_id, Assistance.member_id)
        .having(func.count() > 1)
    ).all()
    assert duplicates == []
    assert db.session.scalar(select(func.count(AssistanceEvent.id))) > 0


# Open cases in the phone's household list


def test_households_carry_their_open_cases_oldest_first(
    client, login_as, create_household, open_case
):
    login_as("volunteer", areas=["NI-01"])
    household, quiet = create_household("NI-01"), create_household("NI-01")
    member = Member(household=household, name="ทองดี ใจดี", birth_year=1950)
    db.session.add(member)
    older = open_case(household, code="refer_health", status="identified", follow_up=5)
    newer = open_case(household, status="referred", member=member)
    newer.opened_at = older.opened_at + timedelta(minutes=1)
    closed = open_case(household, code="home_repair", status="received")
    db.session.commit()
    response = client.get("/api/v1/households")
    check(response, "/api/v1/households")
    listed = {h["code"]: h["open_cases"] for h in response.json["households"]}
    assert listed[quiet.code] == []
    assert [c["id"] for c in listed[household.code]] == [older.id, newer.id]
    assert closed.id not in [c["id"] for c in listed[household.code]]
    first, second = listed[household.code]
    assert first == {
        "id": older.id,
        "program": "refer_health",
        "program_name": {"th": older.program.name_th, "en": older.program.name_en},
        "member": None,
        "status": "identified",
        "next_follow_up": in_days(5).isoformat(),
        "next_step": first["next_step"],
        "opened_at": older.opened_at.isoformat(),
        "agency": first["agency"],  # who handles it: tests/test_agencies.py
    }
    assert second["member"] == "ทองดี ใจดี" and second["status"] == "referred"
    with force_locale("en"):
        assert second["next_step"]["en"] == str(NEXT_STEPS["referred"])
    with force_locale("th"):
        assert second["next_step"]["th"] == str(NEXT_STEPS["referred"])
    assert second["next_step"]["th"] != second["next_step"]["en"]


def test_the_household_list_changes_its_etag_when_a_case_does(
    client, login_as, create_household, open_case
):
    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    case = open_case(household)
    etag = client.get("/api/v1/households").headers["ETag"].strip('"')
    assert client.get("/api/v1/households", headers={"If-None-Match": etag}).status_code == 304
    cases.apply_change(case, cases.CaseChange(status="received"), None, volunteer)
    db.session.commit()
    fresh = client.get("/api/v1/households", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json["households"][0]["open_cases"] == []


def test_a_volunteer_never_sees_another_areas_cases(
    client, auth, login_as, create_user, create_household, open_case
):
    mine, theirs = create_household("NI-01"), create_household("BL-01")
    open_case(mine)
    elsewhere = open_case(theirs)
    login_as("volunteer", areas=["NI-01"])
    body = client.get("/api/v1/households").json
    assert [h["code"] for h in body["households"]] == [mine.code]
    listed = [c["id"] for h in body["households"] for c in h["open_cases"]]
    assert elsewhere.id not in listed and len(listed) == 1
    auth.logout()
    staff = create_user("staff")
    auth.login(staff.phone)
    body = client.get("/api/v1/households").json
    assert elsewhere.id in [c["id"] for h in body["households"] for c in h["open_cases"]]


# Forgiving household codes

SLOPPY = {
    "NI-01-0001": "NI-01-0001",
    "ni 1 1": "NI-01-0001",
    "NI-1-1": "NI-01-0001",
    "NI 01 0001": "NI-01-0001",
    "NI-๐๑-๐๐๐๑": "NI-01-0001",
    "NI010001": "NI-01-0001",
    "ni0101": "NI-01-0001",
    "NI 010001": "NI-01-0001",
    "  ni.01/0001 ": "NI-01-0001",
    "NI_3_42": "NI-03-0042",
    "ＮＩ－０１－０００１": "NI-01-0001",
    "bl-06-123456": "BL-06-123456",
    "NI-01-00001": "NI-01-00001",
}
NOT_CODES = [
    "",
    "   ",
    "NI",
    "NI 1",
    "NI12",
    "NI-1-2-3",
    "NI-100-1",
    "NI-01-1234567",
    "N-01-0001",
    "NIXY-01-0001",
    "01-0001",
    "นิ-01-0001",
    "NI-01-0001x",
    "a" * 22,
    "NI" + "0" * 20,
]


@pytest.mark.parametrize(("typed", "code"), SLOPPY.items())
def test_sloppy_codes_mean_the_household(typed, code):
    assert normalize_code(typed) == code


@pytest.mark.parametrize("typed", NOT_CODES)
def test_what_is_not_a_code_is_none(typed):
    assert normalize_code(typed) is None


THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
separators = st.text(alphabet=" -./_", min_size=1, max_size=2)


@st.composite
def codes_and_spellings(draw):
    """A valid code, and one way a person might type it."""
    letters = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2))
    village = f"{draw(st.integers(0, 99)):02d}"
    house = draw(st.from_regex(r"\A[0-9]{4,6}\Z"))
    code = f"{letters}-{village}-{house}"
    # Leading zeros may go where padding puts them back.
    short_house = house.lstrip("0") or "0" if len(house) == 4 else house
    if draw(st.booleans()):
        village_typed = draw(st.sampled_from([village, village.lstrip("0") or "0"]))
        house_typed = draw(st.sampled_from([house, short_house]))
        digits = village_typed + draw(separators) + house_typed
    else:  # run together: the village's two digits first
        digits = village + draw(st.sampled_from([house, short_house]))
    typed = letters + draw(st.sampled_from(["", " ", "-", " - "])) + digits
    if draw(st.booleans()):
        typed = typed.lower()
    if draw(st.booleans()):
        typed = typed.translate(THAI_DIGITS)
    return code, draw(st.sampled_from(["", " ", "  "])) + typed + draw(st.sampled_from(["", " "]))


@settings(max_examples=300, deadline=None)
@given(pair=codes_and_spellings())
def test_every_spelling_of_a_code_normalizes_back_to_it(pair):
    code, typed = pair
    assert normalize_code(typed) == code
    assert normalize_code(code) == code


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_junk_never_raises_and_anything_accepted_is_a_code(text):
    code = normalize_code(text)
    assert code is None or (CODE_RE.match(code) and normalize_code(code) == code)


@settings(max_examples=200, deadline=None)
@given(token=st.from_regex(r"\A[A-Za-z0-9_-]{22,64}\Z"))
def test_a_card_token_is_never_taken_for_a_code(token):
    assert normalize_code(token) is None


def test_a_sloppy_code_in_the_address_goes_to_the_households_page(
    client, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    response = client.get("/households/ni010001?tab=cases&lang=th")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/households/{household.code}?tab=cases&lang=th"
    assert client.get(f"/households/{household.code}").status_code == 200
    assert client.get("/households/NI-01-9999").status_code == 404
    assert client.get("/households/ni019999").status_code == 404


def test_staff_pages_under_a_household_redirect_too(client, login_as, create_household):
    household = create_household("NI-01")
    login_as("staff")
    response = client.get("/households/ni 1 1/edit")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        f"/households/{household.code}/edit",
    )


def test_a_sloppy_code_of_another_area_is_404_not_a_redirect(client, login_as, create_household):
    theirs = create_household("BL-01")
    login_as("volunteer", areas=["NI-01"])
    response = client.get("/households/bl010001")
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert theirs.code not in response.get_data(as_text=True)
    assert client.get("/visits/new?household=bl010001").status_code == 404


def test_the_visit_form_takes_a_sloppy_code(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    page = auth.client.get("/visits/new?household=NI010001")
    assert page.status_code == 200
    assert household.code in page.get_data(as_text=True)
    response = auth.post("/visits/new?household=ni 1 1", visit_form())
    assert response.status_code == 302
    assert db.session.scalar(select(Visit.household_id)) == household.id


def test_sync_takes_a_sloppy_code_and_a_replay_spelled_otherwise_is_the_same_visit(
    api, create_household
):
    household = create_household("NI-01")
    visit = {**item(household), "household": "ni 1 1"}
    assert api({"visits": [visit]}).json["results"][0]["status"] == "created"
    for spelling in ("NI010001", "NI-๐๑-๐๐๐๑", household.code, household.qr_token):
        again = {**visit, "household": spelling}
        assert api({"visits": [again]}).json["results"][0]["status"] == "duplicate"
    assert db.session.scalar(select(Visit.household_id)) == household.id


def test_the_visits_api_and_search_take_a_sloppy_code(
    client, login_as, create_household, create_visit
):
    household = create_household("NI-01", head_name="บุญมี")
    create_household("NI-01", head_name="มานะ")
    volunteer = login_as("volunteer", areas=["NI-01"])
    create_visit(household, volunteer)
    body = client.get("/api/v1/visits?household=ni 1 1").json
    assert body["household"] == household.code and len(body["visits"]) == 1
    page = client.get("/households?q=ni 1 1").get_data(as_text=True)
    assert "บุญมี" in page and "มานะ" not in page


def test_a_card_token_still_finds_its_household(api, create_household):
    household = create_household("NI-01")
    visit = {**item(household), "household": household.qr_token}
    assert api({"visits": [visit]}).json["results"][0]["status"] == "created"
    assert uuid.UUID(visit["client_uuid"])


@pytest.mark.parametrize(("typed", "code"), CODES)
def test_the_server_reads_a_typed_code_as_the_phone_does(typed, code):
    assert normalize_code(typed) == code
