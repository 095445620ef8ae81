"""Exports of visits (CSV, Excel) and the monthly summary per village."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.i18n import BUDDHIST_ERA_OFFSET
from pwa_app.models import Area, Assistance, AssistanceEvent, HelpRequest, Household, Visit
from pwa_app.services.dashboard import Period, in_villages
from pwa_app.services.summaries import LOCAL_TZ

CHUNK = 2000
XLSX_MAX_ROWS = 200_000
COLUMNS = (
    "date", "date_be", "time", "household", "village", "volunteer", "kind", "wellbeing",
    "needs", "welfare", "notes",
)


def visits_query(period, villages):
    """Return the visits of a period and area, oldest first."""
    start, end = period.bounds()
    return (
        select(Visit)
        .options(
            selectinload(Visit.household),
            selectinload(Visit.volunteer),
            selectinload(Visit.need_rows),
        )
        .where(
            Visit.visited_at >= start,
            Visit.visited_at < end,
            Visit.deleted_at.is_(None),
            in_villages(Visit.village_id, villages),
        )
        .order_by(Visit.visited_at, Visit.id)
    )


def count_visits(period, villages):
    """Return how many visits an export would hold."""
    start, end = period.bounds()
    return db.session.scalar(
        select(func.count(Visit.id)).where(
            Visit.visited_at >= start,
            Visit.visited_at < end,
            Visit.deleted_at.is_(None),
            in_villages(Visit.village_id, villages),
        )
    )


def rows(period, villages, labels):
    """Yield one list per visit, in COLUMNS order; `labels(vocabulary, code)` names codes."""
    villages_by_id = {a.id: a for a in db.session.scalars(select(Area).where(Area.level == "village"))}
    offset = 0
    while True:
        chunk = db.session.scalars(visits_query(period, villages).limit(CHUNK).offset(offset)).all()
        if not chunk:
            return
        welfare = {}
        for event in db.session.scalars(
            select(AssistanceEvent)
            .options(selectinload(AssistanceEvent.assistance).selectinload(Assistance.program))
            .where(AssistanceEvent.visit_id.in_([v.id for v in chunk]))
            .order_by(AssistanceEvent.id)
        ):
            welfare.setdefault(event.visit_id, []).append(
                f"{labels('program', event.assistance.program)}: "
                f"{labels('ASSISTANCE_STATUSES', event.to_status)}"
            )
        for visit in chunk:
            local = visit.visited_at.astimezone(LOCAL_TZ)
            village = villages_by_id.get(visit.village_id)
            yield [
                local.date().isoformat(),
                f"{local.day:02d}/{local.month:02d}/{local.year + BUDDHIST_ERA_OFFSET}",
                local.strftime("%H:%M"),
                visit.household.code,
                labels("village", village) if village else "",
                visit.volunteer.display_name,
                labels("VISIT_KINDS", visit.kind),
                labels("WELLBEING", visit.wellbeing),
                "; ".join(labels("NEEDS", need) for need in visit.needs),
                "; ".join(welfare.get(visit.id, [])),
                visit.notes,
            ]
        offset += CHUNK
        db.session.expunge_all()


def csv_stream(header, body):
    """Yield CSV text: a UTF-8 byte-order mark (so Excel shows Thai), the header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow(header)
    for row in body:
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(header, body, title):
    """Return an Excel workbook of the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)
    heading = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in body:
        sheet.append(row)
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
        select(Area).where(Area.level == "village", in_villages(Area.id, villages)).order_by(Area.code)
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

