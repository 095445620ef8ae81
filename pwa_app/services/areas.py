"""Areas managed by admins: the tree, adding, renaming, moving, locating and retiring.

Codes are never reused: a retired area keeps its code. A subdistrict's code is two or three
letters (NI, KCN: three give room for all of Thailand's 7,000-odd subdistricts); a village's is
its subdistrict's, a dash and two digits (NI-03), the start of its households' codes.
"""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Area, AreaChange, Household
from pwa_app.models.base import utcnow
from pwa_app.services import audit, memo, scope
from pwa_app.services.errors import NotFound, ValidationError
from pwa_app.services.households import coordinate
from pwa_app.services.validation import text_problem

LEVELS = ("province", "district", "subdistrict", "village")
PARENT_LEVEL = {"district": "province", "subdistrict": "district", "village": "subdistrict"}
CHILD_LEVEL = {parent: child for child, parent in PARENT_LEVEL.items()}
LEVEL_NAMES = {
    "province": _l("province"),
    "district": _l("district"),
    "subdistrict": _l("subdistrict"),
    "village": _l("village"),
}
CODE_PATTERNS = {
    "province": re.compile(r"^[A-Z][A-Z0-9]{1,9}$"),
    "district": re.compile(r"^[A-Z][A-Z0-9]{1,9}(-[A-Z0-9]{1,9})?$"),
    "subdistrict": re.compile(r"^[A-Z]{2,3}$"),
    "village": re.compile(r"^([A-Z]{2,3})-(0[1-9]|[1-9][0-9])$"),
}
CODE_EXAMPLES = {
    "province": _l("Use 2 to 10 capital letters or digits, e.g. MDH."),
    "district": _l("Use capital letters and digits, e.g. MDH-KCI."),
    "subdistrict": _l("Use 2 or 3 capital letters, e.g. NI or KCN."),
    "village": _l(
        "Use the subdistrict's letters, a dash and the village number (01-99), e.g. NI-03."
    ),
}
NAME_MAX = 120
OFFICIAL_CODE_MAX = 20


def managed(user, stmt=None):
    """Limit a query over areas to those the admin may manage: their organisation's and below.

    Without a user (the command line) every area is managed.
    """
    stmt = select(Area) if stmt is None else stmt
    if user is None:
        return stmt
    return stmt.where(Area.id.in_(scope.areas_below(scope.org_roots(user.org_id))))


def area_for(user, area_id):
    """Return the area the admin may manage, or raise NotFound."""
    area = db.session.scalar(managed(user).where(Area.id == area_id))
    if area is None:
        raise NotFound()
    return area


def snapshot(area):
    """Return what an area's history keeps of it."""
    return {
        "code": area.code,
        "level": area.level,
        "parent": area.parent.code if area.parent else None,
        "name_th": area.name_th,
        "name_en": area.name_en,
        "official_code": area.official_code,
        "lat": area.lat,
        "lon": area.lon,
    }


def _log(area, kind, by, old, new):
    """Keep a change in the area's history and in the audit trail."""
    db.session.add(
        AreaChange(area=area, kind=kind, user_id=getattr(by, "id", None), old=old, new=new)
    )
    audit.record(f"area.{kind}", by, area, code=area.code)


def history(area):
    """Return the area's changes, newest first."""
    return db.session.scalars(
        select(AreaChange)
        .where(AreaChange.area_id == area.id)
        .order_by(AreaChange.at.desc(), AreaChange.id.desc())
    ).all()


def children(area):
    """Return an area's children, by code (retired ones included, marked)."""
    return db.session.scalars(
        managed(None).where(Area.parent_id == area.id).order_by(Area.code)
    ).all()


@dataclass
class Node:
    """An area in the tree, with its children and, for a village, its households."""

    area: Area
    children: list
    households: int = 0


def tree(user):
    """Return the areas the admin manages as a forest of Nodes, each level ordered by code."""
    areas = db.session.scalars(managed(user).order_by(Area.code)).all()
    counts = household_counts()
    nodes = {area.id: Node(area, [], counts.get(area.id, 0)) for area in areas}
    roots = []
    for area in areas:
        parent = nodes.get(area.parent_id)
        (parent.children if parent else roots).append(nodes[area.id])
    return roots


def household_counts():
    """Return {village id: households not archived}."""
    return dict(
        db.session.execute(
            select(Household.village_id, func.count(Household.id))
            .where(Household.archived.is_(False))
            .group_by(Household.village_id)
        ).all()
    )


@dataclass
class AreaInput:
    """What an admin types for a new area, or for an area's names and location."""

    code: str = ""
    name_th: str = ""
    name_en: str = ""
    official_code: str = ""
    lat: str | float | None = None
    lon: str | float | None = None


def check_details(data, errors):
    """Check names, official code and location; return (official_code, lat, lon)."""
    for name in ("name_th", "name_en"):
        if problem := text_problem(getattr(data, name), NAME_MAX):
            errors[name] = problem
    official = (data.official_code or "").strip()
    if problem := text_problem(official, OFFICIAL_CODE_MAX, required=False):
        errors["official_code"] = problem
    lat = coordinate(data.lat, -90, 90, "lat", errors)
    lon = coordinate(data.lon, -180, 180, "lon", errors)
    if (lat is None) != (lon is None) and "lat" not in errors and "lon" not in errors:
        errors["lat"] = _l("Give both latitude and longitude, or neither.")
    return official or None, lat, lon


