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
            insert(area_paths).from_select(["ancestor_id", "level", "area_id"], _paths(chunk))
        )


def link_all(connection=None):
    """Rewrite every path (after rows were changed behind the ORM's back)."""
    connection = connection if connection is not None else db.session.connection()
    connection.execute(delete(area_paths))
    link(select(Area.id), connection)


def _paths(area_ids):
    """Select (ancestor, level, area) for the areas: themselves and up to three areas above."""
    area = Area.__table__.alias("area")
    parent = Area.__table__.alias("parent")
    grandparent = Area.__table__.alias("grandparent")
    chosen = area.c.id.in_(area_ids)
    return union_all(
        select(area.c.id, area.c.level, area.c.id).where(chosen),
        select(area.c.parent_id, area.c.level, area.c.id).where(
            chosen, area.c.parent_id.is_not(None)
        ),
        select(parent.c.parent_id, area.c.level, area.c.id)
        .join(parent, parent.c.id == area.c.parent_id)
        .where(chosen, parent.c.parent_id.is_not(None)),
        select(grandparent.c.parent_id, area.c.level, area.c.id)
        .join(parent, parent.c.id == area.c.parent_id)
        .join(grandparent, grandparent.c.id == parent.c.parent_id)
        .where(chosen, grandparent.c.parent_id.is_not(None)),
    )


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
    if moved:
        ids.update(connection.scalars(below(moved)))
    link(ids, connection)


def _moved(area):
    state = db.inspect(area)
    return state.attrs.parent_id.history.has_changes() or state.attrs.parent.history.has_changes()
