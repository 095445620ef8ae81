"""Area scoping: what part of the organisation a user may see and work in."""

from flask import g, has_request_context
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Area, Household, user_areas
from pwa_app.services.errors import NotFound

ORG_WIDE_ROLES = ("staff", "admin")


def sees_everything(user):
    """Tell whether the user works across the whole organisation."""
    return user.role in ORG_WIDE_ROLES


def village_ids(user):
    """Return the ids of the villages inside the user's areas.

    A request asks this for every household it touches (a sync of fifty visits, a page of
    households), so the answer is kept for the rest of the request.
    """
    kept = g.setdefault("village_ids", {}) if has_request_context() and user.id else {}
    if user.id not in kept:
        areas = select(user_areas.c.area_id).where(user_areas.c.user_id == user.id)
        kept[user.id] = frozenset(
            db.session.scalars(
                select(Area.id).where(
                    Area.level == "village", Area.id.in_(areas) | Area.parent_id.in_(areas)
                )
            )
        )
    return kept[user.id]


def villages(user, retired=False):
    """Return the villages the user works in (every village for staff), by code.

    Retired villages are left out unless asked for: pickers offer only villages in use.
    """
    stmt = select(Area).where(Area.level == "village").order_by(Area.code)
    if not retired:
        stmt = stmt.where(Area.in_use())
    if not sees_everything(user):
        stmt = stmt.where(Area.id.in_(village_ids(user) or {-1}))
    return db.session.scalars(stmt).all()


def forget_village_ids():
    """Drop the village ids this request has kept (after someone's areas change)."""
    if has_request_context():
        g.pop("village_ids", None)


def scope_households(stmt, user):
    """Limit a query over households to those the user may see."""
    return scope_villages(stmt, user, Household.village_id)


def scope_villages(stmt, user, village_column):
    """Limit a query to rows whose village (households, cases, help requests) the user sees."""
    if sees_everything(user):
        return stmt
    return stmt.where(village_column.in_(village_ids(user) or {-1}))


def may_see_household(user, household):
    """Tell whether the user may see and work with the household."""
    return sees_everything(user) or household.village_id in village_ids(user)


def household_for(user, code):
    """Return the household with this code if the user may see it; else raise NotFound."""
    household = db.session.scalar(select(Household).where(Household.code == (code or "").upper()))
    if household is None or not may_see_household(user, household):
        raise NotFound()
    return household
