"""The households per area and day of last visit (household_days) stay true to the households,
whichever way a household is added, visited, archived, moved or erased, and the dashboard's
figures read from them are the ones counted from the households."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from pwa_app.extensions import db
from pwa_app.models import Area, Household, HouseholdDay, Visit
from pwa_app.services import (
    areas,
    dashboard,
    demo,
    household_days,
    households,
    imports,
    privacy,
    visits,
)
from pwa_app.services.sqltime import as_date
from tests.test_area_paths import areas_above
from tests.test_import import HEADER
from tests.test_sync_api import item


def counted():
    """Households per area above the villages, archived or not and day, counted in Python."""
    above = areas_above()
    found = {}
    for household in db.session.scalars(select(Household)):
        day = household_days.day_of(household.last_visit_at)
        for ancestor in above.get(household.village_id, []):
            key = (ancestor, household.archived, day)
            found[key] = found.get(key, 0) + 1
    return found


def kept():
    db.session.flush()
    return {
        (area, archived, as_date(day)): n
        for (area, archived, day), n in household_days.kept(db.session.connection()).items()
    }


def area(code):
    return db.session.scalar(select(Area).where(Area.code == code))


def test_every_change_to_a_household_keeps_the_counts(
    app, api, create_household, create_user, create_visit
):
    volunteer = api.user
    staff = create_user("staff")
    first, second = create_household("NI-01"), create_household("NI-01")
    create_household("BL-01")
    assert kept() == counted()
    assert kept()[(area("NI").id, False, household_days.NEVER)] == 2

    # Synced: one visit, then a batch over both households with two days.
    now = datetime.now(UTC)
    assert api({"visits": [item(first)]}).status_code == 200
    earlier = (now - timedelta(days=3)).astimezone().isoformat()
    batch = [item(first), item(second, visited_at=earlier), item(second), item(first)]
    assert api({"visits": batch}).status_code == 200
    db.session.expire_all()
    assert kept() == counted()
    today = household_days.day_of(now)
    assert kept()[(area("MDH").id, False, today)] == 2

    # A visit put on another day, then removed: the household goes back to its visit before.
    visit = db.session.scalar(
        select(Visit).where(Visit.household_id == second.id).order_by(Visit.visited_at.desc())
    )
    moved = visits.VisitInput(
        household=second.code,
        visited_at=now - timedelta(days=5),
        kind="routine",
        wellbeing="green",
    )
    visits.update_visit(visit, moved, volunteer)
    db.session.commit()
    assert kept() == counted()
    visits.delete_visit(visit, volunteer)
    db.session.commit()
    assert kept() == counted()

    # Archived and back; moved to another village; erased.
    households.set_archived(first, True, staff)
    db.session.commit()
    assert kept() == counted()
    assert kept()[(area("NI").id, True, today)] == 1
    households.set_archived(first, False, staff)
    first.village = area("BL-02")
    db.session.commit()
    assert kept() == counted()
    privacy.anonymise(second, staff)
    db.session.commit()
    assert kept() == counted()

    # Visited by the factory (the ORM), and deleted outright.
    create_visit(second, volunteer, days_ago=10)
    db.session.delete(db.session.get(Household, create_household("NI-02").id))
    db.session.commit()
    assert kept() == counted()


def test_imports_area_moves_and_the_demo_keep_the_counts(app, create_household, create_user):
    admin = create_user("admin")
    raw = HEADER + "NI-03-0001,1,NI-03,ทองดี มีสุข,,,,\nBL-03-0001,2,BL-03,มาลี ใจดี,,,,\n"
    report = imports.import_households(raw.encode(), by=admin, after_chunk=db.session.commit)
    assert len(report.imported) == 2
    assert kept() == counted()
    assert kept()[(area("BL").id, False, household_days.NEVER)] == 1

    # A village moved to the other subdistrict takes its households along.
    areas.move(area("NI-03"), "BL", admin)
    db.session.commit()
    assert kept() == counted()
    assert kept()[(area("BL").id, False, household_days.NEVER)] == 2

    # The demo's bulk load counts everything again.
    demo.seed(households=30)
    db.session.commit()
    assert kept() == counted()


def test_a_household_changed_since_the_session_read_it_moves_from_where_it_is(
    app, create_household, create_user
):
    """A sync committed after a staff member's page read the household: archiving it moves it
    from its new last visit's day, not from the day the page's copy says."""
    staff = create_user("staff")
    household = create_household("NI-01")
    assert household.last_visit_at is None
    visited = datetime.now(UTC) - timedelta(days=2)
    # What another request's sync did, behind this session's back.
    db.session.execute(
        update(Household)
        .where(Household.id == household.id)
        .values(last_visit_at=visited)
        .execution_options(synchronize_session=False)
    )
    village = household.village_id
    household_days.move(
        db.session.connection(),
        {
            (village, False, household_days.NEVER): -1,
            (village, False, household_days.day_of(visited)): 1,
        },
    )
    assert household.last_visit_at is None  # the session's copy is behind
    households.set_archived(household, True, staff)
    db.session.commit()
    db.session.expire_all()
    assert kept() == counted()
    assert kept()[(area("NI").id, True, household_days.day_of(visited))] == 1


def test_changes_land_on_every_area_above_the_village_and_cancel_out(app, create_household):
    """Changes that cancel out write nothing; the rest land on every area above the village."""
    household = create_household("NI-01")
    day = date(2026, 11, 1)
    village = household.village_id
    connection = db.session.connection()
    household_days.move(connection, {(village, False, day): 1, (village, True, day): 0})
    household_days.move(connection, {(village, False, day): -1})
    rows = db.session.scalars(select(HouseholdDay).where(HouseholdDay.day == day)).all()
    assert {row.area_id for row in rows} == {area(c).id for c in ("NI", "MDH-KCI", "MDH")}
    assert all(row.households == 0 for row in rows)


def test_the_dashboards_figures_from_the_kept_counts_match_the_households(
    app, create_household, create_user, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    for number, days_ago in enumerate((0, 5, 29, 30, 31, 60, 89, 90, 91, 200)):
        household = create_household(("NI-01", "NI-02", "BL-01")[number % 3])
        create_visit(household, volunteer, days_ago=days_ago)
    create_household("BL-02")
    archived = create_household("NI-02")
    create_visit(archived, volunteer, days_ago=3)
    households.set_archived(archived, True, staff)
    db.session.commit()
    today = dashboard.today()
    periods = [
        dashboard.parse_period("month"),
        dashboard.parse_period("quarter"),
        dashboard.Period(today - timedelta(days=100), today - timedelta(days=20)),
    ]
    scopes = [None, dashboard.villages_in(area("MDH")), dashboard.villages_in(area("NI"))]
    for period in periods:
        for villages in scopes:
            for level in ("province", "district", "subdistrict"):
                if not dashboard.rolled_up(villages, level):
                    continue
                tops = dashboard.top_areas(villages)
                rolled = dashboard.households_per_area_rolled(period, villages, level, tops)
                counted_ = dashboard.households_per_area_counted(period, villages, level)
                assert rolled == counted_, (period, villages, level)
    # Every province: all twelve households but the archived one; NI: seven of them.
    whole = dashboard.households_per_area(periods[0], None, "province")
    assert whole.now.total == 11
    assert dashboard.household_total(None) == 11
    assert dashboard.household_total(dashboard.villages_in(area("NI"))) == 7


def test_households_not_visited_lately_are_listed_never_visited_first(
    app, create_household, create_user, create_visit, monkeypatch
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    never = sorted((create_household("NI-01"), create_household("NI-02")), key=lambda h: h.code)
    visited = {}
    for days in (61, 200, 10, 90):
        visited[days] = create_household("NI-01")
        create_visit(visited[days], volunteer, days_ago=days)
    for villages in (None, dashboard.villages_in(area("NI")), dashboard.villages_in(area("NI-01"))):
        count, listed = dashboard.stale_households(villages)
        if villages is not None and villages.key == dashboard.villages_in(area("NI-01")).key:
            assert count == 4 and listed == [never[0], visited[200], visited[90], visited[61]]
        else:
            assert count == 5
            assert listed == [*never, visited[200], visited[90], visited[61]]
    monkeypatch.setattr(dashboard, "LIST_SIZE", 3)
    assert dashboard.stale_households(None)[1] == [*never, visited[200]]
