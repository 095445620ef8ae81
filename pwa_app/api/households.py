"""GET /api/v1/households: the caller's households, for the offline cache."""

from flask import request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pwa_app.api import bp
from pwa_app.extensions import db
from pwa_app.models import Household, Visit
from pwa_app.services import audit
from pwa_app.services.scope import scope_households

PAGE_SIZE = 1000


def household_json(household, last_visit_at):
    """Describe a household for the offline cache: no members, no notes."""
    return {
        "code": household.code,
        "qr_token": household.qr_token,
        "head_name": household.head_name,
        "village": household.village.code,
        "tags": household.tags,
        "last_visit_at": last_visit_at.isoformat() if last_visit_at else None,
    }


@bp.route("/households")
@login_required
def households():
    """List the households the caller may visit, a page at a time, by code."""
    page = max(request.args.get("page", 1, type=int), 1)
    last_visit = (
        select(func.max(Visit.visited_at))
        .where(Visit.household_id == Household.id, Visit.deleted_at.is_(None))
        .correlate(Household)
        .scalar_subquery()
    )
    stmt = (
        scope_households(select(Household, last_visit), current_user)
        .options(selectinload(Household.tag_rows), selectinload(Household.village))
        .where(Household.archived.is_(False))
        .order_by(Household.code)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = db.session.execute(stmt).all()
    audit.record("household.list", current_user, api=True, page=page)
    db.session.commit()
    more = len(rows) > PAGE_SIZE
    return {
        "households": [household_json(h, last) for h, last in rows[:PAGE_SIZE]],
        "next": url_for("api.households", page=page + 1) if more else None,
    }
