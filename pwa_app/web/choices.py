"""Choices for select boxes that come from the database (views fill them; forms do not query)."""

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.models import Area
from pwa_app.web.templating import localized


def area_choices(levels=("subdistrict", "village")):
    """Return areas in use of the given levels as (code, "code · name") choices."""
    areas = db.session.scalars(
        select(Area).where(Area.level.in_(levels), Area.in_use()).order_by(Area.code)
    )
    return [SelectChoice(area.code, f"{area.code} · {localized(area)}") for area in areas]


def village_choices():
    """Return the villages in use as choices."""
    return area_choices(("village",))
