"""Help requests sent from a household's card page, and their handling."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import HelpRequest
from pwa_app.models.base import utcnow
from pwa_app.services import audit, notifications, throttle
from pwa_app.services.errors import NotFound, Throttled, ValidationError
from pwa_app.services.scope import may_see_household, scope_villages
from pwa_app.services.validation import normalize_phone, phone_problem
from pwa_app.vocab import HELP_CATEGORIES, HELP_STATUSES

BUCKET = "help_request"
PER_CARD = 5
PER_ADDRESS = 10
WINDOW = timedelta(hours=1)
MESSAGE_MAX = 1000


def check_limit(household, address):
    """Refuse when a card or an address has sent too many requests this hour."""
    throttle.hold(BUCKET, [f"card:{household.id}", f"ip:{address}"])
    if throttle.count_recent(BUCKET, f"card:{household.id}", WINDOW) >= PER_CARD or (
        throttle.count_recent(BUCKET, f"ip:{address}", WINDOW) >= PER_ADDRESS
    ):
        raise Throttled(
            _l("Many requests were sent from here in the last hour. Please call your volunteer."),
            retry_after=int(WINDOW.total_seconds()),
        )


def send(household, category, message, phone, address):
    """Record a help request from a card page, within the rate limits."""
    check_limit(household, address)
    errors = {}
    if category not in HELP_CATEGORIES:
        errors["category"] = _l("Choose what you need help with.")
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        errors["message"] = _l(
            "Use at most %(n)d characters (you typed %(m)d).", n=MESSAGE_MAX, m=len(message)
        )
    if problem := phone_problem(phone, required=False):
        errors["phone"] = problem
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    request = HelpRequest(
        household=household,
        category=category,
        message=message,
        phone=normalize_phone(phone) if phone else None,
        status="new",
    )
    db.session.add(request)
    throttle.record(BUCKET, [f"card:{household.id}", f"ip:{address}"])
    db.session.flush()
    notifications.help_requested(request)
    return request


def inbox(user, status=None, limit=100):
    """Return the help requests the user handles, newest first."""
    stmt = (
        scope_villages(select(HelpRequest), user, HelpRequest.village_id)
        .options(selectinload(HelpRequest.household))
        .order_by(HelpRequest.created_at.desc())
        .limit(limit)
    )
    if status in HELP_STATUSES:
        stmt = stmt.where(HelpRequest.status == status)
    return db.session.scalars(stmt).all()


def counts(user):
    """Return {status: count} of the help requests the user handles."""
    stmt = scope_villages(
        select(HelpRequest.status, func.count(HelpRequest.id)), user, HelpRequest.village_id
    ).group_by(HelpRequest.status)
    return {status: 0 for status in HELP_STATUSES} | dict(db.session.execute(stmt).all())


def request_for(user, request_id):
    """Return a help request the user may handle, or raise NotFound."""
    request = db.session.get(HelpRequest, request_id)
    if request is None or not may_see_household(user, request.household):
        raise NotFound()
    return request


def mark(request, status, user, note=""):
    """Move a request to seen or resolved, recording who did it."""
    if status not in ("seen", "resolved"):
        raise ValidationError(fields={"status": _l("Choose seen or resolved.")})
    if len(note or "") > MESSAGE_MAX:
        raise ValidationError(fields={"note": _l("Use at most %(n)d characters.", n=MESSAGE_MAX)})
    now = utcnow()
    if request.seen_at is None:
        request.seen_at, request.seen_by_id = now, user.id
    if status == "resolved":
        request.resolved_at, request.resolved_by_id = now, user.id
        request.resolution_note = (note or "").strip() or None
    request.status = status
    audit.record(f"help_request.{status}", user, request, request.household)
