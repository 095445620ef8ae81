"""Exports of visits (CSV, Excel) and the monthly summary per village."""

import csv
import io
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import distinct, func, select, tuple_

from pwa_app.extensions import db
from pwa_app.i18n import BUDDHIST_ERA_OFFSET
from pwa_app.models import (
    Area,
    Assistance,
    AssistanceEvent,
    HelpRequest,
    Household,
    User,
    Visit,
    VisitNeed,
    WelfareProgram,
)
from pwa_app.services.dashboard import Period, in_villages, live_visits_between
from pwa_app.services.summaries import LOCAL_TZ
from pwa_app.services.validation import without_controls

CHUNK = 2000
XLSX_MAX_ROWS = 200_000
COLUMNS = (
    "date",
    "date_be",
    "time",
    "household",
    "village",
    "volunteer",
    "kind",
    "wellbeing",
    "needs",
    "welfare",
    "notes",
)
# OWASP's CSV-injection rule: a spreadsheet runs a cell starting with one of these as a formula,
# and Excel trims leading whitespace first, so = + - @ count after blanks too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
FORMULA_AFTER_BLANKS = ("=", "+", "-", "@")
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"


def safe_cell(value):
    """Return text with XML-illegal characters removed and an apostrophe before a formula start.

    Every text cell of every export goes through here; numbers, dates and None pass unchanged.
    """
    if not isinstance(value, str):
        return value
    # What we never store is what XML 1.0 cannot hold (openpyxl raises on it) and what breaks
    # CSV readers; rows stored before it was refused still export.
    text = without_controls(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_AFTER_BLANKS):
        return "'" + text
    return text


def period_filter(period, villages):
    """Return the conditions for the live visits of a period and area."""
    return live_visits_between(*period.bounds(), villages)


def count_visits(period, villages):
    """Return how many visits an export would hold."""
    return db.session.scalar(select(func.count(Visit.id)).where(*period_filter(period, villages)))


def rows(period, villages, labels):
    """Yield one list per visit, in COLUMNS order; `labels(vocabulary, code)` names codes.

    Dates and times are typed (datetime.date, datetime.time), the Buddhist-era date is text.
    Reads plain columns a chunk at a time (keyset paging), so a long export keeps no objects.
    """
    villages_by_id = {
        a.id: a for a in db.session.scalars(select(Area).where(Area.level == "village"))
    }
    programs = {p.id: p for p in db.session.scalars(select(WelfareProgram))}
    columns = (
        Visit.id,
        Visit.visited_at,
        Household.code,
        Visit.village_id,
        User.display_name,
        Visit.kind,
        Visit.wellbeing,
        Visit.notes,
    )
    after = None
    while True:
        stmt = (
            select(*columns)
            .join(Household, Household.id == Visit.household_id)
            .join(User, User.id == Visit.volunteer_id)
            .where(*period_filter(period, villages))
            .order_by(Visit.visited_at, Visit.id)
            .limit(CHUNK)
        )
        if after is not None:
            stmt = stmt.where(tuple_(Visit.visited_at, Visit.id) > tuple_(*after))
        chunk = db.session.execute(stmt).all()
        if not chunk:
            return
        ids = [row.id for row in chunk]
        needs, welfare = {}, {}
        for visit_id, need in db.session.execute(
            select(VisitNeed.visit_id, VisitNeed.need).where(VisitNeed.visit_id.in_(ids))
        ):
            needs.setdefault(visit_id, []).append(labels("NEEDS", need))
        for visit_id, program_id, status in db.session.execute(
            select(AssistanceEvent.visit_id, Assistance.program_id, AssistanceEvent.to_status)
            .join(Assistance, Assistance.id == AssistanceEvent.assistance_id)
            .where(AssistanceEvent.visit_id.in_(ids))
            .order_by(AssistanceEvent.id)
        ):
            welfare.setdefault(visit_id, []).append(
                f"{labels('program', programs[program_id])}: "
                f"{labels('ASSISTANCE_STATUSES', status)}"
            )
        for row in chunk:
            local = row.visited_at.astimezone(LOCAL_TZ)
            village = villages_by_id.get(row.village_id)
            yield [
                local.date(),
                f"{local.day:02d}/{local.month:02d}/{local.year + BUDDHIST_ERA_OFFSET}",
                local.time().replace(second=0, microsecond=0),
                row.code,
                labels("village", village) if village else "",
                row.display_name,
                labels("VISIT_KINDS", row.kind),
                labels("WELLBEING", row.wellbeing),
                "; ".join(sorted(needs.get(row.id, []))),
                "; ".join(welfare.get(row.id, [])),
                row.notes,
            ]
        after = (chunk[-1].visited_at, chunk[-1].id)


