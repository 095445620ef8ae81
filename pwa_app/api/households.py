"""GET /api/v1/households: the caller's households, for the offline cache."""

import hashlib

from flask import current_app, jsonify, make_response, request, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pwa_app.api import bp
from pwa_app.extensions import db
from pwa_app.models import Assistance, Household, Visit
from pwa_app.services import agencies, audit, cases
from pwa_app.services.scope import org_wide, scope_households, scope_villages
from pwa_app.web.args import page_arg

PAGE_SIZE = 1000


def qr_hash(token):
    """Return the SHA-256 (hex) of a card's token: enough to recognise a scanned card."""
    return hashlib.sha256(token.encode()).hexdigest()


def household_json(household, with_token, open_cases=()):
    """Describe a household for the offline cache: no notes; its open cases, oldest first.

    Only staff get the card's token itself; a volunteer's phone gets its hash, which
    recognises a scanned card offline but cannot stand in for the card (section 4).
    """
    described = {
        "code": household.code,
        "qr_hash": qr_hash(household.qr_token),
        "head_name": household.head_name,
        "village": household.village.code,
        "tags": household.tags,
        # The phone offers its photo picker only to households that agreed.
        "consent_photos": household.consent_photos,
        "last_visit_at": household.last_visit_at.isoformat() if household.last_visit_at else None,
        "open_cases": list(open_cases),
    }
    if with_token:
        described["qr_token"] = household.qr_token
    return described


def in_every_language(text):
    """Render a lazy string in each of the app's languages: {"th": ..., "en": ...}."""
    rendered = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            rendered[language] = str(text)
    return rendered


def open_cases_by_household(household_ids):
    """Describe the open cases of a page of households (one query), by household id."""
    steps = {}  # each next step rendered once per page, not once per case
    described = {}
    found = cases.open_cases_of(household_ids)
    handling = agencies.handlers(
        {case.village_id for case in found}, {case.program_id for case in found}
    )
    for case in found:
        step = (case.status, case.program.is_referral)
        if step not in steps:
            steps[step] = in_every_language(cases.next_step(case))
        described.setdefault(case.household_id, []).append(
            {
                "id": case.id,
                "program": case.program.code,
                "program_name": {"th": case.program.name_th, "en": case.program.name_en},
                "member": case.member.name if case.member else None,
                "status": case.status,
                "next_follow_up": (
                    case.next_follow_up.isoformat() if case.next_follow_up else None
                ),
                "next_step": steps[step],
                "opened_at": case.opened_at.isoformat(),
                "agency": agencies.describe(handling.get((case.village_id, case.program_id))),
            }
        )
    return described


def cache_version(user, page):
    """Return an ETag that changes whenever the caller's household list would.

    That includes its open cases (a case opened, moved on or closed changes it) and the
    agencies that handle them.
    """
    scoped = scope_households(select(Household.id), user)
    count, changed = db.session.execute(
        select(func.count(Household.id), func.max(Household.updated_at)).where(
            Household.id.in_(scoped)
        )
    ).one()
    latest_visit = db.session.scalar(
        select(func.max(Visit.updated_at)).where(Visit.household_id.in_(scoped))
    )
    case_count, latest_case = db.session.execute(
        scope_villages(
            select(func.count(Assistance.id), func.max(Assistance.updated_at)),
            user,
            Assistance.village_id,
        )
    ).one()
    key = (
        f"{user.id}:{page}:{count}:{changed}:{latest_visit}:{case_count}:{latest_case}:"
        f"{agencies.version()}"
    )
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
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    open_cases = open_cases_by_household([h.id for h in rows])
    with_token = org_wide(current_user)
    response = jsonify(
        households=[household_json(h, with_token, open_cases.get(h.id, ())) for h in rows],
        next=url_for("api.households", page=page + 1) if more else None,
    )
    response.set_etag(etag)
    return response
