"""The staff dashboard: what happens in every village."""

from flask import Blueprint, render_template

from pwa_app.services import summaries
from pwa_app.web.access import read_only, staff_required

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
@read_only
@staff_required
def index():
    """Show the organisation's figures and each village's coverage."""
    return render_template(
        "dashboard/index.html",
        summary=summaries.org_summary(),
        villages=summaries.village_table(),
    )