def code_problem(code, level, parent_code):
    """Return why a code does not fit its level (and its subdistrict, for a village), or None."""
    match = CODE_PATTERNS[level].match(code)
    if match is None:
        return CODE_EXAMPLES[level]
    if level == "village" and match.group(1) != parent_code:
        return _l(
            "A village's code starts with its subdistrict's code: %(prefix)s-01 to %(prefix)s-99.",
            prefix=parent_code,
        )
    return None


def taken_problem(code, retired):
    """Return the message for a code already in use (or used by a retired area)."""
    if retired:
        return _l(
            "The code %(code)s belonged to a retired area; codes are never reused. "
            "Choose another code.",
            code=code,
        )
    return _l("Another area already has the code %(code)s.", code=code)


def parent_problem(parent, level):
    """Return why an area cannot be a parent for an area of this level, or None."""
    wanted = PARENT_LEVEL.get(level)
    if parent is None:
        return None if wanted is None else _l("Choose the parent area.")
    if wanted is None:
        return _l("A province has no parent area.")
    if parent.level != wanted:
        return level_problem(level, wanted, parent.code, parent.level)
    if parent.retired:
        return _l("The area %(code)s is retired: choose another.", code=parent.code)
    return None


def level_problem(level, wanted, parent_code, parent_level):
    """Return the message for a parent of the wrong level."""
    return _l(
        "A %(level)s must be under a %(wanted)s; %(code)s is a %(found)s.",
        level=LEVEL_NAMES[level],
        wanted=LEVEL_NAMES[wanted],
        code=parent_code,
        found=LEVEL_NAMES.get(parent_level, parent_level),
    )


def create_area(data, parent, by):
    """Add an area under a parent (a province when parent is None); raise ValidationError."""
    level = CHILD_LEVEL[parent.level] if parent is not None else "province"
    errors = {}
    official, lat, lon = check_details(data, errors)
    code = (data.code or "").strip().upper()
    if problem := parent_problem(parent, level):
        errors["parent"] = problem
    elif problem := code_problem(code, level, parent.code if parent else None):
        errors["code"] = problem
    else:
        existing = db.session.scalar(select(Area).where(Area.code == code))
        if existing is not None:
            errors["code"] = taken_problem(code, existing.retired)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    area = Area(
        code=code,
        level=level,
        parent=parent,
        village_no=int(code[-2:]) if level == "village" else None,
        name_th=data.name_th.strip(),
        name_en=data.name_en.strip(),
        official_code=official,
        lat=lat,
        lon=lon,
    )
    db.session.add(area)
    db.session.flush()
    _log(area, "created", by, None, snapshot(area))
    return area


def update_details(area, data, by):
    """Rename an area and set its official code and location; raise ValidationError."""
    errors = {}
    official, lat, lon = check_details(data, errors)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    old = snapshot(area)
    area.name_th, area.name_en = data.name_th.strip(), data.name_en.strip()
    area.official_code, area.lat, area.lon = official, lat, lon
    new = snapshot(area)
    if (old["name_th"], old["name_en"], old["official_code"]) != (
        new["name_th"],
        new["name_en"],
        new["official_code"],
    ):
        _log(area, "renamed", by, old, new)
    if (old["lat"], old["lon"]) != (new["lat"], new["lon"]):
        _log(area, "located", by, old, new)


def move(area, parent_code, by):
    """Put an area under another parent of the right level; its visits and cases stay its own."""
    code = (parent_code or "").strip().upper()
    parent = db.session.scalar(managed(by).where(Area.code == code)) if code else None
    if area.level == "province":
        problem = _l("A province has no parent area.")
    elif parent is None:
        problem = _l("There is no area with the code %(code)s.", code=code[:20] or "-")
    elif parent.id == area.id or _is_below(parent, area):
        problem = _l(
            "%(parent)s lies inside %(code)s: an area cannot be under itself.",
            parent=parent.code,
            code=area.code,
        )
    else:
        problem = parent_problem(parent, area.level)
    if problem:
        raise ValidationError(_l("The area was not moved."), {"parent": problem})
    if parent.id == area.parent_id:
        return
    old = snapshot(area)
    area.parent = parent
    _log(area, "moved", by, old, snapshot(area))
    # Figures by subdistrict and the volunteers' village lists now group the village anew.
    memo.forget_all()
    scope.forget_village_ids()


def _is_below(candidate, area):
    """Tell whether candidate lies somewhere under area."""
    seen = candidate.parent
    while seen is not None:
        if seen.id == area.id:
            return True
        seen = seen.parent
    return False


def retire(area, by):
    """Retire an area; refuse while it has live areas or active households under it."""
    if area.retired:
        return
    live_children = db.session.scalar(
        select(func.count(Area.id)).where(Area.parent_id == area.id, Area.retired_at.is_(None))
    )
    if live_children:
        raise ValidationError(
            _l(
                "%(code)s still has %(n)d areas in use under it: move or retire them first.",
                code=area.code,
                n=live_children,
            )
        )
    households = db.session.scalar(
        select(func.count(Household.id)).where(
            Household.village_id == area.id, Household.archived.is_(False)
        )
    )
    if households:
        raise ValidationError(
            _l(
                "%(code)s still has %(n)d active households: move them to another village or "
                "archive them first. Their visits stay counted where they happened.",
                code=area.code,
                n=households,
            )
        )
    area.retired_at = utcnow()
    _log(area, "retired", by, snapshot(area), None)
    scope.forget_village_ids()
