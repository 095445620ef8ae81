"""Announcements: staff tell the volunteers of chosen areas about news, a training or a meeting,
and see how many of them have read it.

A volunteer is addressed when one of their villages lies in one of the announcement's areas;
both sides are read off the tree's paths, so the answer is one query at any size.
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from pwa_app.extensions import db
from pwa_app.models import (
    Announcement,
    AnnouncementRead,
    Area,
    User,
    announcement_areas,
    area_paths,
    user_areas,
)
from pwa_app.models.base import utcnow
from pwa_app.services import audit, notifications, scope, thai_dates
from pwa_app.services.errors import NotFound, ValidationError
from pwa_app.services.validation import text_problem
from pwa_app.vocab import ANNOUNCEMENT_KINDS

TITLE_MAX = 200
BODY_MAX = 4000
PLACE_MAX = 200
TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
PAGE_SIZE = 30


@dataclass
class AnnouncementInput:
    """What the form gives."""

    kind: str = "news"
    title: str = ""
    body: str = ""
    area_codes: list[str] = field(default_factory=list)
    event_on: str = ""
    event_time: str = ""
    place: str = ""


def check(user, data):
    """Return (areas, event day, event time) for valid input; raise ValidationError."""
    errors = {}
    if data.kind not in ANNOUNCEMENT_KINDS:
        errors["kind"] = _l("Choose news, a training or a meeting.")
    for name, limit, required in (
        ("title", TITLE_MAX, True),
        ("body", BODY_MAX, False),
        ("place", PLACE_MAX, False),
    ):
        if problem := text_problem(getattr(data, name), limit, required=required):
            errors[name] = problem
    codes = sorted({code.strip().upper() for code in data.area_codes if code.strip()})
    areas = db.session.scalars(
        select(Area).where(Area.code.in_(codes), Area.id.in_(_own_areas(user)))
    ).all()
    unknown = sorted(set(codes) - {area.code for area in areas})
    if not codes:
        errors["areas"] = _l("Choose the areas whose volunteers should read it.")
    elif unknown:
        errors["areas"] = _l("Unknown area code: %(codes)s.", codes=", ".join(unknown)[:200])
    event_on = event_time = None
    try:
        event_on = thai_dates.parse_day(data.event_on)
    except ValueError:
        errors["event_on"] = thai_dates.DATE_EXAMPLE
    if (data.event_time or "").strip():
        match = TIME_RE.match(thai_dates.clean(data.event_time))
        if match is None:
            errors["event_time"] = _l("Enter a time as hour:minute, e.g. 09:30.")
        else:
            event_time = f"{int(match.group(1)):02d}:{match.group(2)}"
    if data.kind in ("training", "meeting") and event_on is None and "event_on" not in errors:
        errors["event_on"] = _l("A training or a meeting needs its day.")
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return areas, event_on, event_time


def _own_areas(user):
    """Select the areas an announcement of the user's may go to: their organisation's."""
    return scope.areas_below(scope.org_roots(user.org_id))


def create(user, data):
    """Publish an announcement; return it."""
    areas, event_on, event_time = check(user, data)
    announcement = Announcement(
        org_id=user.org_id,
        author_id=user.id,
        kind=data.kind,
        title=data.title.strip(),
        body=(data.body or "").strip(),
        event_on=event_on,
        event_time=event_time,
        place=(data.place or "").strip() or None,
        areas=areas,
    )
    db.session.add(announcement)
    db.session.flush()
    audit.record("announcement.create", user, announcement_id=announcement.id)
    notifications.announced(
        announcement, db.session.scalars(volunteers_addressed(announcement)).all()
    )
    return announcement


def withdraw(user, announcement):
    """Take an announcement back: volunteers no longer see it; its reads stay counted."""
    announcement.withdrawn_at = announcement.withdrawn_at or utcnow()
    audit.record("announcement.withdraw", user, announcement_id=announcement.id)


# --- Who is addressed -------------------------------------------------------------------------


def _addressed(announcement_id_column, user_id_column):
    """The condition that a user (a volunteer) is addressed by an announcement."""
    mine, theirs = aliased(area_paths), aliased(area_paths)
    return exists(
        select(1)
        .select_from(user_areas)
        .join(mine, and_(mine.c.ancestor_id == user_areas.c.area_id, mine.c.level == "village"))
        .join(theirs, theirs.c.area_id == mine.c.area_id)
        .join(announcement_areas, announcement_areas.c.area_id == theirs.c.ancestor_id)
        .where(
            user_areas.c.user_id == user_id_column,
            announcement_areas.c.announcement_id == announcement_id_column,
        )
    )


def for_volunteer(user, limit=PAGE_SIZE):
    """Return [(announcement, read)] addressed to a volunteer, newest first."""
    read = (
        select(AnnouncementRead.read_at)
        .where(
            AnnouncementRead.announcement_id == Announcement.id,
            AnnouncementRead.user_id == user.id,
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Announcement, read.is_not(None))
        .options(selectinload(Announcement.author))
        .where(
            Announcement.withdrawn_at.is_(None),
            Announcement.org_id == user.org_id,
            _addressed(Announcement.id, user.id),
        )
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
        .limit(limit)
    ).all()
    return [(announcement, bool(seen)) for announcement, seen in rows]


def unread_count(user):
    """How many announcements addressed to a volunteer they have not opened."""
    if user.role != "volunteer":
        return 0
    return sum(1 for _announcement, seen in for_volunteer(user, limit=100) if not seen)


@dataclass
class Reach:
    """How far an announcement has gone: volunteers addressed, and how many read it."""

    addressed: int = 0
    read: int = 0


def volunteers_addressed(announcement):
    """Select the active volunteers an announcement addresses."""
    return select(User).where(
        User.role == "volunteer",
        User.active.is_(True),
        User.org_id == announcement.org_id,
        _addressed(announcement.id, User.id),
    )


def reach(announcements):
    """Return {announcement id: Reach} for a page of announcements, in two queries."""
    ids = [a.id for a in announcements]
    if not ids:
        return {}
    found = {a.id: Reach() for a in announcements}
    volunteer = aliased(User)
    for announcement_id, addressed in db.session.execute(
        select(Announcement.id, func.count(volunteer.id))
        .join(
            volunteer,
            and_(
                volunteer.role == "volunteer",
                volunteer.active.is_(True),
                volunteer.org_id == Announcement.org_id,
                _addressed(Announcement.id, volunteer.id),
            ),
        )
        .where(Announcement.id.in_(ids))
        .group_by(Announcement.id)
    ):
        found[announcement_id].addressed = addressed
    for announcement_id, read in db.session.execute(
        select(AnnouncementRead.announcement_id, func.count(AnnouncementRead.user_id))
        .join(User, User.id == AnnouncementRead.user_id)
        .where(AnnouncementRead.announcement_id.in_(ids), User.role == "volunteer")
        .group_by(AnnouncementRead.announcement_id)
    ):
        found[announcement_id].read = read
    return found


def readers(announcement):
    """Return (volunteers who read it with when, volunteers who have not), by name."""
    read_at = dict(
        db.session.execute(
            select(AnnouncementRead.user_id, AnnouncementRead.read_at).where(
                AnnouncementRead.announcement_id == announcement.id
            )
        ).all()
    )
    addressed = db.session.scalars(
        volunteers_addressed(announcement).order_by(User.display_name)
    ).all()
    done = [(user, read_at[user.id]) for user in addressed if user.id in read_at]
    waiting = [user for user in addressed if user.id not in read_at]
    return done, waiting


def for_staff(user, page=1):
    """Return (announcements, total) of the user's organisation, newest first."""
    stmt = select(Announcement).where(Announcement.org_id == user.org_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.options(selectinload(Announcement.author), selectinload(Announcement.areas))
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def announcement_for(user, announcement_id):
    """Return an announcement the user may open (staff: their organisation's; a volunteer:
    one addressed to them and not withdrawn); else raise NotFound."""
    stmt = select(Announcement).where(
        Announcement.id == announcement_id, Announcement.org_id == user.org_id
    )
    if user.role == "volunteer":
        stmt = stmt.where(Announcement.withdrawn_at.is_(None), _addressed(Announcement.id, user.id))
    elif user.role not in scope.ORG_WIDE_ROLES:
        stmt = stmt.where(False)
    announcement = db.session.scalar(stmt)
    if announcement is None:
        raise NotFound(_l("No such announcement."))
    return announcement


def mark_read(user, announcement):
    """Note that a volunteer opened an announcement (the first time counts)."""
    if user.role != "volunteer":
        return
    if db.session.get(AnnouncementRead, (announcement.id, user.id)) is None:
        db.session.add(AnnouncementRead(announcement_id=announcement.id, user_id=user.id))
