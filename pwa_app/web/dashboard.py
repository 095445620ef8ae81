"""The dashboard: what happens in the viewer's villages, for a period and an area."""

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pwa_app.services import dashboard
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import ASSISTANCE_STATUSES
from pwa_app.web import charts, maps
from pwa_app.web.access import dashboard_required
from pwa_app.web.choices import drill_choices
from pwa_app.web.templating import localized

bp = Blueprint("dashboard", __name__)


@dataclass(frozen=True)
class Wording:
    """What the per-area chart and the map call their areas at one level."""

    heading: object
    caption: object
    map_title: object
    map_description: object
    map_key: object


WORDING = {
    "village": Wording(
        _l("Visits per village"),
        _l("Visits per village in the period"),
        _l("Share of each village's households visited in the period"),
        _l(
            "Each circle is a village, sized by its households and coloured by the share of "
            "them visited in the period."
        ),
        _l("Each circle is a village."),
    ),
    "subdistrict": Wording(
        _l("Visits per subdistrict"),
        _l("Visits per subdistrict in the period"),
        _l("Share of each subdistrict's households visited in the period"),
        _l(
            "Each circle is a subdistrict, placed amid its villages, sized by its households "
            "and coloured by the share of them visited in the period."
        ),
        _l("Each circle is a subdistrict: choose one to see its villages."),
    ),
    "district": Wording(
        _l("Visits per district"),
        _l("Visits per district in the period"),
        _l("Share of each district's households visited in the period"),
        _l(
            "Each circle is a district, placed amid its villages, sized by its households "
            "and coloured by the share of them visited in the period."
        ),
        _l("Each circle is a district: choose one to see its subdistricts."),
    ),
    "province": Wording(
        _l("Visits per province"),
        _l("Visits per province in the period"),
        _l("Share of each province's households visited in the period"),
        _l(
            "Each circle is a province, placed amid its villages, sized by its households "
            "and coloured by the share of them visited in the period."
        ),
        _l("Each circle is a province: choose one to see its districts."),
    ),
}


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


def drill_link(args):
    """Return a function giving the dashboard of an area for the same period.

    A retired area keeps its figures but, as in every picker, is not offered (None).
    """
    period = {name: args[name] for name in ("period", "from", "to") if args.get(name)}

    def link(area):
        return None if area.retired else url_for("dashboard.index", **period, area=area.code)

    return link


def pictures(board, args):
    """Return the charts and the map of a board, each area leading to its own dashboard."""
    drill = drill_link(args)
    return {
        "over_time": charts.columns([(f"{day.day}/{day.month}", n) for day, n in board.weekly]),
        "per_area": charts.rows([(localized(a), n, drill(a)) for a, n in board.by_area]),
        "coverage_map": maps.coverage_map(
            board.coverage, localized, drill if board.map_level != "village" else None
        ),
        "funnel": charts.stacked_rows(
            [(localized(program), parts) for program, parts in board.funnel],
            list(ASSISTANCE_STATUSES),
        ),
    }


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
        areas=drill_choices(current_user, area),
        words=WORDING[board.level],
        map_words=WORDING[board.map_level],
        **pictures(board, request.args),
    ), (400 if errors else 200)
