"""Encounters: a volunteer reports a person found in hardship (homeless, begging, an abandoned
elder...), someone with no household card to put it on, and the centre's staff take it from
new to closed: assigned, contacted, referred to an agency, closed with an outcome.

A report is written on the phone, queued in its outbox and delivered exactly once by its
client_uuid, as a visit is. Staff and admins see the encounters of their organisation's
villages; a volunteer those they reported or were assigned; an observer only figures.
"""

import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import Agency, Encounter, EncounterEvent, User, user_areas
from pwa_app.models import area_paths as paths
from pwa_app.models.base import utcnow
from pwa_app.models.encounters import CATEGORIES, SEXES, STATUSES, URGENCIES
from pwa_app.services import audit, notifications, scope, throttle, visits
from pwa_app.services.errors import Conflict, NotFound, Throttled, ValidationError
from pwa_app.services.validation import NAME_MAX, location_fix, text_problem
from pwa_app.vocab import ENCOUNTER_STATUSES

PLACE_MAX = 300
DESCRIPTION_MAX = 4000
NOTE_MAX = 2000
AGE_MAX = 120
CLOCK_SKEW = timedelta(minutes=10)
OLDEST = timedelta(days=30)
# Thailand's bounding box (lat south, lat north, lon west, lon east), a little generous at
# the borders; a point outside it is a wrong fix, most often the sea or (0, 0).
THAILAND = (5.5, 20.5, 97.3, 105.7)
NEAR_VILLAGE_KM = 50
EARTH_RADIUS_KM = 6371.0
# A volunteer reports a few people a day at most; more is a stuck phone or a stolen login.
BUCKET = "encounter_report"
PER_REPORTER = 30
WINDOW = timedelta(hours=1)
PAGE_SIZE = 50
SINCE_LIMIT = 200
OPEN_STATUSES = tuple(status for status in STATUSES if status != "closed")
# Where an encounter may go from each status. Assigning a closed encounter reopens it;
# assigning an assigned one hands it to someone else; a referral may go to another agency.
TRANSITIONS = {
    "new": {"assigned", "closed"},
    "assigned": {"assigned", "contacted", "referred", "closed"},
    "contacted": {"assigned", "referred", "closed"},
    "referred": {"assigned", "referred", "closed"},
    "closed": {"assigned"},
}
# What each step of the detail page does: the status it leads to (None: the status stays).
STEPS = {
    "assign": "assigned",
    "contact": "contacted",
    "refer": "referred",
    "close": "closed",
    "note": None,
    "link": None,
}
# What the assigned volunteer may do; staff and admins may take every step.
ASSIGNEE_STEPS = ("contact", "note")
INVALID = _l("Please correct the highlighted fields.")


@dataclass
class EncounterInput:
    """A report as the phone or the form sends it."""

    client_uuid: str | None = None
    seen_at: object = None
    category: str = ""
    urgency: str = "normal"
    place: str = ""
    description: str = ""
    lat: object = None
    lon: object = None
    accuracy: object = None
    person_name: str = ""
    person_age: object = None
    person_sex: str = ""
    village: str | None = None


@dataclass
class StepInput:
    """One step on an encounter taken by staff or the assignee."""

    step: str = ""
    note: str = ""
    assignee: object = None
    agency: object = None
    household: str = ""


# --- Who sees what ----------------------------------------------------------------------------


def may_report(user):
    """Tell whether the user reports encounters (volunteers, and staff who find someone)."""
    return user.role in scope.HOUSEHOLD_ROLES


def visible(user, stmt=None):
    """Limit a query over encounters to those the user may see (none for an observer)."""
    stmt = select(Encounter) if stmt is None else stmt
    if user.role == "volunteer":
        return stmt.where(
            or_(Encounter.reporter_id == user.id, Encounter.assigned_to_id == user.id)
        )
    return scope.scope_villages(stmt, user, Encounter.village_id)


def may_see(user, encounter):
    """Tell whether the user may see an encounter already in hand (the rule of visible())."""
    if user.role == "volunteer":
        return user.id in (encounter.reporter_id, encounter.assigned_to_id)
    return scope.org_wide(user) and encounter.village_id in scope.village_ids(user)


def encounter_for(user, encounter_id):
    """Return the encounter if the user may see it; else raise NotFound."""
    found = db.session.scalar(visible(user).where(Encounter.id == encounter_id))
    if found is None:
        raise NotFound(_l("No such report, or it is not yours to see."))
    return found


