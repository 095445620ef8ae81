"""GET /api/v1/visits?household=<code>: the visits the caller may see, newest first."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from pwa_app.api import bp
from pwa_app.errors import error_response
from pwa_app.extensions import db
from pwa_app.models import AssistanceEvent
from pwa_app.services import audit, visits
from pwa_app.services.errors import NotFound


def visit_json(visit, events):
    """Describe a visit with the welfare help recorded on it."""
    return {
        "id": visit.id,
        "client_uuid": visit.client_uuid,
        "household": visit.household.code,
        "volunteer": {"id": visit.volunteer_id, "name": visit.volunteer.display_name},
        "visited_at": visit.visited_at.isoformat(),
        "received_at": visit.received_at.isoformat(),
        "kind": visit.kind,
        "wellbeing": visit.wellbeing,
        "needs": visit.needs,
        "notes": visit.notes,
        "location": (
            {"lat": visit.lat, "lon": visit.lon, "accuracy": visit.accuracy_m}
            if visit.lat is not None
            else None
        ),
        "confirmed_by_household_at": (
            visit.confirmed_by_household_at.isoformat() if visit.confirmed_by_household_at else None
        ),
        "assistance": [
            {
                "id": event.assistance_id,
                "program": event.assistance.program.code,
                "from_status": event.from_status,
                "status": event.to_status,
                "note": event.note,
            }
            for event in events.get(visit.id, [])
        ],
    }


@bp.route("/visits")
@login_required
def list_visits():
    """List a household's visits that the caller may see."""
    code = request.args.get("household", "").strip()
    if not code:
        return error_response(
            400, "validation_failed", fields={"household": _l("Give a household code.")}
        )
    try:
        household = visits.resolve_household(current_user, code)
    except NotFound as error:
        return error_response(404, message=error.message)
    rows = visits.visible_visits(current_user, household)
    events = {}
    if rows:
        for event in db.session.scalars(
            select(AssistanceEvent).where(AssistanceEvent.visit_id.in_([v.id for v in rows]))
        ):
            events.setdefault(event.visit_id, []).append(event)
    audit.record("visit.list", current_user, household=household, api=True)
    return {"household": household.code, "visits": [visit_json(v, events) for v in rows]}
