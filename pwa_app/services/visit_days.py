"""Keep the visits-per-village-per-day table, and its roll-up to the areas above the villages
(area_days), in step with the visits and the tree."""

from sqlalchemy import Date, Integer, bindparam, delete, func, insert, select, text

from pwa_app.extensions import db
from pwa_app.models import AreaDay, Visit, VisitDay, area_paths
from pwa_app.services.sqltime import local_date
from pwa_app.services.summaries import LOCAL_TZ


def add(visited_at, village_id, change=1):
    """Add (or, with -1, take away) one visit on its Thai day in a village, atomically."""
    add_on(visited_at.astimezone(LOCAL_TZ).date(), village_id, change)


def add_on(day, village_id, change):
    """Add a number of visits (negative: take away) to a village's Thai day, atomically."""
    add_many({(day, village_id): change})


# The upserts are written out: SQLAlchemy 2.0 compiles a dialect's INSERT ... ON CONFLICT
# anew on every execution (it has no cache key), which cost a sync of one visit more than the
# statements themselves. The SQL is the same on SQLite and PostgreSQL.
ADD_TO_VILLAGE_DAY = text(
    "INSERT INTO visit_days (day, village_id, visits) VALUES (:day, :village_id, :visits) "
    "ON CONFLICT (day, village_id) DO UPDATE SET visits = visit_days.visits + excluded.visits"
).bindparams(bindparam("day", type_=Date), bindparam("visits", type_=Integer))
ADD_TO_AREAS_ABOVE = text(
    "INSERT INTO area_days (area_id, day, visits) "
    "SELECT ancestor_id, :day, :visits FROM area_paths "
    "WHERE area_id = :village_id AND ancestor_id != area_id ORDER BY ancestor_id "
    "ON CONFLICT (area_id, day) DO UPDATE SET visits = area_days.visits + excluded.visits"
).bindparams(bindparam("day", type_=Date), bindparam("visits", type_=Integer))


def add_many(changes):
    """Add numbers of visits to villages' Thai days ({(day, village_id): change}), atomically.

    One statement for the villages' days and one for the areas above them, each run for all
    the rows at once. Rows are written in (day, village, area) order, so two requests adding
    to the same days queue instead of deadlocking.
    """
    rows = [
        {"day": day, "village_id": village_id, "visits": change}
        for (day, village_id), change in sorted(changes.items())
        if change
    ]
    if rows:
        db.session.execute(ADD_TO_VILLAGE_DAY, rows)
        db.session.execute(ADD_TO_AREAS_ABOVE, rows)


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
