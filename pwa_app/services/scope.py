"""Area scoping: which villages a user may see and work in.

Staff and admins work across their organisation's areas; a volunteer in their own areas; an
observer sees only aggregate figures of its areas, never a household. Every answer is a SQL
selection of village ids (or, for one household at a time, a set kept for the request), so no
query checks its rows one by one.
"""

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased, join

from pwa_app.extensions import db
from pwa_app.models import Area, Household, User, org_areas, user_areas
from pwa_app.models import area_paths as paths
from pwa_app.services import area_paths
from pwa_app.services.errors import NotFound

ORG_WIDE_ROLES = ("staff", "admin")
# Roles that see households (an observer sees figures only).
HOUSEHOLD_ROLES = ("volunteer", "staff", "admin")


def org_wide(user):
    """Tell whether the user works across their whole organisation (staff and admins)."""
    return user.role in ORG_WIDE_ROLES


def areas_below(area_ids):
    """Select the ids of the areas at or below the areas (a selection of area ids).

    An organisation covering a province covers the villages added under it later: the tree's
    paths (services/area_paths) are kept as areas are added and moved.
    """
    return select(Area.id).where(Area.id.in_(area_paths.below(area_ids)))


def areas_above(area_id):
    """Select the ids of an area's ancestors: its parent, grandparent and great-grandparent."""
    return select(paths.c.ancestor_id).where(
        paths.c.area_id == area_id, paths.c.ancestor_id != area_id
    )


@dataclass(frozen=True)
class Lineage:
    """Each village joined to its subdistrict, district and province (aliases of areas)."""

    levels: dict  # level -> the village's area at that level (the village itself for "village")
    joined: object

    @property
    def village(self):
        """Return the alias of the village itself."""
        return self.levels["village"]

    def over(self, *columns):
        """Select columns over every village and its ancestors."""
        return select(*columns).select_from(self.joined).where(self.village.level == "village")


def lineage():
    """Join villages to their ancestors: the tree always has four levels, so inner joins do."""
    village, subdistrict, district, province = (aliased(Area) for _ in range(4))
    joined = (
        join(village, subdistrict, subdistrict.id == village.parent_id)
        .join(district, district.id == subdistrict.parent_id)
        .join(province, province.id == district.parent_id)
    )
    levels = {
        "province": province,
        "district": district,
        "subdistrict": subdistrict,
        "village": village,
    }
    return Lineage(levels, joined)


def villages_below(area_ids):
    """Select the ids of the villages at or below the areas: one index range, at any size."""
    return select(paths.c.area_id).where(
        paths.c.ancestor_id.in_(area_ids), paths.c.level == "village"
    )


def org_roots(org_id):
    """Select the ids of the areas an organisation was given."""
    return select(org_areas.c.area_id).where(org_areas.c.org_id == org_id)


def roots(user):
    """Select the ids of the areas the user works from (their organisation's for staff)."""
    if org_wide(user):
        return org_roots(user.org_id)
    return select(user_areas.c.area_id).where(user_areas.c.user_id == user.id)


def org_villages(org_id):
    """Select the ids of the villages an organisation covers."""
    return villages_below(org_roots(org_id))


def village_select(user):
    """Select the ids of the user's villages (their organisation's for staff and admins)."""
    return villages_below(roots(user))


def village_ids(user):
    """Return the ids of the user's villages as a set.

    A request asks this for every household it touches (a sync of fifty visits, a page of
    households), so the answer is kept for the rest of the request.
    """
    kept = g.setdefault("village_ids", {}) if has_request_context() and user.id else {}
    if user.id not in kept:
        kept[user.id] = frozenset(db.session.scalars(village_select(user)))
    return kept[user.id]


def villages(user, retired=False):
    """Return the villages the user works in, by code.

    Retired villages are left out unless asked for: pickers offer only villages in use.
    """
    stmt = select(Area).where(Area.id.in_(village_select(user))).order_by(Area.code)
    if not retired:
        stmt = stmt.where(Area.in_use())
    return db.session.scalars(stmt).all()


def forget_village_ids():
    """Drop the village ids this request has kept (after someone's areas change)."""
    if has_request_context():
        g.pop("village_ids", None)


def any_users_villages(wide):
    """Select the ids of a user's villages, the user given when the statement runs (see
    users_villages_values): a statement built once serves everyone. `wide` is org_wide(user).
    """
    if wide:
        return villages_below(org_roots(bindparam("scope_org_id")))
    return villages_below(
        select(user_areas.c.area_id).where(user_areas.c.user_id == bindparam("scope_user_id"))
    )


def users_villages_values(user):
    """Return the bind parameters that make any_users_villages() the user's villages."""
    return {"scope_org_id": user.org_id} if org_wide(user) else {"scope_user_id": user.id}


def scope_households(stmt, user):
    """Limit a query over households to those the user may see."""
    return scope_villages(stmt, user, Household.village_id)


def scope_villages(stmt, user, village_column):
    """Limit a query to rows whose village (households, cases, help requests) the user sees."""
    if user.role not in HOUSEHOLD_ROLES:
        return stmt.where(village_column.in_(()))
    return stmt.where(village_column.in_(village_select(user)))


def scope_users(stmt, user):
    """Limit a query over users to the user's organisation."""
    return stmt.where(User.org_id == user.org_id)


def may_see_household(user, household):
    """Tell whether the user may see and work with the household."""
    return user.role in HOUSEHOLD_ROLES and household.village_id in village_ids(user)


def household_for(user, code):
    """Return the household with this code if the user may see it; else raise NotFound."""
    household = db.session.scalar(select(Household).where(Household.code == (code or "").upper()))
    if household is None or not may_see_household(user, household):
        raise NotFound()
    return household
