"""Choices for select boxes that come from the database (views fill them; forms do not query)."""

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.models import Area
from pwa_app.services import scope
from pwa_app.web.templating import localized


def area_choices(levels=("subdistrict", "village"), user=None):
    """Return areas in use of the given levels (within the user's, if given) as choices."""
    stmt = select(Area).where(Area.level.in_(levels), Area.in_use()).order_by(Area.code)
    if user is not None:
        stmt = stmt.where(Area.id.in_(scope.areas_below(scope.roots(user))))
    areas = db.session.scalars(stmt)
    return [SelectChoice(area.code, f"{area.code} · {localized(area)}") for area in areas]


def village_choices(user):
    """Return the user's villages in use as choices."""
    return area_choices(("village",), user)
