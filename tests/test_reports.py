"""Exports read back equal the database; the monthly summary adds up; exports are audited."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, Visit
from pwa_app.services.cases import today
from pwa_app.services.summaries import LOCAL_TZ


def period_query(days=30, area=""):
    start = (today() - timedelta(days=days)).isoformat()
    return f"from={start}&to={today().isoformat()}&area={area}"


def visits_in_last(days=30):
    """Return the visits whose Thai date lies in the last `days` days, oldest first."""
    visits = db.session.scalars(select(Visit).order_by(Visit.visited_at, Visit.id)).all()
    return [v for v in visits if (today() - v.visited_at.astimezone(LOCAL_TZ).date()).days <= days]


def sample(create_user, create_household, create_visit):
    volunteer = create_user("volunteer", areas=["NI"], name="จันทร์เพ็ญ ศรีวงษ์")
    a = create_household("NI-01", volunteer=volunteer)
    b = create_household("NI-02", volunteer=volunteer)
    first = create_visit(a, volunteer, days_ago=2, wellbeing="red")
    first.notes = 'ยายป่วย, ต้องการ "ยา"'
    create_visit(b, volunteer, days_ago=5)
    create_visit(b, volunteer, days_ago=60)  # outside the period
    db.session.commit()
    return volunteer, a, b


def test_csv_export_reads_back_as_the_visits(
    client, login_as, create_user, create_household, create_visit
):
    sample(create_user, create_household, create_visit)
    login_as("staff")
    response = client.get(f"/reports/visits.csv?{period_query()}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["วันที่", "วันที่ (พ.ศ.)", "เวลา", "ครัวเรือน"]
    body = rows[1:]
    expected = visits_in_last(30)
    assert len(expected) == 2
    assert [r[3] for r in body] == [v.household.code for v in expected]
    for row, visit in zip(body, expected, strict=True):
        local = visit.visited_at.astimezone(LOCAL_TZ)
        assert row[0] == local.date().isoformat()
        assert row[1].endswith(str(local.year + 543))
        assert row[5] == "จันทร์เพ็ญ ศรีวงษ์"
        assert row[10] == visit.notes
    assert "ต้องช่วยเหลือด่วน" in [r[7] for r in body]


def test_excel_export_reads_back_too(client, login_as, create_user, create_household, create_visit):
    sample(create_user, create_household, create_visit)
    login_as("staff")
    response = client.get(f"/reports/visits.xlsx?{period_query()}&lang=en")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Date", "Date (B.E.)", "Time", "Household")
    assert [r[3] for r in rows[1:]] == [v.household.code for v in visits_in_last(30)]
    assert [r[10] for r in rows[1:]] == [v.notes or None for v in visits_in_last(30)]


def test_area_filter_and_audit(client, login_as, create_user, create_household, create_visit):
    _, a, _ = sample(create_user, create_household, create_visit)
    staff = login_as("staff")
    body = (
        client.get(f"/reports/visits.csv?{period_query(area='NI-01')}")
        .get_data()
        .decode("utf-8-sig")
    )
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert [r[3] for r in rows] == [a.code]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.export"))
    assert (
        event.user_id == staff.id and event.detail["rows"] == 1 and event.detail["area"] == "NI-01"
    )


def test_bad_export_filters_are_refused_with_a_message(client, login_as):
    login_as("staff")
    response = client.get("/reports/visits.csv?from=2026-12-01&to=2026-11-01")
    assert response.status_code == 400
    assert "วันสิ้นสุดอยู่ก่อนวันเริ่มต้น" in response.get_data(as_text=True)
    assert client.get("/reports/visits.xlsx?area=ZZ").status_code == 400


def test_a_volunteer_cannot_export(client, login_as):
    login_as("volunteer")
    assert client.get("/reports/visits.csv").status_code == 403


def test_monthly_summary_adds_up(client, login_as, create_user, create_household, create_visit):
    sample(create_user, create_household, create_visit)
    login_as("staff")
    month = today().strftime("%Y-%m")
    page = client.get(f"/reports/monthly?month={month}&area=NI").get_data(as_text=True)
    table = page.split("<table>")[1].split("</table>")[0]
    assert "NI-01" in table and "NI-07" in table and "BL-01" not in table
    from pwa_app.services import dashboard, reports

    rows = reports.monthly_summary(
        reports.month_period(month), dashboard.villages_in(dashboard.parse_area("NI"))
    )
    in_month = [
        v
        for v in db.session.scalars(select(Visit))
        if v.visited_at.astimezone(LOCAL_TZ).strftime("%Y-%m") == month
    ]
    assert sum(r.visits for r in rows) == len(in_month)
    bad = client.get("/reports/monthly?month=2026-13")
    assert bad.status_code == 400
