"""The visit form on a weak signal (DESIGN.md section 8): one visit per save, nothing chosen for
the volunteer, dates typed in the Buddhist era, and the offline form's open cases."""

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Assistance, Member, Visit, WelfareProgram
from pwa_app.services import cases, thai_dates
from tests.test_visits import open_case, visit_form


def visits_saved():
    return db.session.scalar(select(func.count(Visit.id)))


def be(day):
    """A date as a Thai volunteer types it."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def test_a_second_save_of_the_same_household_within_minutes_asks_if_it_is_a_new_visit(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    url = f"/visits/new?household={household.code}"
    first = visit_form(confirm_new="")
    assert auth.post(url, first).status_code == 302

    second = visit_form(confirm_new="", notes="ยายบอกว่าปวดขา")
    response = auth.post(url, second)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "นี่เป็นการเยี่ยมอีกครั้งหรือไม่" in page
    assert "ยายบอกว่าปวดขา" in page  # what was typed is kept
    assert visits_saved() == 1

    assert auth.post(url, {**second, "confirm_new": "1"}).status_code == 302
    assert visits_saved() == 2


def test_the_same_form_sent_twice_is_one_visit_and_asks_nothing(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    url = f"/visits/new?household={household.code}"
    form = visit_form(confirm_new="")
    assert auth.post(url, form).status_code == 302
    assert auth.post(url, form).status_code == 302  # a double tap, a re-submit
    assert visits_saved() == 1


def test_how_the_household_is_doing_is_never_chosen_for_the_volunteer(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    url = f"/visits/new?household={household.code}"
    page = auth.client.get(url).get_data(as_text=True)
    assert not re.search(r'name="wellbeing"[^>]*checked', page)

    response = auth.post(url, visit_form(wellbeing="", notes="ยังไม่ได้ดู"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "ยังไม่ได้ดู" in page
    assert visits_saved() == 0


def test_follow_ups_and_the_visit_time_are_typed_in_the_buddhist_era(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    follow_up = cases.today() + timedelta(days=14)
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(
            # (Yesterday: 08:05 today is still ahead from midnight to 08:05 in Thailand.)
            visited_at=be(cases.today() - timedelta(days=1)) + " 08:05",
            **{
                "new_cases-0-program": "old_age_allowance",
                "new_cases-0-status": "applied",
                "new_cases-0-next_follow_up": be(follow_up).translate(
                    str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
                ),
            },
        ),
    )
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.visited_at.astimezone(thai_dates_tz()).strftime("%H:%M") == "08:05"
    assert db.session.scalar(select(Assistance.next_follow_up)) == follow_up

    page = auth.client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    assert be(follow_up) in page  # the open case's follow-up, shown as it was typed


def thai_dates_tz():
    from pwa_app.services.summaries import LOCAL_TZ

    return LOCAL_TZ


def test_a_date_that_does_not_exist_is_explained_and_kept(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(
            **{
                "new_cases-0-program": "old_age_allowance",
                "new_cases-0-status": "applied",
                "new_cases-0-next_follow_up": "31/02/2570",
            }
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "31/12/2569" in page and 'value="31/02/2570"' in page
    assert visits_saved() == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("15/12/2569", date(2026, 12, 15)),
        ("15/12/2026", date(2026, 12, 15)),
        ("2569-12-15", date(2026, 12, 15)),
        ("2026-12-15", date(2026, 12, 15)),
        ("๑๕/๑๒/๒๕๖๙", date(2026, 12, 15)),
        ("1.1.2570", date(2027, 1, 1)),
        (" 29/02/2567 ", date(2024, 2, 29)),
        ("", None),
    ],
)
def test_dates_are_read_in_either_era(typed, expected):
    assert thai_dates.parse_day(typed) == expected


@pytest.mark.parametrize("typed", ["31/02/2569", "15/13/2569", "tomorrow", "15/12", "12/2569"])
def test_what_is_not_a_date_is_refused(typed):
    with pytest.raises(ValueError):
        thai_dates.parse_day(typed)


def test_a_programme_with_an_open_case_is_updated_not_opened_again(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    open_case(auth, household, "applied", program="old_age_allowance")
    page = auth.client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    option = re.search(r'<option[^>]*value="old_age_allowance"[^>]*>', page).group(0)
    assert "disabled" in option


def test_the_offline_form_carries_what_it_needs_to_show_open_cases(auth, login_as):
    login_as("volunteer", areas=["NI-01"])
    page = auth.client.get("/visits/new?shell=1").get_data(as_text=True)
    assert "data-case-template" in page and 'name="case-0-status"' in page
    rules = json.loads(re.search(r'id="case-rules">(.*?)</script>', page, re.S).group(1))
    assert "received" in rules["transitions"]["applied"]
    assert set(rules["closed"]) == {"received", "not_eligible", "withdrawn"}


def test_a_client_uuid_kept_from_the_form_is_the_visits_id(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    page = auth.client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    shown = re.search(r'name="client_uuid"[^>]*value="([^"]+)"', page).group(1)
    uuid.UUID(shown)
    auth.post(f"/visits/new?household={household.code}", visit_form(client_uuid=shown))
    assert db.session.scalar(select(Visit.client_uuid)) == shown


def test_a_member_whose_case_would_sit_beside_the_households_own_is_kept_with_a_reason(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    staff = login_as("staff")
    program = db.session.scalar(
        select(WelfareProgram).where(WelfareProgram.code == "old_age_allowance")
    )
    member = Member(household=household, name="คำปุน ศรีสุข")
    db.session.add(member)
    db.session.flush()
    for owner in (None, member):
        case = cases.open_case(
            household, program, cases.NewCase(program=program.code, status="applied"), None, staff
        )
        case.member = owner
    db.session.commit()

    response = auth.post(f"/households/{household.code}/members/{member.id}/delete")
    assert response.status_code == 302
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "คำปุน ศรีสุข" in page and "ก่อนลบสมาชิก" in page
    db.session.rollback()
    assert db.session.get(Member, member.id) is not None
