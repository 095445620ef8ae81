"""A volunteer's first load fits the budget; a repeat load takes the shell from the phone."""

from bench.weight import (
    BUDGET_BYTES,
    ON_FIRST_USE,
    Meter,
    measure_volunteer_load,
    total,
    without_worker_check,
)
from tests.conftest import PASSWORD


def test_first_load_is_under_100_kb_and_repeat_load_fetches_only_the_page(
    playwright, live, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    for _ in range(20):
        create_household("NI-01", volunteer=volunteer)
    meter = Meter(live.app)
    live.stop()
    live.start(meter)

    first, repeat = measure_volunteer_load(playwright, live.url, meter, volunteer.phone, PASSWORD)

    assert total(first) <= BUDGET_BYTES, sorted((r["bytes"], r["path"]) for r in first)
    # The photo picker's script never comes with the first load, only in the background with
    # the offline kit (tests/browser/test_photos.py takes a photo with no signal after that).
    on_first_use = {f"/static/{name}" for name in ON_FIRST_USE}
    assert not on_first_use & {r["path"] for r in first if not r.get("prefetch")}, first
    assert [r["path"] for r in without_worker_check(repeat)] == ["/"], repeat
