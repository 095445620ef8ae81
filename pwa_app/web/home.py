"""Each role's start page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from pwa_app.services import summaries

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Send each role to its own start page; visitors to the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "volunteer":
        return render_template("home/volunteer.html", home=summaries.volunteer_home(current_user))
    return render_template("home/staff.html", summary=summaries.org_summary())
