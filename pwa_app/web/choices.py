"""Choices for select boxes that come from the database (views fill them; forms do not query)."""

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select, true, union
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.models import Area, area_paths
from pwa_app.services import scope
from pwa_app.services.areas import LEVELS
from pwa_app.web.templating import localized

# The most areas a drill-down select offers at once: past it, only the chosen area's line.
CHOICES_LIMIT = 300


def area_choice(area):
    """Return an area as a choice: its code and name."""
    return SelectChoice(area.code, f"{area.code} · {localized(area)}")


def area_choices(levels=("subdistrict", "village"), user=None):
    """Return areas in use of the given levels (within the user's, if given) as choices."""
    stmt = select(Area).where(Area.level.in_(levels), Area.in_use()).order_by(Area.code)
    if user is not None:
        stmt = stmt.where(Area.id.in_(scope.areas_below(scope.roots(user))))
    return [area_choice(area) for area in db.session.scalars(stmt)]


def village_choices(user):
    """Return the user's villages in use as choices."""
    return area_choices(("village",), user)


@dataclass
class DrillChoices:
    """The areas a drill-down select offers; `partial` when they are not all the user's."""

    choices: list
    partial: bool = False


def drill_choices(user, chosen=None):
    """Return the user's areas in use as choices: all when they are few, else the chosen area
    (or the user's own areas) with the areas above it and its parts."""
    roots = scope.roots(user)
    # Counted on the tree's paths alone (retired areas too): an index range, not a join.
    total = db.session.scalar(
        select(func.count()).select_from(area_paths).where(area_paths.c.ancestor_id.in_(roots))
    )
    if total <= CHOICES_LIMIT:
        return DrillChoices(area_choices(LEVELS, user))
    if chosen is None:
        family = Area.id.in_(union(roots, select(Area.id).where(Area.parent_id.in_(roots))))
        shown = Area.in_use()
    else:
        family = Area.id.in_(
            union(
                select(Area.id).where(or_(Area.id == chosen.id, Area.parent_id == chosen.id)),
                scope.areas_above(chosen.id),
            )
        )
        shown = or_(Area.in_use(), Area.id == chosen.id)  # a retired area typed in the address
    # Only areas inside the user's (the user's own and their parts are): each candidate
    # checked on the paths by its own index.
    inside = (
        select(area_paths.c.area_id)
        .where(area_paths.c.area_id == Area.id, area_paths.c.ancestor_id.in_(roots))
        .exists()
        if chosen is not None
        else true()
    )
    depth = case({level: depth for depth, level in enumerate(LEVELS)}, value=Area.level)
    areas = db.session.scalars(
        select(Area)
        .where(family, shown, inside)
        .order_by(depth, Area.code)
        .limit(CHOICES_LIMIT + 1)
    ).all()
    if len(areas) > CHOICES_LIMIT:
        # Too many parts to list: offer the areas above them, as long as there are some.
        areas = [a for a in areas if a.level != areas[-1].level] or areas[:CHOICES_LIMIT]
    return DrillChoices([area_choice(area) for area in areas], partial=True)