def steps_for(user, encounter):
    """Return the steps the user may take on the encounter now, in the page's order."""
    if scope.org_wide(user):
        allowed = STEPS
    elif user.role == "volunteer" and encounter.assigned_to_id == user.id:
        allowed = ASSIGNEE_STEPS
    else:
        return []
    reachable = TRANSITIONS[encounter.status]
    return [step for step in allowed if STEPS[step] is None or STEPS[step] in reachable]


# --- Reporting --------------------------------------------------------------------------------


def _seen_at(value, now, errors):
    try:
        moment = visits.parse_time(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        errors["seen_at"] = _l(
            "Enter a date and time as day/month/year hour:minute, e.g. 25/11/2569 14:30."
        )
        return None
    if moment is None:
        errors["seen_at"] = _l("This field is required.")
    elif moment > now + CLOCK_SKEW:
        errors["seen_at"] = _l(
            "The time seen is in the future (year %(year)d). Check the date and the phone's clock.",
            year=moment.year,
        )
    elif moment < now - OLDEST:
        errors["seen_at"] = _l(
            "A person seen more than 30 days ago cannot be reported here. Call the centre."
        )
    else:
        return moment.astimezone(UTC)
    return None


def distance_km(lat1, lon1, lat2, lon2):
    """Return the great-circle distance between two points, in kilometres."""
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _location(data, village, errors):
    lat, lon, accuracy = location_fix(data.lat, data.lon, data.accuracy, errors)
    if lat is None:
        return None, None, None
    south, north, west, east = THAILAND
    if not (south <= lat <= north and west <= lon <= east) or (accuracy or 0) < 0:
        errors["location"] = _l(
            "This location is outside Thailand (perhaps in the sea): the phone's fix is wrong. "
            "Try the location button again, or report without a location."
        )
        return None, None, None
    if village is not None and village.lat is not None and village.lon is not None:
        away = distance_km(lat, lon, village.lat, village.lon)
        if away > NEAR_VILLAGE_KM:
            errors["location"] = _l(
                "This location is %(km)d km from the village chosen. Choose the village "
                "nearest the place, or try the location button again.",
                km=round(away),
            )
            return None, None, None
    return lat, lon, accuracy


def _village(user, reference, errors):
    """Return the village the report belongs to: the one named, or the reporter's only one."""
    mine = [area for area in scope.villages(user)]
    if reference in (None, ""):
        if len(mine) == 1:
            return mine[0]
        errors["village"] = _l("Choose the village nearest the place.")
        return None
    chosen = str(reference).strip().upper()
    found = next((area for area in mine if area.code == chosen or str(area.id) == chosen), None)
    if found is None:
        errors["village"] = _l("This village is not one of your areas. Choose one of yours.")
    return found


def _person(data, errors):
    name = (data.person_name or "").strip()
    if problem := text_problem(data.person_name, NAME_MAX, required=False):
        errors["person_name"] = problem
    age = None
    if data.person_age not in (None, ""):
        try:
            age = int(str(data.person_age).strip())
        except ValueError:
            age = -1
        if isinstance(data.person_age, bool | float) or not 0 <= age <= AGE_MAX:
            errors["person_age"] = _l("Give the age in whole years, from 0 to 120.")
            age = None
    sex = (data.person_sex or "").strip() or None
    if sex is not None and sex not in SEXES:
        errors["person_sex"] = _l("Choose female, male or other.")
    return name or None, age, sex


def check(user, data, now=None):
    """Check a report; return the values to store, or raise ValidationError with them all."""
    now = now or utcnow()
    errors = {}
    seen_at = _seen_at(data.seen_at, now, errors)
    if data.category not in CATEGORIES:
        errors["category"] = _l("Choose what kind of hardship this is.")
    if data.urgency not in URGENCIES:
        errors["urgency"] = _l("Choose how urgent it is.")
    if problem := text_problem(data.place, PLACE_MAX):
        errors["place"] = problem
    if problem := text_problem(data.description, DESCRIPTION_MAX, required=False):
        errors["description"] = problem
    village = _village(user, data.village, errors)
    lat, lon, accuracy = _location(data, village, errors)
    name, age, sex = _person(data, errors)
    if errors:
        raise ValidationError(INVALID, errors)
    return {
        "seen_at": seen_at,
        "village": village,
        "category": data.category,
        "urgency": data.urgency,
        "place": data.place.strip(),
        "description": (data.description or "").strip(),
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy,
        "person_name": name,
        "person_age": age,
        "person_sex": sex,
    }


def fingerprint(data):
    """Return a hash of what a report says, the same however the phone spelled it."""

    def number(value):
        try:
            return round(float(value), 6)
        except (TypeError, ValueError, OverflowError):
            return None

    try:
        seen_at = visits.parse_time(data.seen_at).astimezone(UTC).replace(microsecond=0).isoformat()
    except (TypeError, ValueError, OverflowError):
        seen_at = str(data.seen_at)
    content = {
        "seen_at": seen_at,
        "category": data.category,
        "urgency": data.urgency,
        "place": (data.place or "").strip(),
        "description": (data.description or "").strip(),
        "location": [number(data.lat), number(data.lon), number(data.accuracy)],
        "person": [(data.person_name or "").strip(), str(data.person_age or ""), data.person_sex],
        "village": str(data.village or "").strip().upper(),
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def _client_uuid(value):
    if value in (None, ""):
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError(INVALID, {"client_uuid": _l("Must be a UUID.")}) from None


def _replay(user, existing, data):
    """Answer a client_uuid seen before: the same report again, or a conflict."""
    if existing.reporter_id != user.id or existing.payload_hash != fingerprint(data):
        raise Conflict(
            _l("This id was already used for a different report; the first one is kept."),
            existing_id=existing.id,
        )
    return existing, False


def find_by_uuid(client_uuid):
    """Return the encounter with this client id, or None."""
    return db.session.scalar(select(Encounter).where(Encounter.client_uuid == client_uuid))


def check_limit(user):
    """Refuse a reporter who sent too many reports in the last hour."""
    throttle.hold(BUCKET, [f"user:{user.id}"])
    recent = db.session.scalar(
        select(func.count(Encounter.id)).where(
            Encounter.reporter_id == user.id, Encounter.received_at >= utcnow() - WINDOW
        )
    )
    if recent >= PER_REPORTER:
        raise Throttled(
            _l(
                "You sent %(n)d reports in the last hour, the most we take. The rest stay on "
                "the phone and are sent later; for an emergency call the centre.",
                n=PER_REPORTER,
            ),
            retry_after=int(WINDOW.total_seconds()),
        )


def report(user, data, now=None):
    """Record a report; return (encounter, created).

    A client_uuid seen before answers the first report again (a replay), or a conflict if it
    carried something else. A twin arriving at the same moment in another request is found
    by the unique client_uuid and answered as a duplicate.
    """
    now = now or utcnow()
    if not may_report(user):
        raise NotFound(_l("Only volunteers and staff report encounters."))
    data.client_uuid = _client_uuid(data.client_uuid)
    if (existing := find_by_uuid(data.client_uuid)) is not None:
        return _replay(user, existing, data)
    values = check(user, data, now)
    check_limit(user)
    encounter = Encounter(
        client_uuid=data.client_uuid,
        reporter_id=user.id,
        received_at=now,
        updated_at=now,
        status="new",
        payload_hash=fingerprint(data),
        **values,
    )
    try:
        with db.session.begin_nested():
            db.session.add(encounter)
            db.session.flush()
    except IntegrityError:
        if (existing := find_by_uuid(data.client_uuid)) is not None:
            return _replay(user, existing, data)
        raise
    db.session.add(
        EncounterEvent(encounter=encounter, at=now, by_id=user.id, status_to="new", note="")
    )
    audit.record("encounter.create", user, encounter)
    if encounter.urgency == "urgent":
        notifications.encounter_reported(encounter)
    return encounter, True


# --- The staff's workflow ---------------------------------------------------------------------


def assignees(user, encounter):
    """Return whom staff may assign an encounter to: the active staff and admins of their
    organisation, and its volunteers who work in the encounter's village."""
    at_or_above = select(paths.c.ancestor_id).where(paths.c.area_id == encounter.village_id)
    in_village = select(user_areas.c.user_id).where(user_areas.c.area_id.in_(at_or_above))
    return db.session.scalars(
        scope.scope_users(select(User), user)
        .where(
            User.active.is_(True),
            or_(
                User.role.in_(scope.ORG_WIDE_ROLES),
                (User.role == "volunteer") & User.id.in_(in_village),
            ),
        )
        .order_by(User.role != "staff", User.display_name)
    ).all()


def agencies():
    """Return the agencies of the directory, by Thai name."""
    return db.session.scalars(select(Agency).order_by(Agency.name_th)).all()


def _pick(rows, value, field, message, errors):
    try:
        wanted = int(str(value).strip())
    except (TypeError, ValueError):
        wanted = None
    found = next((row for row in rows if row.id == wanted), None)
    if found is None:
        errors[field] = message
    return found


def _step_values(user, encounter, data, errors):
    """Check what a step needs; return (assignee, agency, household)."""
    assignee = agency = household = None
    if data.step == "assign":
        assignee = _pick(
            assignees(user, encounter), data.assignee, "assignee",
            _l("Choose whom to assign it to."), errors,
        )  # fmt: skip
    elif data.step == "refer":
        agency = _pick(
            agencies(), data.agency, "agency", _l("Choose the agency it is referred to."), errors
        )
    elif data.step == "link":
        try:
            household = scope.household_for(user, (data.household or "").strip())
        except NotFound:
            errors["household"] = _l("No household with this code in your areas.")
    note_required = data.step in ("close", "note")
    if problem := text_problem(data.note, NOTE_MAX, required=note_required):
        if data.step == "close" and not (data.note or "").strip():
            problem = _l("Write the outcome before closing: what became of the person.")
        errors["note"] = problem
    return assignee, agency, household


def take_step(user, encounter, data, now=None):
    """Take one step (assign, contact, refer, close, note, link) and write it in the history.

    Raises NotFound when the user may not act on the encounter, ValidationError when the step
    is not possible from its status or lacks what it needs.
    """
    now = now or utcnow()
    if data.step not in STEPS:
        raise ValidationError(INVALID, {"step": _l("Choose a step.")})
    if data.step not in steps_for(user, encounter):
        if not scope.org_wide(user) and encounter.assigned_to_id != user.id:
            raise NotFound(_l("No such report, or it is not yours to see."))
        raise ValidationError(
            _l("This step is not possible now."),
            {
                "step": _l(
                    "A report that is “%(status)s” cannot take this step.",
                    status=ENCOUNTER_STATUSES[encounter.status],
                )
            },
        )
    errors = {}
    assignee, agency, household = _step_values(user, encounter, data, errors)
    if errors:
        raise ValidationError(INVALID, errors)
    before = encounter.status
    after = STEPS[data.step] or before
    encounter.status = after
    if assignee is not None:
        encounter.assigned_to_id = assignee.id
    if agency is not None:
        encounter.agency_id = agency.id
    if household is not None:
        encounter.household_id = household.id
    encounter.closed_at = now if after == "closed" else None
    encounter.updated_at = now
    event = EncounterEvent(
        encounter=encounter,
        at=now,
        by_id=user.id,
        status_from=before,
        status_to=after,
        note=(data.note or "").strip(),
        assigned_to_id=assignee.id if assignee else None,
        agency_id=agency.id if agency else None,
        household_id=household.id if household else None,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(f"encounter.{data.step}", user, encounter, household, status=after)
    if assignee is not None and assignee.id != user.id:
        notifications.encounter_assigned(encounter, user)
    if STEPS[data.step] is not None and encounter.reporter_id != user.id:
        notifications.encounter_moved(encounter)
    return event


# --- Reading ----------------------------------------------------------------------------------


def _listed(stmt):
    return stmt.options(
        selectinload(Encounter.village),
        selectinload(Encounter.reporter),
        selectinload(Encounter.assigned_to),
        selectinload(Encounter.agency),
    )


def inbox(user, status="", category="", page=1):
    """Return (encounters, total) of a page of the user's list.

    Staff see urgent open reports first, then the other open ones oldest first (the longest
    waiting), then closed ones; a volunteer sees their own newest first.
    """
    stmt = visible(user)
    if status in STATUSES:
        stmt = stmt.where(Encounter.status == status)
    elif status == "open":
        stmt = stmt.where(Encounter.status.in_(OPEN_STATUSES))
    if category in CATEGORIES:
        stmt = stmt.where(Encounter.category == category)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if scope.org_wide(user):
        is_open = Encounter.status != "closed"
        order = (
            is_open.desc(),
            case((is_open & (Encounter.urgency == "urgent"), 0), else_=1),
            case((is_open, Encounter.received_at)),
            Encounter.closed_at.desc(),
        )
    else:
        order = (Encounter.received_at.desc(),)
    rows = db.session.scalars(
        _listed(stmt)
        .order_by(*order, Encounter.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def open_first(user, limit=5):
    """Return the user's organisation's open reports for the home page, urgent ones first."""
    rows, _total = inbox(user, "open", page=1)
    return rows[:limit]


def open_count(user):
    """Return (open, urgent open) reports the user's organisation holds."""
    stmt = visible(user, select(func.count(Encounter.id), func.count(case(
        (Encounter.urgency == "urgent", 1)))))  # fmt: skip
    return db.session.execute(stmt.where(Encounter.status.in_(OPEN_STATUSES))).one()


def since(user, moment=None, limit=SINCE_LIMIT):
    """Return the user's own reports changed after a moment, oldest change first."""
    stmt = _listed(select(Encounter)).where(Encounter.reporter_id == user.id)
    if moment is not None:
        stmt = stmt.where(Encounter.updated_at > moment)
    return db.session.scalars(stmt.order_by(Encounter.updated_at, Encounter.id).limit(limit)).all()


def outcome(encounter):
    """Return the latest note of a closed or referred encounter: what became of the person."""
    for event in reversed(encounter.events):
        if event.status_to in ("referred", "closed") and event.note:
            return event.note
    return ""


# --- Figures, for the dashboard ---------------------------------------------------------------


@dataclass
class OpenFigures:
    """The open reports of some villages: how many, how urgent, how old, of what kind."""

    total: int = 0
    urgent: int = 0
    by_age: tuple = ()  # (key, label, count): under a day, 1-7 days, over 7 days
    by_category: tuple = ()  # (category, count), most first


AGE_BUCKETS = (
    ("under_1_day", _l("Less than a day"), timedelta(days=1)),
    ("1_to_7_days", _l("1 to 7 days"), timedelta(days=7)),
    ("over_7_days", _l("More than 7 days"), None),
)


def open_figures(villages_condition, now=None):
    """Count the open reports in some villages (`villages_condition(column)`, the dashboard's
    scope) by age and by category."""
    now = now or utcnow()
    where = (Encounter.status.in_(OPEN_STATUSES), villages_condition(Encounter.village_id))
    day, week = now - AGE_BUCKETS[0][2], now - AGE_BUCKETS[1][2]
    total, urgent, fresh, this_week = db.session.execute(
        select(
            func.count(Encounter.id),
            func.count(case((Encounter.urgency == "urgent", 1))),
            func.count(case((Encounter.received_at >= day, 1))),
            func.count(case(((Encounter.received_at < day) & (Encounter.received_at >= week), 1))),
        ).where(*where)
    ).one()
    counts = (fresh, this_week, total - fresh - this_week)
    by_category = db.session.execute(
        select(Encounter.category, func.count(Encounter.id))
        .where(*where)
        .group_by(Encounter.category)
        .order_by(func.count(Encounter.id).desc(), Encounter.category)
    ).all()
    return OpenFigures(
        total=total,
        urgent=urgent,
        by_age=tuple(
            (key, label, n) for (key, label, _), n in zip(AGE_BUCKETS, counts, strict=True)
        ),
        by_category=tuple((category, n) for category, n in by_category),
    )


# --- Retention --------------------------------------------------------------------------------


def purge_closed(cutoff, dry_run=False):
    """Delete the encounters closed before the cutoff, with their history; return how many."""
    old = select(Encounter.id).where(Encounter.status == "closed", Encounter.closed_at < cutoff)
    count = db.session.scalar(select(func.count()).select_from(old.subquery()))
    if count and not dry_run:
        db.session.execute(
            delete(EncounterEvent)
            .where(EncounterEvent.encounter_id.in_(old))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(Encounter).where(Encounter.id.in_(old)).execution_options(
                synchronize_session=False)
        )  # fmt: skip
    return count


def linked_records(household):
    """Return the encounters linked to a household, for its right of access (privacy.py)."""
    linked = db.session.scalars(
        select(Encounter)
        .options(selectinload(Encounter.events))
        .where(Encounter.household_id == household.id)
        .order_by(Encounter.seen_at)
    ).all()
    return [
        {
            "seen_at": encounter.seen_at.isoformat(),
            "category": encounter.category,
            "place": encounter.place,
            "description": encounter.description,
            "person": {
                "name": encounter.person_name,
                "age": encounter.person_age,
                "sex": encounter.person_sex,
            },
            "status": encounter.status,
            "history": [
                {"at": e.at.isoformat(), "from": e.status_from, "to": e.status_to, "note": e.note}
                for e in encounter.events
            ],
        }
        for encounter in linked
    ]


def anonymise_linked(household):
    """Clear what the encounters linked to a household say about its people."""
    linked = select(Encounter.id).where(Encounter.household_id == household.id)
    db.session.execute(
        update(Encounter)
        .where(Encounter.household_id == household.id)
        .values(person_name=None, description="", lat=None, lon=None, accuracy_m=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(EncounterEvent)
        .where(EncounterEvent.encounter_id.in_(linked))
        .values(note="")
        .execution_options(synchronize_session=False)
    )
