"""Each role's start page shows that role's own work."""

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Assistance, Member, WelfareProgram
from pwa_app.services import summaries
from pwa_app.services.cases import today


def test_volunteer_home_counts_only_their_areas(
    client, login_as, create_user, create_household, create_visit
):
    volunteer = login_as("volunteer", areas=["NI-01"])
    mine = create_household("NI-01", volunteer=volunteer)
    create_household("NI-01")
    create_household("BL-01", head_name="ไม่ใช่ ของฉัน")
    create_visit(mine, volunteer, days_ago=0)

    home = summaries.volunteer_home(volunteer)
    assert home.households == 2
    assert home.visits_this_month in (0, 1)  # 0 only on the first hours of a month
    assert home.not_visited_30 == 1
    page = client.get("/").get_data(as_text=True)
    assert mine.code in page
    assert "ไม่ใช่ ของฉัน" not in page


def test_subdistrict_area_covers_all_its_villages(login_as, create_household):
    volunteer = login_as("volunteer", areas=["BL"])
    create_household("BL-01")
    create_household("BL-06")
    create_household("NI-01")
    assert summaries.volunteer_home(volunteer).households == 2


def test_staff_home_shows_organisation_figures(client, login_as, create_household):
    login_as("staff")
    create_household("NI-01")
    page = client.get("/").get_data(as_text=True)
    assert "ครัวเรือน" in page
    assert "แดชบอร์ด" in page


def test_api_me_describes_the_caller(client, login_as):
    user = login_as("volunteer", areas=["NI-01", "NI-02"])
    body = client.get("/api/v1/me").json
    assert body["id"] == user.id
    assert body["role"] == "volunteer"
    assert body["areas"] == ["NI-01", "NI-02"]
    assert body["counts"] == {"visits": 0, "visits_this_month": 0}
    assert body["badges"] == []


def test_volunteer_home_offers_only_their_villages_to_find_a_household(client, login_as):
    login_as("volunteer", areas=["BL"])
    page = client.get("/").get_data(as_text=True)
    finder = page.split('id="finder-village"')[1].split("</select>")[0]
    assert 'value="BL-01"' in finder and 'value="BL-06"' in finder
    assert 'value="NI-01"' not in finder
    assert 'value=""' in finder  # several villages: the volunteer chooses one
    assert 'inputmode="numeric"' in page


def test_volunteer_with_one_village_has_it_chosen(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    page = client.get("/").get_data(as_text=True)
    finder = page.split('id="finder-village"')[1].split("</select>")[0]
    assert finder.count("<option") == 1 and 'value="NI-01"' in finder


def test_follow_ups_name_the_household_head_and_the_member(client, login_as, create_household):
    login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", head_name="บุญมี ศรีสุข")
    program = db.session.scalar(
        select(WelfareProgram).where(WelfareProgram.code == "old_age_allowance")
    )
    member = Member(household=household, name="ทองดี ศรีสุข", birth_year=1950)
    case = Assistance(
        household=household, village_id=household.village_id, program=program, member=member,
        status="applied", note="", next_follow_up=today(),
    )  # fmt: skip
    db.session.add_all([member, case])
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    follow_ups = page.split('class="rows follow-ups"')[1].split("</ul>")[0]
    assert household.code in follow_ups and "บุญมี ศรีสุข" in follow_ups
    assert "ทองดี ศรีสุข" in follow_ups
    assert f'class="row-link" href="/visits/new?household={household.code}"' in follow_ups
