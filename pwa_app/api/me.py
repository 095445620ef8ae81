"""GET /api/v1/me: the caller, their counts and their badges."""

from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from pwa_app.api import bp
from pwa_app.extensions import db
from pwa_app.i18n import current_language
from pwa_app.models import Award, Visit
from pwa_app.services.summaries import live_visits, month_start
from pwa_app.urls import absolute


@bp.route("/me")
@login_required
def me():
    """Describe the logged-in user, for the app shell and the offline queue's owner check."""
    user = current_user
    visits_total = db.session.scalar(
        select(func.count(Visit.id)).where(Visit.volunteer_id == user.id, live_visits())
    )
    visits_month = db.session.scalar(
        select(func.count(Visit.id)).where(
            Visit.volunteer_id == user.id, Visit.visited_at >= month_start(), live_visits()
        )
    )
    awards = db.session.scalars(
        select(Award)
        .where(Award.volunteer_id == user.id, Award.revoked_at.is_(None))
        .order_by(Award.awarded_at.desc())
    ).all()
    return {
        "id": user.id,
        "display_name": user.display_name,
        "role": user.role,
        "language": current_language(),
        "areas": [area.code for area in user.areas],
        # Same-origin readers only (no CORS): lets the offline queue renew its token.
        "csrf_token": generate_csrf(),
        "counts": {"visits": visits_total, "visits_this_month": visits_month},
        "badges": [
            {
                "code": award.badge.code,
                "name": award.badge.name(current_language()),
                "awarded_at": award.awarded_at.isoformat(),
                "verify_url": absolute(f"/badges/verify/{award.public_id}", required=False),
            }
            for award in awards
        ],
    }
