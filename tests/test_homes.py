"""Each role's start page shows that role's own work."""

from pwa_app.services import summaries


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
