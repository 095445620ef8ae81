"""Households: finding, creating, editing, archiving, members, consent and QR tokens."""

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy import update as update_rows

from pwa_app.extensions import db
from pwa_app.i18n import current_language
from pwa_app.models import (
    Area,
    Assistance,
    HelpRequest,
    Household,
    HouseholdTag,
    Member,
    MemberTag,
    User,
)
from pwa_app.models.base import utcnow
from pwa_app.services import audit, memo, privacy
from pwa_app.services.errors import NotFound, ValidationError
from pwa_app.services.scope import scope_households, scope_users, village_ids
from pwa_app.services.validation import NAME_MAX, normalize_phone, phone_problem, text_problem
from pwa_app.vocab import HOUSEHOLD_TAGS, OPEN_ASSISTANCE_STATUSES, SEXES

CODE_RE = re.compile(r"^([A-Z]{2,3})-(\d{2})-(\d{4,6})$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
# How a code is typed: the subdistrict's two or three letters, then the village and house
# numbers, split or run together.
# A typed code is shorter than any card token (22+), so the two are never mistaken.
TYPED_CODE_MAX = 21
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
TYPED_CODE_RE = re.compile(r"^([A-Z]{2,3})[-./_ ]*([0-9]+)(?:[-./_ ]+([0-9]+))?$")
PAGE_SIZE = 50
STALE_CHOICES = (30, 60, 90)


def new_qr_token():
    """Return a fresh card token: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def normalize_code(text):
    """Return the household code a person typed (`ni 1 1`, `NI010001`, Thai digits), or None."""
    if not isinstance(text, str) or len(text) > TYPED_CODE_MAX * 2:
        return None
    # Thai digits, and what NFKC folds (full-width forms); the phone's normalizeCode agrees.
    typed = unicodedata.normalize("NFKC", text).translate(THAI_DIGITS)
    typed = re.sub(r"\s+", " ", typed.upper().strip())
    match = TYPED_CODE_RE.match(typed) if len(typed) <= TYPED_CODE_MAX else None
    if match is None:
        return None
    letters, village, house = match.groups()
    if house is None:  # one run of digits: the village's two, then the house's
        if len(village) < 3:
            return None
        village, house = village[:2], village[2:]
    if len(village) > 2 or len(house) > 6:
        return None
    return f"{letters}-{village.zfill(2)}-{house.zfill(4)}"


def by_token(token):
    """Return the live household of a card token, or raise NotFound (also for bad shapes)."""
    if not token or not TOKEN_RE.match(token):
        raise NotFound()
    household = db.session.scalar(select(Household).where(Household.qr_token == token))
    if household is None or household.archived:
        raise NotFound()
    return household


@dataclass
class HouseholdQuery:
    """What the households list was asked for."""

    text: str = ""
    village: str = ""
    tag: str = ""
    stale_days: int | None = None
    archived: bool = False
    page: int = 1


def search(user, query):
    """Return (households, total) for one page of the user's list."""
    stmt = scope_households(select(Household), user).where(Household.archived.is_(query.archived))
    if query.text:
        pattern = f"%{query.text.strip().lower()}%"
        matches = [
            func.lower(Household.code).like(pattern),
            func.lower(Household.head_name).like(pattern),
        ]
        if code := normalize_code(query.text):
            matches.append(Household.code == code)
        stmt = stmt.where(or_(*matches))
    if query.village:
        stmt = stmt.join(Area, Household.village_id == Area.id).where(
            or_(Area.code == query.village, Area.code.like(f"{query.village}-%"))
        )
    if query.tag:
        stmt = stmt.where(
            Household.id.in_(select(HouseholdTag.household_id).where(HouseholdTag.tag == query.tag))
        )
    if query.stale_days:
        from pwa_app.services.summaries import not_visited_since

        stmt = stmt.where(not_visited_since(utcnow() - timedelta(days=query.stale_days)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Household.code).limit(PAGE_SIZE).offset((max(query.page, 1) - 1) * PAGE_SIZE)
    ).all()
    return rows, total


@dataclass
class HouseholdInput:
    """A household's editable fields, as a form or an import gives them."""

    village: str = ""
    house_no: str = ""
    address_extra: str = ""
    head_name: str = ""
    phone: str = ""
    tags: list[str] = field(default_factory=list)
    lat: str | float | None = None
    lon: str | float | None = None
    assigned_volunteer_id: int | None = None
    consent_at: date | None = None
    consent_scope: str = ""
    consent_photos: bool = False
    code: str = ""


def coordinate(value, low, high, name, errors):
    """Return a coordinate within [low, high] (None when empty); note a bad one in errors."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = _l("Enter a number, e.g. 16.5512.")
        return None
    if not low <= number <= high:
        errors[name] = _l("Enter a value between %(low)s and %(high)s.", low=low, high=high)
        return None
    return number


def check(data, household=None, by=None):
    """Validate a household's fields; return (village, lat, lon) or raise ValidationError.

    Given who asks, the village must be one of theirs: another organisation's does not exist.
    """
    errors = {}
    village = db.session.scalar(
        select(Area).where(
            Area.code == (data.village or "").strip().upper(), Area.level == "village"
        )
    )
    if village is None or (by is not None and village.id not in village_ids(by)):
        errors["village"] = _l("Choose a village (e.g. NI-03).")
    elif village.retired and (household is None or household.village_id != village.id):
        # Households already there stay readable and editable; none joins a retired village.
        errors["village"] = _l(
            "The village %(code)s is retired: choose another village.", code=village.code
        )
    for name, limit, required in (
        ("house_no", 20, True),
        ("head_name", NAME_MAX, True),
        ("address_extra", 200, False),
        ("consent_scope", 200, False),
    ):
        if problem := text_problem(getattr(data, name), limit, required):
            errors[name] = problem
    if problem := phone_problem(data.phone, required=False):
        errors["phone"] = problem
    unknown_tags = [tag for tag in data.tags if tag not in HOUSEHOLD_TAGS]
    if unknown_tags:
        errors["tags"] = _l("Unknown tag: %(tags)s", tags=", ".join(unknown_tags))
    lat = coordinate(data.lat, -90, 90, "lat", errors)
    lon = coordinate(data.lon, -180, 180, "lon", errors)
    if (lat is None) != (lon is None) and "lat" not in errors and "lon" not in errors:
        errors["lat"] = _l("Give both latitude and longitude, or neither.")
    if data.consent_at and data.consent_at > date.today() + timedelta(days=1):
        errors["consent_at"] = _l("The consent date cannot be in the future.")
    try:
        privacy.require_consent(data.consent_at, data.tags)
    except ValidationError as error:
        errors.update(error.fields)
    if data.assigned_volunteer_id and village is not None:
        volunteer = db.session.get(User, data.assigned_volunteer_id)
        if volunteer is None or volunteer.role != "volunteer" or not volunteer.active:
            errors["assigned_volunteer_id"] = _l("Choose an active volunteer.")
        elif village.id not in village_ids(volunteer):
            errors["assigned_volunteer_id"] = _l("This volunteer does not cover the village.")
    code = (data.code or "").strip().upper()
    if code:
        match = CODE_RE.match(code)
        if not match:
            errors["code"] = _l("Use a code like NI-03-0042 (subdistrict, village, number).")
        elif village is not None and f"{match.group(1)}-{match.group(2)}" != village.code:
            errors["code"] = _l(
                "The code must start with the village code %(code)s.", code=village.code
            )
        elif _code_taken(code, household):
            errors["code"] = _l("Another household already has the code %(code)s.", code=code)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return village, lat, lon


def _code_taken(code, household):
    existing = db.session.scalar(select(Household.id).where(Household.code == code))
    return existing is not None and (household is None or existing != household.id)


def next_code(village):
    """Return the next free household code in a village, e.g. NI-03-0043."""
    codes = db.session.scalars(
        select(Household.code).where(Household.code.like(f"{village.code}-%"))
    ).all()
    highest = max((int(c.rsplit("-", 1)[1]) for c in codes if CODE_RE.match(c)), default=0)
    return f"{village.code}-{highest + 1:04d}"


def follow_village(household, village):
    """Move a household's cases and help requests with it to another village.

    Its visits stay where they happened: they count for the village the household was in.
    Its cases now count for the new village, in past periods too: kept figures are forgotten.
    """
    memo.forget_all()
    for model in (Assistance, HelpRequest):
        db.session.execute(
            update_rows(model)
            .where(model.household_id == household.id)
            .values(village_id=village.id)
            .execution_options(synchronize_session="fetch")
        )


def apply_fields(household, data, village, lat, lon, by):
    """Copy checked fields onto a household; record who took consent when it changes."""
    if household.village_id is not None and household.village_id != village.id:
        follow_village(household, village)
    household.village = village
    household.house_no = data.house_no.strip()
    household.address_extra = (data.address_extra or "").strip() or None
    household.head_name = data.head_name.strip()
    household.phone = normalize_phone(data.phone) if data.phone else None
    household.lat, household.lon = lat, lon
    household.assigned_volunteer_id = data.assigned_volunteer_id or None
    if (
        data.consent_at != household.consent_at
        or (data.consent_scope or None) != household.consent_scope
    ):
        household.consent_at = data.consent_at
        household.consent_scope = (data.consent_scope or "").strip() or None
        household.consent_recorded_by_id = by.id if data.consent_at else None
    if bool(data.consent_photos) != bool(household.consent_photos):
        if household.id is not None:  # (a new household's consent is in its creation)
            audit.record(
                "household.consent_photos", by, household, household, given=data.consent_photos
            )
        household.consent_photos = bool(data.consent_photos)
    wanted = sorted(set(data.tags))
    if household.tags != wanted:
        household.tag_rows = [HouseholdTag(tag=tag) for tag in wanted]


def create(data, by):
    """Create a household with a new card token; the code is generated when not given."""
    village, lat, lon = check(data, by=by)
    household = Household(
        code=(data.code or "").strip().upper() or next_code(village), qr_token=new_qr_token()
    )
    apply_fields(household, data, village, lat, lon, by)
    db.session.add(household)
    db.session.flush()
    audit.record("household.create", by, household, household)
    return household


def update(household, data, by):
    """Change a household's fields."""
    village, lat, lon = check(data, household, by)
    if data.code:
        household.code = data.code.strip().upper()
    apply_fields(household, data, village, lat, lon, by)
    household.updated_at = utcnow()
    db.session.flush()
    audit.record("household.update", by, household, household)


def set_archived(household, archived, by):
    """Archive a household (its card stops working) or bring it back."""
    household.archived = archived
    household.updated_at = utcnow()
    audit.record(
        "household.archive" if archived else "household.unarchive", by, household, household
    )


def rotate_token(household, by):
    """Give the household a new card token; the old printed card stops working at once."""
    household.qr_token = new_qr_token()
    household.qr_rotated_at = utcnow()
    household.updated_at = household.qr_rotated_at
    audit.record("household.rotate_token", by, household, household)


@dataclass
class MemberInput:
    """A household member's fields."""

    name: str = ""
    birth_year: str | int | None = None
    sex: str = ""
    tags: list[str] = field(default_factory=list)


def _check_member(data):
    errors = {}
    if problem := text_problem(data.name, NAME_MAX):
        errors["name"] = problem
    year = None
    if data.birth_year not in (None, ""):
        try:
            year = int(data.birth_year)
        except (TypeError, ValueError):
            errors["birth_year"] = _l("Enter a year, e.g. 1955 or 2498.")
        else:
            if year > 2400:  # a Buddhist-era year
                year -= 543
            if not 1900 <= year <= date.today().year:
                errors["birth_year"] = _l("Enter a year between 1900 and this year.")
    if data.sex and data.sex not in SEXES:
        errors["sex"] = _l("Choose one.")
    unknown = [tag for tag in data.tags if tag not in HOUSEHOLD_TAGS]
    if unknown:
        errors["tags"] = _l("Unknown tag: %(tags)s", tags=", ".join(unknown))
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return year


def save_member(household, data, by, member=None):
    """Add a member to a household, or change one; health or disability needs consent."""
    year = _check_member(data)
    privacy.require_consent(household.consent_at, data.tags)
    if member is None:
        member = Member(household=household)
        db.session.add(member)
    member.name = data.name.strip()
    member.birth_year = year
    member.sex = data.sex or None
    member.tag_rows = [MemberTag(tag=tag) for tag in sorted(set(data.tags))]
    household.updated_at = utcnow()
    db.session.flush()
    audit.record("member.save", by, member, household)
    return member


def remove_member(member, by):
    """Remove a member from their household.

    The member's open cases stay with the household; one that would sit beside the
    household's own open case of the same programme must be closed first.
    """
    household = member.household
    own = select(Assistance.program_id).where(
        Assistance.household_id == household.id,
        Assistance.member_id.is_(None),
        Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
    )
    clash = db.session.scalar(
        select(Assistance).where(
            Assistance.member_id == member.id,
            Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
            Assistance.program_id.in_(own),
        )
    )
    if clash is not None:
        raise ValidationError(
            _l(
                "%(name)s has an open case for %(program)s, and so does the household. "
                "Close one of them before removing this member.",
                name=member.name,
                program=clash.program.name(current_language()),
            )
        )
    audit.record("member.remove", by, member, household)
    db.session.delete(member)
    household.updated_at = utcnow()


def member_of(household, member_id):
    """Return a member of this household by id, or raise NotFound."""
    member = db.session.get(Member, member_id)
    if member is None or member.household_id != household.id:
        raise NotFound()
    return member


def volunteers_for_choice(user):
    """Return the active volunteers of the user's organisation, for assigning a household."""
    return db.session.scalars(
        scope_users(select(User), user)
        .where(User.role == "volunteer", User.active.is_(True))
        .order_by(User.display_name)
    ).all()
