"""Reports for the centre: visits as CSV or Excel, and a printable monthly summary."""

from datetime import date

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from pwa_app import vocab
from pwa_app.database import keep_on_error
from pwa_app.errors import render_error
from pwa_app.services import audit, dashboard, reports
from pwa_app.services.areas import LEVELS as AREA_LEVELS
from pwa_app.services.cases import today
from pwa_app.services.errors import ValidationError
from pwa_app.web.access import staff_required
from pwa_app.web.choices import area_choices
from pwa_app.web.templating import localized

bp = Blueprint("reports", __name__, url_prefix="/reports")


def header():
    """Return the export's column titles in the reader's language."""
    return [
        _("Date"),
        _("Date (B.E.)"),
        _("Time"),
        _("Household"),
        _("Village"),
        _("Volunteer"),
        _("Kind of visit"),
        _("Wellbeing"),
        _("Needs found"),
        _("Welfare help"),
        _("Notes"),
    ]


def label(vocabulary, value):
    """Name a code or an object in the reader's language, for the export."""
    if vocabulary in ("program", "village"):
        return localized(value)
    return str(getattr(vocab, vocabulary).get(value, value))


def export_filters():
    """Read from, to and area; default to this month so far."""
    start = request.args.get("from") or today().replace(day=1).isoformat()
    end = request.args.get("to") or today().isoformat()
    period = dashboard.parse_period("custom", start, end)
    area = dashboard.parse_area(request.args.get("area"))
    return period, area, dashboard.villages_for(current_user, area)


def filename(period, area, extension):
    """Return a descriptive file name for an export."""
    where = area.code if area else "all"
    return f"visits_{where}_{period.start.isoformat()}_{period.end.isoformat()}.{extension}"


def audit_export(file_format, total, period, area):
    """Record who exported which visits (committed with the request)."""
    audit.record(
        "report.export",
        current_user,
        format=file_format,
        rows=total,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        area=area.code if area else None,
    )


@bp.route("/visits.csv")
@staff_required
def visits_csv():
    """Every visit of the period and area, one row each, as CSV (UTF-8 with BOM)."""
    period, area, villages = export_filters()  # a bad filter: a 400 page saying which
    total = reports.count_visits(period, villages)
    audit_export("csv", total, period, area)
    body = reports.csv_stream(header(), reports.rows(period, villages, label))
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(period, area, "csv")}"'
    )
    return response


@bp.route("/visits.xlsx")
@staff_required
def visits_xlsx():
    """The same rows as an Excel workbook."""
    period, area, villages = export_filters()  # a bad filter: a 400 page saying which
    total = reports.count_visits(period, villages)
    if total > reports.XLSX_MAX_ROWS:
        return render_error(
            400,
            _(
                "%(n)s visits are too many for one Excel file. Choose a shorter period or use CSV.",
                n=f"{total:,}",
            ),
        )
    audit_export("xlsx", total, period, area)
    content = reports.xlsx_bytes(header(), reports.rows(period, villages, label), _("Visits"))
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename(period, area, "xlsx")}"'},
    )


@bp.route("/monthly")
@staff_required
def monthly():
    """A printable summary of one month, village by village, for the centre's reporting."""
    errors = {}
    month = request.args.get("month") or today().strftime("%Y-%m")
    try:
        period = reports.month_period(month)
        if not dashboard.EARLIEST <= period.start <= today():
            raise ValueError
    except ValueError:
        errors["month"] = _("Choose a month as YYYY-MM between 2020-01 and this month.")
        period = reports.month_period(today().strftime("%Y-%m"))
    try:
        area = dashboard.parse_area(request.args.get("area"))
    except ValidationError as error:
        errors.update(error.fields)
        area = None
    rows = reports.monthly_summary(period, dashboard.villages_for(current_user, area))
    audit.record(
        "report.monthly",
        current_user,
        month=period.start.isoformat()[:7],
        area=area.code if area else None,
    )
    if errors:
        keep_on_error()  # this month's figures are still shown: their reading is audited
    return render_template(
        "reports/monthly.html",
        period=period,
        area=area,
        rows=rows,
        errors=errors,
        month=month,
        areas=area_choices(AREA_LEVELS, current_user),
        first_day=date(period.start.year, period.start.month, 1),
    ), (400 if errors else 200)
