"""Organisations: the centres and provincial offices, each covering areas of the tree."""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Area, Household, Organisation, org_areas
from pwa_app.services import audit, scope
from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import phone_problem, text_problem

CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")
NAME_MAX = 200


@dataclass
class OrganisationInput:
    """What the CLI gives to create an organisation."""

    code: str = ""
    name_th: str = ""
    name_en: str = ""
    phone: str = ""
    address: str = ""
    area_codes: list[str] = field(default_factory=list)


def all_organisations():
    """Return every organisation, by code."""
    return db.session.scalars(select(Organisation).order_by(Organisation.code)).all()


def by_code(code):
    """Return the organisation with this code, or None."""
    return db.session.scalar(
        select(Organisation).where(Organisation.code == (code or "").strip().upper())
    )


def default():
    """Return the only organisation when there is exactly one, else None."""
    found = db.session.scalars(select(Organisation).limit(2)).all()
    return found[0] if len(found) == 1 else None


def resolve(code):
    """Return the organisation a user joins: the one named, or the only one; else raise."""
    organisation = by_code(code) if code else default()
    if organisation is None:
        message = (
            _l("There is no organisation with the code %(code)s.", code=code[:20])
            if code
            else _l("Choose an organisation.")
        )
        raise ValidationError(_l("Please correct the highlighted fields."), {"org": message})
    return organisation


def for_village(village):
    """Return the organisation covering a village (the nearest when several do), or None."""
    ancestors = []
    area = village
    while area is not None:
        ancestors.append(area.id)
        area = area.parent
    found = db.session.execute(
        select(Organisation, org_areas.c.area_id)
        .join(org_areas, org_areas.c.org_id == Organisation.id)
        .where(org_areas.c.area_id.in_(ancestors))
    ).all()
    if not found:
        return None
    # A district centre inside a provincial office's province speaks for its villages.
    return min(found, key=lambda row: (ancestors.index(row.area_id), row[0].id))[0]


def village_count(org_id):
    """Return how many villages an organisation covers."""
    return db.session.scalar(
        select(func.count()).select_from(scope.org_villages(org_id).subquery())
    )


def household_count(org_id):
    """Return how many households (not archived) live in an organisation's villages."""
    return db.session.scalar(
        select(func.count(Household.id)).where(
            Household.village_id.in_(scope.org_villages(org_id)), Household.archived.is_(False)
        )
    )


def create(data, by=None):
    """Create an organisation covering the given areas; raise ValidationError listing problems."""
    errors = {}
    code = (data.code or "").strip().upper()
    if not CODE_RE.match(code):
        errors["code"] = _l("Use 2 to 20 capital letters, digits or dashes, e.g. MDH.")
    elif by_code(code) is not None:
        errors["code"] = _l("Another organisation already uses this code.")
    if problem := text_problem(data.name_th, NAME_MAX):
        errors["name_th"] = problem
    if problem := text_problem(data.name_en, NAME_MAX, required=False):
        errors["name_en"] = problem
    if problem := phone_problem(data.phone, required=False):
        errors["phone"] = problem
    codes = sorted({c.strip().upper() for c in data.area_codes if c.strip()})
    areas = db.session.scalars(select(Area).where(Area.code.in_(codes))).all()
    unknown = sorted(set(codes) - {area.code for area in areas})
    if not codes:
        errors["areas"] = _l("An organisation needs at least one area.")
    elif unknown:
        errors["areas"] = _l("Unknown area code: %(codes)s.", codes=", ".join(unknown))
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    organisation = Organisation(
        code=code,
        name_th=data.name_th.strip(),
        name_en=(data.name_en or "").strip() or data.name_th.strip(),
        phone=(data.phone or "").strip() or None,
        address=(data.address or "").strip() or None,
        areas=sorted(areas, key=lambda area: area.code),
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record("org.create", by, organisation, code=code, areas=codes)
    return organisation
