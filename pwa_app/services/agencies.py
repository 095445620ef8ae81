"""Agencies: who handles a welfare programme for a village, and the directory of them.

The agencies are one catalogue shared by every organisation for now (an agency serves areas,
not a centre): any admin keeps it, everyone logged in reads the directory.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import Agency, Area, WelfareProgram, agency_areas, agency_programs
from pwa_app.models.base import utcnow
from pwa_app.services import audit
from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import normalize_phone, phone_problem, text_problem
from pwa_app.vocab import AGENCY_KINDS


@dataclass
class AgencyInput:
    """An agency's editable fields, as typed."""

    name_th: str = ""
    name_en: str = ""
    kind: str = ""
    phone: str = ""
    address: str = ""
    area_codes: list = field(default_factory=list)
    program_codes: list = field(default_factory=list)


def all_agencies():
    """Return every agency by Thai name, with its areas and programmes."""
    return db.session.scalars(
        select(Agency)
        .options(selectinload(Agency.areas), selectinload(Agency.programs))
        .order_by(Agency.name_th)
    ).all()


def _chosen(model, codes, key, errors, message):
    """Return the rows whose codes were chosen; note an error when one is unknown."""
    codes = sorted({code.strip() for code in codes if code and code.strip()})
    rows = db.session.scalars(select(model).where(model.code.in_(codes))).all() if codes else []
    if len(rows) != len(codes):
        errors[key] = _l("Choose from the list.")
    elif not rows and message:
        errors[key] = message
    return rows


def save_agency(agency, data, by):
    """Add an agency (agency None) or change one; raise ValidationError on bad input."""
    errors = {}
    for name, limit, required in (("name_th", 200, True), ("name_en", 200, True)):
        if problem := text_problem(getattr(data, name), limit, required):
            errors[name] = problem
    if problem := text_problem(data.address, 500, required=False):
        errors["address"] = problem
    if data.kind not in AGENCY_KINDS:
        errors["kind"] = _l("Choose the kind of agency.")
    if problem := phone_problem(data.phone):
        errors["phone"] = problem
    name_th = (data.name_th or "").strip()
    same_name = select(Agency.id).where(Agency.name_th == name_th)
    if agency is not None:
        same_name = same_name.where(Agency.id != agency.id)
    if "name_th" not in errors and db.session.scalar(same_name):
        errors["name_th"] = _l("Another agency already has this name.")
    areas = _chosen(
        Area, data.area_codes, "areas", errors, _l("Choose at least one area the agency serves.")
    )
    programs = _chosen(WelfareProgram, data.program_codes, "programs", errors, None)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    if agency is None:
        agency = Agency()
        db.session.add(agency)
    agency.name_th, agency.name_en = name_th, data.name_en.strip()
    agency.kind, agency.phone = data.kind, normalize_phone(data.phone)
    agency.address = (data.address or "").strip()
    agency.areas, agency.programs = areas, programs
    agency.updated_at = utcnow()  # links alone would not touch the row
    db.session.flush()
    audit.record("agency.save", by, agency, name=agency.name_th)
    return agency


def delete_agency(agency, by):
    """Remove an agency from the directory (its cases keep their programme)."""
    audit.record("agency.delete", by, agency, name=agency.name_th)
    db.session.delete(agency)
    db.session.flush()


def version():
    """Return what changes whenever an agency is added, changed or removed."""
    count, latest = db.session.execute(
        select(func.count(Agency.id), func.max(Agency.updated_at))
    ).one()
    return f"{count}:{latest}"


def lineage(area_ids):
    """Map each area id to itself and its ancestors, nearest first (one query per level)."""
    parents, todo = {}, set(area_ids)
    while todo:
        rows = db.session.execute(select(Area.id, Area.parent_id).where(Area.id.in_(todo))).all()
        parents.update(rows)
        todo = {parent for _, parent in rows if parent is not None and parent not in parents}
    chains = {}
    for area_id in area_ids:
        chain, current = [], area_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[area_id] = chain
    return chains


def descendants(area_ids):
    """Return the ids of the areas below the given ones (one query per level)."""
    found, level = set(), set(area_ids)
    while level:
        level = set(db.session.scalars(select(Area.id).where(Area.parent_id.in_(level)))) - found
        found |= level
    return found


def handlers(village_ids, program_ids):
    """Return {(village id, programme id): Agency}: the nearest agency serving the village.

    An agency serving a subdistrict is nearer than one serving the district; between
    agencies serving the same area, the first by Thai name.
    """
    if not village_ids or not program_ids:
        return {}
    chains = lineage(set(village_ids))
    rows = db.session.execute(
        select(Agency, agency_areas.c.area_id, agency_programs.c.program_id)
        .join(agency_areas, agency_areas.c.agency_id == Agency.id)
        .join(agency_programs, agency_programs.c.agency_id == Agency.id)
        .where(
            agency_areas.c.area_id.in_(set().union(*chains.values())),
            agency_programs.c.program_id.in_(set(program_ids)),
        )
        .order_by(Agency.name_th)
    ).all()
    serving = {}
    for agency, area_id, program_id in rows:
        serving.setdefault((area_id, program_id), agency)
    found = {}
    for village_id, chain in chains.items():
        for program_id in set(program_ids):
            nearest = next(
                (serving[a, program_id] for a in chain if (a, program_id) in serving), None
            )
            if nearest is not None:
                found[village_id, program_id] = nearest
    return found


def describe(agency):
    """Describe an agency for a phone: {name: {th, en}, phone}, or None."""
    if agency is None:
        return None
    return {"name": {"th": agency.name_th, "en": agency.name_en}, "phone": agency.phone}


def directory(user, area_code="", program_code=""):
    """Return the agencies to show a user, filtered; those serving the user's areas first.

    An area filter keeps the agencies working in it: serving it, a place above it (a
    district's hospital serves its villages) or a place below it.
    """
    stmt = select(Agency).options(selectinload(Agency.areas), selectinload(Agency.programs))
    if program_code:
        stmt = stmt.where(Agency.programs.any(WelfareProgram.code == program_code))
    if area_code:
        area_id = db.session.scalar(select(Area.id).where(Area.code == area_code))
        if area_id is None:
            return []
        stmt = stmt.where(Agency.areas.any(Area.id.in_(_around([area_id]))))
    agencies = db.session.scalars(stmt.order_by(Agency.name_th)).all()
    own = _around([area.id for area in user.areas]) if user.areas else set()
    return sorted(agencies, key=lambda agency: not any(a.id in own for a in agency.areas))


def near(user, found):
    """Keep the agencies that work in the user's areas; all of them when none does."""
    if not user.areas:
        return list(found)
    own = _around([area.id for area in user.areas])
    nearby = [agency for agency in found if any(area.id in own for area in agency.areas)]
    return nearby or list(found)


def _around(area_ids):
    """Return the areas, those above them and those below them."""
    above = set().union(*lineage(area_ids).values()) if area_ids else set()
    return above | descendants(area_ids)
