"""Keep the visits-per-village-per-day table in step with the visits."""

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from pwa_app.extensions import db
from pwa_app.models import Visit, VisitDay
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
