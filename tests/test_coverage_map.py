"""The coverage map: villages where they are, coloured by the share of households visited."""

from types import SimpleNamespace

from pwa_app.services.dashboard import AreaCoverage
from pwa_app.web import maps


def village(code, lat, lon, households, reached):
    """Return a village's coverage as the dashboard gives it to the map."""
    area = SimpleNamespace(code=code, name_th=code)
    return AreaCoverage(area, lat, lon, households, reached, unlocated=int(lat is None))


def test_villages_are_placed_by_their_coordinates_and_coloured_by_coverage(app):
    rows = [
        village("NI-01", 16.560, 104.300, 40, 40),  # all visited
        village("NI-02", 16.540, 104.320, 40, 5),  # few
        village("NI-03", None, None, 10, 0),  # not located yet
    ]
    with app.app_context():
        board = maps.coverage_map(rows, lambda area: area.name_th)
    north, south = board.places
    assert north.y < south.y and north.x < south.x  # north is up, east is right
    assert (north.css, south.css) == ("band-3", "band-0")
    assert (north.percent, south.percent) == (100, 12)
    assert board.without_location == 1
    assert all(0 <= p.x <= board.width and 0 <= p.y <= board.height for p in board.places)
    assert board.tiles == []  # no tile service unless configured


def test_no_village_with_a_location_draws_no_map(app):
    with app.app_context():
        assert maps.coverage_map([village("NI-01", None, None, 3, 1)], str) is None


def test_a_configured_tile_service_puts_tiles_behind_the_villages(app):
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    rows = [village("NI-01", 16.56, 104.30, 4, 1), village("NI-02", 16.50, 104.40, 4, 2)]
    with app.app_context():
        board = maps.coverage_map(rows, str)
    assert board.tiles
    assert all(t["href"].startswith("https://tiles.example.org/") for t in board.tiles)


def test_the_dashboard_draws_the_villages_it_knows_the_place_of(
    client, login_as, create_household, create_visit
):
    from sqlalchemy import select

    from pwa_app.extensions import db
    from pwa_app.models import Area

    village = db.session.scalar(select(Area).where(Area.code == "NI-01"))
    village.lat, village.lon = 16.52, 104.24
    db.session.commit()
    create_household("NI-01")
    login_as("staff")
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert 'class="chart coverage-map"' in page
    assert "of 1 households visited" in page
    assert "have no location yet" in page  # the other villages
