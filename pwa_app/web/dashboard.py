"""The dashboard: what happens in the viewer's villages, for a period and an area."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from pwa_app.services import dashboard
from pwa_app.services.areas import LEVELS as AREA_LEVELS
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import ASSISTANCE_STATUSES
from pwa_app.web import charts, maps
from pwa_app.web.access import dashboard_required
from pwa_app.web.choices import area_choices
from pwa_app.web.templating import localized

bp = Blueprint("dashboard", __name__)


def filters_from(args):
    """Read the period and area from the query string; return (period, area, errors)."""
    errors = {}
    try:
        period = dashboard.parse_period(
            args.get("period", "month"), args.get("from"), args.get("to")
        )
    except ValidationError as error:
        errors.update(error.fields)
        period = dashboard.parse_period("month")
    try:
        area = dashboard.parse_area(args.get("area"))
    except ValidationError as error:
        errors.update(error.fields)
        area = None
    return period, area, errors


@bp.route("/dashboard")
@dashboard_required
def index():
    """Show figures, pictures and lists for the chosen period and area."""
    period, area, errors = filters_from(request.args)
    board = dashboard.build(period, area, current_user)
    return render_template(
        "dashboard/index.html",
        board=board,
        errors=errors,
        args=request.args,
        areas=area_choices(AREA_LEVELS, current_user),
        over_time=charts.columns([(f"{day.day}/{day.month}", n) for day, n in board.weekly]),
        per_village=charts.rows([(localized(a), n) for a, n in board.by_village]),
        coverage_map=maps.coverage_map(board.coverage, localized),
        funnel=charts.stacked_rows(
            [(localized(program), parts) for program, parts in board.funnel],
            list(ASSISTANCE_STATUSES),
        ),
    ), (400 if errors else 200)
