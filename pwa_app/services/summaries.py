"""Counts for the role homes and the dashboard, all as SQL aggregates."""

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, or_, select

from pwa_app.extensions import db
from pwa_app.models import Assistance, HelpRequest, Household, User, Visit
from pwa_app.models.base import utcnow
from pwa_app.services.scope import scope_households, scope_users, scope_villages
from pwa_app.vocab import OPEN_ASSISTANCE_STATUSES

LOCAL_TZ = ZoneInfo("Asia/Bangkok")


def month_start(now=None):
    """Return the first moment of the current month in Thailand, as an aware datetime."""
    local = (now or utcnow()).astimezone(LOCAL_TZ)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def live_visits():
    """Return the condition for visits that have not been deleted."""
    return Visit.deleted_at.is_(None)


def not_visited_since(cutoff):
    """Return the condition for households with no visit since the cutoff."""
    return or_(Household.last_visit_at.is_(None), Household.last_visit_at < cutoff)


@dataclass
class VolunteerHome:
    """What a volunteer sees first."""

    households: int
    visits_this_month: int
    not_visited_30: int
    open_cases: int
    stale_households: list
    recent_visits: list


def volunteer_home(user, now=None):
    """Count the volunteer's households, visits and open cases, and list what needs doing."""
    now = now or utcnow()
    cutoff = now - timedelta(days=30)
    mine = scope_households(select(Household.id).where(Household.archived.is_(False)), user)
    stale = mine.where(not_visited_since(cutoff))
    return VolunteerHome(
        households=_count(mine),
        visits_this_month=db.session.scalar(
            select(func.count(Visit.id)).where(
                Visit.volunteer_id == user.id, Visit.visited_at >= month_start(now), live_visits()
            )
        ),
        not_visited_30=_count(stale),
        open_cases=db.session.scalar(
            scope_villages(
                select(func.count(Assistance.id)).where(
                    Assistance.status.in_(OPEN_ASSISTANCE_STATUSES)
                ),
                user,
                Assistance.village_id,
            )
        ),
        stale_households=db.session.scalars(
            scope_households(
                select(Household).where(Household.archived.is_(False), not_visited_since(cutoff)),
                user,
            )
            .order_by(Household.code)
            .limit(10)
        ).all(),
        recent_visits=db.session.scalars(
            select(Visit)
            .where(Visit.volunteer_id == user.id, live_visits())
            .order_by(Visit.visited_at.desc())
            .limit(10)
        ).all(),
    )


@dataclass
class OrgSummary:
    """The organisation's figures on the staff home."""

    households: int
    visits_this_month: int
    active_volunteers: int
    volunteers: int
    open_cases: int
    new_help_requests: int


def org_summary(user, now=None):
    """Count the organisation's households, this month's visits, volunteers, open cases and
    new help requests."""
    now = now or utcnow()
    visits = scope_villages(select(func.count(Visit.id)), user, Visit.village_id)
    return OrgSummary(
        households=db.session.scalar(
            scope_households(select(func.count(Household.id)), user).where(
                Household.archived.is_(False)
            )
        ),
        visits_this_month=db.session.scalar(
            visits.where(Visit.visited_at >= month_start(now), live_visits())
        ),
        active_volunteers=db.session.scalar(
            scope_villages(
                select(func.count(distinct(Visit.volunteer_id))), user, Visit.village_id
            ).where(Visit.visited_at >= now - timedelta(days=30), live_visits())
        ),
        volunteers=db.session.scalar(
            scope_users(select(func.count(User.id)), user).where(
                User.role == "volunteer", User.active.is_(True)
            )
        ),
        open_cases=db.session.scalar(
            scope_villages(select(func.count(Assistance.id)), user, Assistance.village_id).where(
                Assistance.status.in_(OPEN_ASSISTANCE_STATUSES)
            )
        ),
        new_help_requests=db.session.scalar(
            scope_villages(select(func.count(HelpRequest.id)), user, HelpRequest.village_id).where(
                HelpRequest.status == "new"
            )
        ),
    )


def _count(stmt):
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))
