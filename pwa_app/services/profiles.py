"""Volunteer profiles: activity, coverage and welfare results, counted in SQL."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import AssistanceEvent, Award, Household, User, Visit
from pwa_app.services.cases import today
from pwa_app.services.scope import scope_users
from pwa_app.services.sqltime import as_date, local_date
from pwa_app.services.summaries import LOCAL_TZ


def thirty_days_ago():
    return datetime.combine(today() - timedelta(days=29), time(), LOCAL_TZ)


PAGE_SIZE = 50


def volunteer_table(viewer, page=1, text=""):
    """Return (rows, total) for one page of the viewer's organisation's volunteers: each with
    visits in 30 days, households assigned, cases helped to "received" and badges."""
    stmt = scope_users(select(User), viewer).where(User.role == "volunteer")
    if text:
        stmt = stmt.where(func.lower(User.display_name).like(f"%{text.strip().lower()}%"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    volunteers = db.session.scalars(
        stmt.options(selectinload(User.areas))
        .order_by(User.active.desc(), User.display_name, User.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    ids = [v.id for v in volunteers] or [-1]

    def grouped(stmt):
        return dict(db.session.execute(stmt).all())

    visits = grouped(
        select(Visit.volunteer_id, func.count(Visit.id))
        .where(
            Visit.volunteer_id.in_(ids),
            Visit.visited_at >= thirty_days_ago(),
            Visit.deleted_at.is_(None),
        )
        .group_by(Visit.volunteer_id)
    )
    households = grouped(
        select(Household.assigned_volunteer_id, func.count(Household.id))
        .where(Household.assigned_volunteer_id.in_(ids), Household.archived.is_(False))
        .group_by(Household.assigned_volunteer_id)
    )
    received = grouped(
        select(AssistanceEvent.by_user_id, func.count(distinct(AssistanceEvent.assistance_id)))
        .where(AssistanceEvent.by_user_id.in_(ids), AssistanceEvent.to_status == "received")
        .group_by(AssistanceEvent.by_user_id)
    )
    badges = grouped(
        select(Award.volunteer_id, func.count(Award.id))
        .where(Award.volunteer_id.in_(ids), Award.revoked_at.is_(None))
        .group_by(Award.volunteer_id)
    )
    rows = [
        (
            v,
            visits.get(v.id, 0),
            households.get(v.id, 0),
            received.get(v.id, 0),
            badges.get(v.id, 0),
        )
        for v in volunteers
    ]
    return rows, total


@dataclass
class Profile:
    """What a volunteer's profile shows."""

    volunteer: User
    visits_total: int
    visits_30: int
    households: int
    households_visited_30: int
    cases_received: int
    months: list
    confirmed_30: int = 0  # of the visits in 30 days, those a household confirmed


def monthly_visits(volunteer, months=12):
    """Return [(first day of month, visits)] for the last months, oldest first."""
    current = today().replace(day=1)
    firsts = []
    for _ in range(months):
        firsts.insert(0, current)
        current = (current - timedelta(days=1)).replace(day=1)
    since = datetime.combine(firsts[0], time(), LOCAL_TZ)
    day = local_date(Visit.visited_at)
    counts = {}
    for value, n in db.session.execute(
        select(day, func.count(Visit.id))
        .where(
            Visit.volunteer_id == volunteer.id,
            Visit.visited_at >= since,
            Visit.deleted_at.is_(None),
        )
        .group_by(day)
    ):
        first = as_date(value).replace(day=1)
        counts[first] = counts.get(first, 0) + n
    return [(first, counts.get(first, 0)) for first in firsts]


def profile(volunteer):
    """Compute a volunteer's profile figures."""
    from pwa_app.services.recognition import count_received, count_visits

    assigned = select(Household.id).where(
        Household.assigned_volunteer_id == volunteer.id, Household.archived.is_(False)
    )
    recent = (
        Visit.volunteer_id == volunteer.id,
        Visit.visited_at >= thirty_days_ago(),
        Visit.deleted_at.is_(None),
    )
    visits_30, confirmed_30 = db.session.execute(
        select(
            func.count(Visit.id),
            func.count(Visit.id).filter(Visit.confirmed_by_household_at.is_not(None)),
        ).where(*recent)
    ).one()
    return Profile(
        volunteer=volunteer,
        visits_total=count_visits(volunteer),
        visits_30=visits_30,
        confirmed_30=confirmed_30,
        households=db.session.scalar(select(func.count()).select_from(assigned.subquery())),
        households_visited_30=db.session.scalar(
            select(func.count(Household.id)).where(
                Household.id.in_(assigned), Household.last_visit_at >= thirty_days_ago()
            )
        ),
        cases_received=count_received(volunteer),
        months=monthly_visits(volunteer),
    )
