"""Keep the visits-per-village-per-day table, and its roll-up to the areas above the villages
(area_days), in step with the visits and the tree."""

from sqlalchemy import Date, Integer, delete, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from pwa_app.extensions import db
from pwa_app.models import AreaDay, Visit, VisitDay, area_paths
from pwa_app.services.sqltime import local_date
from pwa_app.services.summaries import LOCAL_TZ


def add(visited_at, village_id, change=1):
    """Add (or, with -1, take away) one visit on its Thai day in a village, atomically."""
    add_on(visited_at.astimezone(LOCAL_TZ).date(), village_id, change)


def add_on(day, village_id, change):
    """Add a number of visits (negative: take away) to a village's Thai day, atomically."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(VisitDay).values(day=day, village_id=village_id, visits=change)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "village_id"],
            set_={"visits": VisitDay.visits + change},
        )
    )
    above = select(area_paths.c.ancestor_id, literal(day, Date), literal(change, Integer)).where(
        area_paths.c.area_id == village_id, area_paths.c.ancestor_id != village_id
    )
    db.session.execute(
        dialect.insert(AreaDay)
        .from_select(["area_id", "day", "visits"], above)
        .on_conflict_do_update(
            index_elements=["area_id", "day"], set_={"visits": AreaDay.visits + change}
        )
    )


def rebuild():
    """Count every day again from the visits (after bulk inserts)."""
    db.session.execute(delete(VisitDay))
    day = local_date(Visit.visited_at)
    db.session.execute(
        insert(VisitDay).from_select(
            ["day", "village_id", "visits"],
            select(day, Visit.village_id, func.count(Visit.id))
            .where(Visit.deleted_at.is_(None))
            .group_by(day, Visit.village_id),
        )
    )
    recount(None)


def recount(area_ids, connection=None):
    """Roll visit_days up again for these areas above villages (None: all of them)."""
    connection = connection if connection is not None else db.session.connection()
    cleared = delete(AreaDay)
    rolled = (
        select(area_paths.c.ancestor_id, VisitDay.day, func.sum(VisitDay.visits))
        .join(area_paths, area_paths.c.area_id == VisitDay.village_id)
        .where(area_paths.c.ancestor_id != VisitDay.village_id)
        .group_by(area_paths.c.ancestor_id, VisitDay.day)
    )
    if area_ids is not None:
        area_ids = sorted(area_ids)
        if not area_ids:
            return
        cleared = cleared.where(AreaDay.area_id.in_(area_ids))
        rolled = rolled.where(area_paths.c.ancestor_id.in_(area_ids))
    connection.execute(cleared)
    connection.execute(insert(AreaDay).from_select(["area_id", "day", "visits"], rolled))