def csv_cell(value):
    """Return a value as CSV text: dates in ISO, times to the minute, text made safe."""
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def csv_stream(header, body):
    """Yield CSV text: a UTF-8 byte-order mark (so Excel shows Thai), the header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow(map(csv_cell, header))
    for row in body:
        writer.writerow(map(csv_cell, row))
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_cell(sheet, value):
    """Return a write-only cell: text always a string cell (never a formula), dates formatted."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    if isinstance(value, str):
        # openpyxl would make "=..." a formula and "#N/A" an error: text stays text.
        cell.data_type = "s"
    elif isinstance(value, time):
        cell.number_format = TIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def xlsx_bytes(header, body, title):
    """Return an Excel workbook of the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)
    heading = [xlsx_cell(sheet, text) for text in header]
    for cell in heading:
        cell.font = bold
    sheet.append(heading)
    for row in body:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@dataclass
class MonthRow:
    """One village's line in the monthly summary."""

    area: Area
    households: int
    visits: int
    reached: int
    new_cases: int
    received: int
    referrals: int
    help_requests: int

    @property
    def reach(self):
        """Return the share of households visited in the month, 0-100."""
        return round(100 * self.reached / self.households) if self.households else 0


def month_period(month):
    """Return the Period of a calendar month given as YYYY-MM; raise ValueError if bad."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Period(first, last, "custom")


def monthly_summary(period, villages):
    """Return per-village figures for a month, every village of the area included."""
    start, end = period.bounds()

    def grouped(stmt):
        return {row[0]: row[1:] for row in db.session.execute(stmt)}

    live = (Visit.visited_at >= start, Visit.visited_at < end, Visit.deleted_at.is_(None))
    visits = grouped(
        select(Visit.village_id, func.count(Visit.id), func.count(distinct(Visit.household_id)))
        .where(*live)
        .group_by(Visit.village_id)
    )
    households = grouped(
        select(Household.village_id, func.count(Household.id))
        .where(Household.archived.is_(False))
        .group_by(Household.village_id)
    )
    cases = grouped(
        select(
            Household.village_id,
            func.count(Assistance.id),
            func.count(Assistance.id).filter(Assistance.status == "referred"),
        )
        .join(Household, Household.id == Assistance.household_id)
        .where(Assistance.opened_at >= start, Assistance.opened_at < end)
        .group_by(Household.village_id)
    )
    received = grouped(
        select(Household.village_id, func.count(AssistanceEvent.id))
        .join(Assistance, Assistance.id == AssistanceEvent.assistance_id)
        .join(Household, Household.id == Assistance.household_id)
        .where(
            AssistanceEvent.to_status == "received",
            AssistanceEvent.at >= start,
            AssistanceEvent.at < end,
        )
        .group_by(Household.village_id)
    )
    requests = grouped(
        select(Household.village_id, func.count(HelpRequest.id))
        .join(Household, Household.id == HelpRequest.household_id)
        .where(HelpRequest.created_at >= start, HelpRequest.created_at < end)
        .group_by(Household.village_id)
    )
    areas = db.session.scalars(
        select(Area)
        .where(Area.level == "village", in_villages(Area.id, villages))
        .order_by(Area.code)
    )
    return [
        MonthRow(
            area=area,
            households=households.get(area.id, (0,))[0],
            visits=visits.get(area.id, (0, 0))[0],
            reached=visits.get(area.id, (0, 0))[1],
            new_cases=cases.get(area.id, (0, 0))[0],
            received=received.get(area.id, (0,))[0],
            referrals=cases.get(area.id, (0, 0))[1],
            help_requests=requests.get(area.id, (0,))[0],
        )
        for area in areas
    ]
