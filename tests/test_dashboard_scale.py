"""The dashboard at the scale of a country: it breaks down by the level that fits, draws the
map the same way, keeps its area select short, and asks the database no more as areas grow."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, select

from pwa_app.extensions import db
from pwa_app.models import Area
from pwa_app.services import areas, dashboard
from pwa_app.web import choices

# The demo's district MDH-KCI (subdistricts NI and BL, 13 villages) gets a third subdistrict,
# and the province a second district: small limits make this tree "too wide" to list.
WIDER_TREE = (
    ("KA", "MDH-KCI", None),
    ("KA-01", "KA", (16.50, 104.40)),
    ("KA-02", "KA", (16.52, 104.42)),
    ("MDH-NK", "MDH", None),
    ("NK", "MDH-NK", None),
    ("NK-01", "NK", (16.90, 104.60)),
    ("NK-02", "NK", (16.94, 104.64)),
)
LINK = re.compile(r'<a href="(/dashboard\?[^"]*)" class="chart-link"')


def add_areas(tree):
    """Add areas [(code, parent code, (lat, lon) or None)] the way an admin does."""
    for code, parent_code, place in tree:
        parent = db.session.scalar(select(Area).where(Area.code == parent_code))
        lat, lon = place or (None, None)
        areas.create_area(
            areas.AreaInput(code, f"พื้นที่ {code}", f"Area {code}", lat=lat, lon=lon), parent, None
        )
    db.session.commit()


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(dashboard, "BREAKDOWN_LIMIT", 3)
    monkeypatch.setattr(dashboard, "MAP_LIMIT", 3)
    monkeypatch.setattr(choices, "CHOICES_LIMIT", 5)


@pytest.fixture
def wide_province(app, small_limits, create_user, create_household, create_visit):
    """The wider tree, households in NI-01, KA-01 and NK-02, and three visits this month.

    Returns the volunteer's name and the households' codes: what an observer must not see.
    """
    add_areas(WIDER_TREE)
    volunteer = create_user("volunteer", areas=["NI-01", "KA-01", "NK-02"])
    private = [volunteer.display_name]
    for village, visits in (("NI-01", 2), ("KA-01", 1), ("NK-02", 0)):
        household = create_household(village, volunteer=volunteer)
        private.append(household.code)
        for _ in range(visits):
            create_visit(household, volunteer)
    return private


def area(code):
    return dashboard.parse_area(code)


def breakdown(board):
    return {a.code: n for a, n in board.by_area}


def links(page):
    """Return the drill-down links of a page as [(area, the rest of the query)]."""
    found = []
    for href in LINK.findall(page):
        query = parse_qs(urlsplit(html.unescape(href)).query)
        found.append((query.pop("area")[0], {k: v[0] for k, v in query.items()}))
    return found


def offered(page):
    """Return the codes the area select offers."""
    select_box = re.search(r'<select id="area".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select_box)


def test_the_demo_still_breaks_down_by_village(app, create_user):
    board = dashboard.build(dashboard.parse_period("month"), None, create_user("staff"))
    assert (board.level, board.map_level) == ("village", "village")
    assert len(board.by_area) == len(board.coverage) == 13


def test_the_areas_per_level_are_counted_in_the_viewers_scope(wide_province, create_user):
    villages = dashboard.villages_for(create_user("staff"))
    counts = dashboard.areas_per_level(villages)
    assert counts == {"province": 1, "district": 2, "subdistrict": 4, "village": 17}
    assert dashboard.level_for(counts, 3) == "district"
    assert dashboard.level_for(counts, 1) == "province"
    assert dashboard.level_for(dict.fromkeys(counts, 100), 3) == "province"  # when none fits


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [
        (None, "district", {"MDH-KCI": 3, "MDH-NK": 0}),
        ("MDH", "district", {"MDH-KCI": 3, "MDH-NK": 0}),
        ("MDH-KCI", "subdistrict", {"BL": 0, "KA": 1, "NI": 2}),
        ("KA", "village", {"KA-01": 1, "KA-02": 0}),
        ("MDH-NK", "village", {"NK-01": 0, "NK-02": 0}),
    ],
)
def test_a_wide_area_breaks_down_by_the_level_above(
    wide_province, create_user, code, level, expected
):
    period = dashboard.parse_period("month")
    board = dashboard.build(period, area(code) if code else None, create_user("staff"))
    assert board.level == level
    assert breakdown(board) == expected
    assert [a.code for a, _n in board.by_area] == sorted(expected)
    visits = next(f.value for f in board.figures if f.key == "visits")
    assert sum(expected.values()) == visits


def test_the_map_groups_villages_by_the_same_rule(wide_province, create_user):
    board = dashboard.build(dashboard.parse_period("month"), None, create_user("staff"))
    assert board.map_level == "district"
    kci, nk = board.coverage
    assert (kci.area.code, nk.area.code) == ("MDH-KCI", "MDH-NK")
    assert (kci.lat, kci.lon) == pytest.approx((16.51, 104.41))  # amid KA-01 and KA-02
    assert (kci.households, kci.reached, kci.unlocated) == (2, 2, 13)
    assert (nk.households, nk.reached, nk.unlocated) == (1, 0, 0)


def test_rows_and_circles_drill_into_their_area_for_the_same_period(
    client, login_as, wide_province
):
    login_as("staff")
    page = client.get("/dashboard?period=week&lang=en").get_data(as_text=True)
    assert "Visits per district" in page
    assert "Each circle is a district" in page
    assert "13 villages have no location yet" in page
    drilled = links(page)
    # Two circles of the map, then two rows of the chart.
    assert drilled == [(code, {"period": "week"}) for code in ("MDH-KCI", "MDH-NK") * 2]

    page = client.get("/dashboard?period=week&area=MDH-KCI&lang=en").get_data(as_text=True)
    assert "Visits per subdistrict" in page
    # Only KA has a located village, so one circle; then the chart's three rows.
    assert [code for code, _ in links(page)] == ["KA", "BL", "KA", "NI"]

    page = client.get("/dashboard?area=KA&lang=en").get_data(as_text=True)
    assert "Visits per village" in page
    assert "Each circle is a village" in page
    assert [code for code, _ in links(page)] == ["KA-01", "KA-02"]  # village circles lead nowhere


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, ["MDH", "MDH-KCI", "MDH-NK"]),
        ("MDH-KCI", ["MDH", "MDH-KCI", "BL", "KA", "NI"]),
        ("KA", ["MDH", "MDH-KCI", "KA", "KA-01", "KA-02"]),
        ("KA-01", ["MDH", "MDH-KCI", "KA", "KA-01"]),
        ("NI", ["MDH", "MDH-KCI", "NI"]),  # its seven villages would pass the limit
    ],
)
def test_a_wide_scope_offers_the_chosen_areas_line_only(
    client, login_as, wide_province, code, expected
):
    login_as("staff")
    page = client.get(f"/dashboard?area={code or ''}&lang=en").get_data(as_text=True)
    assert offered(page) == expected
    assert "Choose an area and press Show to list its parts." in page
    if code:
        assert re.search(rf'<option value="{code}" selected', page)


def test_a_small_scope_offers_every_area_without_a_hint(client, login_as):
    login_as("staff")
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert len(offered(page)) == 17  # the province, the district, 2 subdistricts, 13 villages
    assert "list its parts" not in page


def test_an_area_typed_in_the_address_is_shown_even_when_not_offered(
    client, login_as, wide_province
):
    login_as("staff")
    page = client.get("/dashboard?area=nk-02&lang=en").get_data(as_text=True)
    assert offered(page) == ["MDH", "MDH-NK", "NK", "NK-02"]
    assert "Visits per village" in page


def test_an_observer_drills_down_across_centres_without_seeing_households(
    client, auth, create_user, create_household, create_visit, wide_province, second_org,
    monkeypatch,
):  # fmt: skip
    monkeypatch.setattr(dashboard, "BREAKDOWN_LIMIT", 2)  # three districts: one too many
    volunteer_b = create_user("volunteer", areas=["ZZ-01"], org="ZZC")
    household_b = create_household("ZZ-01", volunteer=volunteer_b)
    create_visit(household_b, volunteer_b)
    observer = create_user("observer", areas=["MDH", "ZZP"])
    period = dashboard.parse_period("month")
    board = dashboard.build(period, None, observer)
    assert board.level == "province"
    assert breakdown(board) == {"MDH": 3, "ZZP": 1}
    assert board.stale_households == [] and board.recent_visits == []
    staff_view = dashboard.build(period, area("MDH"), create_user("staff"))
    assert breakdown(dashboard.build(period, area("MDH"), observer)) == breakdown(staff_view)

    assert auth.login(observer.phone).status_code == 302
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "Visits per province" in page
    # The map's districts (ZZP-D has no village with a location), then the chart's provinces.
    assert [code for code, _ in links(page)] == ["MDH-KCI", "MDH-NK", "MDH", "ZZP"]
    assert offered(page) == ["MDH", "ZZP", "MDH-KCI", "MDH-NK", "ZZP-D"]
    for query in ("", "?area=ZZP", "?area=MDH-KCI", "?area=KA"):
        page = client.get(f"/dashboard{query}").get_data(as_text=True)
        for private in (household_b.code, volunteer_b.display_name, *wide_province):
            assert private not in page
    page = client.get("/dashboard?area=ZZP&lang=en").get_data(as_text=True)
    assert offered(page) == ["ZZP", "ZZP-D"]
    assert "NI-01" not in page  # a cousin's village


def statements_for(client, path):
    """Return how many SQL statements a request runs."""
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("choices_limit", [300, 5])
def test_the_dashboard_asks_no_more_of_the_database_as_areas_grow(
    client, login_as, create_household, create_visit, monkeypatch, choices_limit
):
    monkeypatch.setattr(choices, "CHOICES_LIMIT", choices_limit)
    staff = login_as("staff")
    create_visit(create_household("NI-01"), staff)
    client.get("/dashboard")  # what a first request sets up once
    before = statements_for(client, "/dashboard")
    add_areas(
        [("KX", "MDH-KCI", None)]
        + [(f"KX-{n:02d}", "KX", (16.0 + n / 100, 104.0) if n % 2 else None) for n in range(1, 61)]
    )
    for n in (1, 2, 60):
        create_visit(create_household(f"KX-{n:02d}"), staff)
    after = statements_for(client, "/dashboard")
    assert after == before
    board = dashboard.build(dashboard.parse_period("month"), None, staff)
    assert board.level == "subdistrict" and board.map_level == "village"
    assert breakdown(board) == {"BL": 0, "KX": 3, "NI": 1}


def test_a_retired_village_keeps_its_visits_in_the_chart_but_no_link(
    client, login_as, create_household, create_visit
):
    staff = login_as("staff")
    household = create_household("NI-07")
    create_visit(household, staff)
    household.archived = True
    areas.retire(area("NI-07"), staff)
    db.session.commit()
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "Ban Khok Sawang: 1" in page
    assert "area=NI-07" not in page
