"""The area tree's paths (models.area_paths): each area beside every area at or above it.

Scoping asks "the villages below these areas" on every page; with the paths that is one index
range, where walking the tree would join the whole areas table on every query. The paths are
kept in step here: areas added or moved through the ORM are linked when the session flushes;
rows written in bulk (the CSV import, the demo) are linked by calling `link`.
"""

from sqlalchemy import delete, event, insert, select, union_all
from sqlalchemy.orm import Session

from pwa_app.extensions import db
from pwa_app.models import Area, area_paths

CHUNK = 2000


def link(area_ids, connection=None):
    """Write the paths of these areas (ids, or a selection of ids) from their parents."""
    connection = connection if connection is not None else db.session.connection()
    if not isinstance(area_ids, list | tuple | set | frozenset):
        area_ids = connection.scalars(area_ids).all()
    area_ids = sorted(area_ids)
    for start in range(0, len(area_ids), CHUNK):
        chunk = area_ids[start : start + CHUNK]
        connection.execute(delete(area_paths).where(area_paths.c.area_id.in_(chunk)))
        connection.execute(
            insert(area_paths).from_select(
                ["ancestor_id", "level", "area_id", "ancestor_level"], _paths(chunk)
            )
        )


def link_all(connection=None):
    """Rewrite every path (after rows were changed behind the ORM's back)."""
    connection = connection if connection is not None else db.session.connection()
    connection.execute(delete(area_paths))
    link(select(Area.id), connection)


def _paths(area_ids):
    """Select (ancestor, level, area, ancestor's level) for the areas: themselves and the up to
    three areas above each."""
    area = Area.__table__.alias("area")
    above = [Area.__table__.alias(name) for name in ("parent", "grandparent", "top")]
    chosen = area.c.id.in_(area_ids)
    steps = [select(area.c.id, area.c.level, area.c.id, area.c.level).where(chosen)]
    joined, lower = area, area
    for upper in above:
        joined = joined.join(upper, upper.c.id == lower.c.parent_id)
        steps.append(
            select(upper.c.id, area.c.level, area.c.id, upper.c.level)
            .select_from(joined)
            .where(chosen)
        )
        lower = upper
    return union_all(*steps)


def below(area_ids):
    """Select the ids of the areas at or below the areas (a selection or list of ids)."""
    return select(area_paths.c.area_id).where(area_paths.c.ancestor_id.in_(area_ids))


@event.listens_for(Session, "after_flush")
def _link_flushed_areas(session, _context):
    """Link areas the flush added, and everything below an area it moved."""
    added = [area.id for area in session.new if isinstance(area, Area)]
    moved = [area.id for area in session.dirty if isinstance(area, Area) and _moved(area)]
    if not added and not moved:
        return
    connection = session.connection()
    ids = set(added)
    if not moved:
        link(ids, connection)
        return
    ids.update(connection.scalars(below(moved)))
    before = set(connection.scalars(_above(moved)))
    link(ids, connection)
    # The visits and households of the villages moved now count for other areas above them.
    # (Imported here: visit_days reaches scope through summaries, and scope needs this module.)
    from pwa_app.services import household_days, visit_days

    above = (before | set(connection.scalars(_above(moved)))) - set(moved)
    visit_days.recount(above, connection)
    household_days.recount(above, connection)


def _above(area_ids):
    return select(area_paths.c.ancestor_id).where(area_paths.c.area_id.in_(area_ids))


def _moved(area):
    state = db.inspect(area)
    return state.attrs.parent_id.history.has_changes() or state.attrs.parent.history.has_changes()
