"""GET /api/v1/households: the caller's households, for the offline cache."""

import hashlib

from flask import jsonify, make_response, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pwa_app.api import bp
from pwa_app.extensions import db
from pwa_app.models import Household, Visit
from pwa_app.services import audit
from pwa_app.services.scope import scope_households, sees_everything
from pwa_app.web.args import page_arg

PAGE_SIZE = 1000


def qr_hash(token):
    """Return the SHA-256 (hex) of a card's token: enough to recognise a scanned card."""
    return hashlib.sha256(token.encode()).hexdigest()


def household_json(household, with_token):
    """Describe a household for the offline cache: no members, no notes.

    Only staff get the card's token itself; a volunteer's phone gets its hash, which
    recognises a scanned card offline but cannot stand in for the card (section 4).
    """
    described = {
        "code": household.code,
        "qr_hash": qr_hash(household.qr_token),
        "head_name": household.head_name,
        "village": household.village.code,
        "tags": household.tags,
        "last_visit_at": household.last_visit_at.isoformat() if household.last_visit_at else None,
    }
    if with_token:
        described["qr_token"] = household.qr_token
    return described


def cache_version(user, page):
    """Return an ETag that changes whenever the caller's household list would."""
    scoped = scope_households(select(Household.id), user)
    count, changed = db.session.execute(
        select(func.count(Household.id), func.max(Household.updated_at)).where(
            Household.id.in_(scoped)
        )
    ).one()
    visits = select(func.max(Visit.updated_at))
    if not sees_everything(user):
        visits = visits.where(Visit.household_id.in_(scoped))
    latest_visit = db.session.scalar(visits)
    key = f"{user.id}:{page}:{count}:{changed}:{latest_visit}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@bp.route("/households")
@login_required
def households():
    """List the households the caller may visit, a page at a time, by code.

    Answers 304 when the caller's If-None-Match still holds, so a refresh costs one query.
    """
    page = page_arg()
    etag = cache_version(current_user, page)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
        response.set_etag(etag)
        return response
    stmt = (
        scope_households(select(Household), current_user)
        .options(selectinload(Household.tag_rows), selectinload(Household.village))
        .where(Household.archived.is_(False))
        .order_by(Household.code)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = db.session.scalars(stmt).all()
    audit.record("household.list", current_user, api=True, page=page)
    more = len(rows) > PAGE_SIZE
    response = jsonify(
        households=[household_json(h, sees_everything(current_user)) for h in rows[:PAGE_SIZE]],
        next=url_for("api.households", page=page + 1) if more else None,
    )
    response.set_etag(etag)
    return response
