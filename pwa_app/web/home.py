"""Each role's start page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from pwa_app.services import (
    announcements,
    cases,
    consultations,
    encounters,
    help_requests,
    notifications,
    recognition,
    scope,
    summaries,
)
from pwa_app.web.access import read_only

bp = Blueprint("home", __name__)


@bp.route("/")
@read_only
def index():
    """Send each role to its own start page; visitors to the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "observer":
        return redirect(url_for("dashboard.index"))
    open_requests = [
        r for r in help_requests.inbox(current_user, limit=20) if r.status != "resolved"
    ]
    if current_user.role == "volunteer":
        return render_template(
            "home/volunteer.html",
            home=summaries.volunteer_home(current_user),
            follow_ups=cases.follow_ups_due(current_user),
            today=cases.today(),
            help_requests=open_requests,
            progress=recognition.next_badges(current_user),
            feed=recognition.feed(current_user, limit=5),
            villages=scope.villages(current_user),
            news=[a for a, seen in announcements.for_volunteer(current_user, limit=10) if not seen][
                :3
            ],
            # Until a phone takes their notifications, the home offers to turn them on.
            offer_push=not notifications.has_phones(current_user.id),
        )
    return render_template(
        "home/staff.html",
        summary=summaries.org_summary(current_user),
        help_counts=help_requests.counts(current_user),
        help_requests=open_requests[:5],
        waiting_questions=consultations.waiting_count(current_user),
        encounter_counts=encounters.open_count(current_user),
        open_encounters=encounters.open_first(current_user),
    )
