"""The bench's field loop walks the UI to a saved visit and measures the visit form's screen."""

from bench import field_loop
from tests.conftest import PASSWORD


def test_the_field_loop_reaches_a_saved_visit_and_counts_it(
    page, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    village = {"code": "NI-01", "id": household.village_id, "names": []}
    field_loop.log_in(page, live.url, volunteer.phone, PASSWORD)

    result = field_loop.journey(page, live.url, household.code, village)

    assert result["opened"].startswith("/visits/new?household="), result
    assert result["digits"] == 1
    assert result["beyond_digits"] == (
        result["taps"] + result["keys"] + result["switches"] - result["digits"]
    )
    assert result["steps"][-1] == "tap Save"
    screen = field_loop.screen_share(page, live.url, household.code, "en")
    assert 0 < screen["middle"]["share"] <= 1
