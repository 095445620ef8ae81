"""Logging a visit with welfare help, its rules, and changing it for a day."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from pwa_app.extensions import db
from pwa_app.i18n import local_input_value
from pwa_app.models import Assistance, AssistanceEvent, AuditEvent, Visit
from pwa_app.models.base import utcnow
from pwa_app.services import cases


def visit_form(**overrides):
    """Return a filled visit form: a routine visit, now, nothing else.

    Tests log several visits to one household within minutes: each says it is a new one.
    """
    with_time = {"visited_at": local_input_value()} if "visited_at" not in overrides else {}
    return {
        "client_uuid": str(uuid.uuid4()),
        "confirm_new": "1",
        "kind": "routine",
        "wellbeing": "green",
        "notes": "",
        **with_time,
        **overrides,
    }


def days_from_today(n):
    return (cases.today() + timedelta(days=n)).isoformat()


def test_volunteer_logs_a_visit_with_two_welfare_entries(auth, login_as, create_household):
    household = create_household("NI-01")
    volunteer = login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(
            wellbeing="yellow",
            needs=["health", "income"],
            notes="ความดันสูง",
            **{
                "new_cases-0-program": "old_age_allowance",
                "new_cases-0-status": "applied",
                "new_cases-0-next_follow_up": days_from_today(14),
                "new_cases-1-program": "refer_health",
                "new_cases-1-status": "referred",
                "new_cases-1-note": "ส่ง รพ.สต.",
            },
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/households/{household.code}"
    visit = db.session.scalar(select(Visit))
    assert visit.volunteer_id == volunteer.id
    assert visit.needs == ["health", "income"]
    statuses = sorted(db.session.scalars(select(Assistance.status)))
    assert statuses == ["applied", "referred"]
    events = db.session.scalars(select(AssistanceEvent)).all()
    assert {e.visit_id for e in events} == {visit.id}
    assert {e.by_user_id for e in events} == {volunteer.id}
    assert "visit.create" in db.session.scalars(select(AuditEvent.action)).all()


def test_blank_welfare_rows_are_ignored(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{"new_cases-0-program": "", "new_cases-0-status": "identified"}),
    )
    assert db.session.scalar(select(func.count(Assistance.id))) == 0
    assert db.session.scalar(select(func.count(Visit.id))) == 1


def test_a_double_submitted_form_is_one_visit(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    form = visit_form()
    first = auth.post(f"/visits/new?household={household.code}", form)
    second = auth.post(f"/visits/new?household={household.code}", form)
    assert first.status_code == second.status_code == 302
    assert db.session.scalar(select(func.count(Visit.id))) == 1


def test_every_bad_input_is_explained_next_to_its_field_and_nothing_saved(
    auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    future = local_input_value(utcnow() + timedelta(days=1))
    long_notes = "ก" * 100_000
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(
            visited_at=future,
            notes=long_notes,
            **{
                "new_cases-0-program": "no_such_programme",
                "new_cases-1-program": "old_age_allowance",
                "new_cases-1-next_follow_up": days_from_today(-3),
            },
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "เวลาเยี่ยมเป็นเวลาในอนาคต" in page
    assert "บันทึกยาวได้ไม่เกิน 4000 ตัวอักษร (คุณพิมพ์ 100000 ตัวอักษร)" in page
    assert "กรุณาเลือกสวัสดิการจากรายการ" in page
    assert "วันติดตามผลเป็นวันที่ผ่านมาแล้ว" in page
    assert long_notes in page  # what was typed is kept
    assert db.session.scalar(select(func.count(Visit.id))) == 0
    assert db.session.scalar(select(func.count(Assistance.id))) == 0


def test_a_visit_more_than_30_days_back_is_refused(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    old = local_input_value(utcnow() - timedelta(days=31))
    response = auth.post(f"/visits/new?household={household.code}", visit_form(visited_at=old))
    assert response.status_code == 400
    assert "บันทึกการเยี่ยมที่เกิน 30 วันไม่ได้" in response.get_data(as_text=True)


def test_an_unknown_household_code_is_explained_on_the_scan_page(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    response = client.get("/visits/new?household=NI-01-9999")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "ไม่พบครัวเรือนรหัส NI-01-9999 ในพื้นที่ของคุณ" in page
    assert 'value="NI-01-9999"' in page


def test_the_form_adds_a_welfare_row_without_javascript(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(notes="จดไว้", add_entry="1", **{"new_cases-0-program": "home_repair"}),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="new_cases-1-program"' in page
    assert "จดไว้" in page
    assert db.session.scalar(select(func.count(Visit.id))) == 0


def open_case(auth, household, status="identified", program="state_welfare_card"):
    auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{"new_cases-0-program": program, "new_cases-0-status": status}),
    )
    return db.session.scalar(select(Assistance).order_by(Assistance.id.desc()))


def test_a_later_visit_moves_a_case_along_and_keeps_its_history(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    case = open_case(auth, household, "applied")
    page = auth.client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    assert "ติดตามคำร้องกับหน่วยงาน" in page  # the next step of the model process

    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{f"case-{case.id}-status": "received", f"case-{case.id}-note": "ได้รับบัตรแล้ว"}),
    )
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(Assistance, case.id)
    assert case.status == "received"
    assert case.closed_at is not None
    history = [(e.from_status, e.to_status) for e in case.events]
    assert history == [(None, "applied"), ("applied", "received")]
    second_visit = db.session.scalar(select(Visit).order_by(Visit.id.desc()))
    assert case.events[-1].visit_id == second_visit.id


def test_a_closed_case_cannot_jump_back(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    case = open_case(auth, household, "applied")
    auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{f"case-{case.id}-status": "withdrawn"}),
    )
    response = auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{f"case-{case.id}-status": "applied"}),
    )
    # The withdrawn case is no longer open, so the form ignores it and logs a plain visit.
    assert response.status_code == 302
    assert db.session.get(Assistance, case.id).status == "withdrawn"


def test_an_impossible_transition_is_refused(app, login_as, create_household):
    from pwa_app.services import visits
    from pwa_app.services.errors import ValidationError

    household = create_household("NI-01")
    volunteer = login_as("volunteer", areas=["NI-01"])
    visit, _ = visits.log_visit(
        visits.VisitInput(
            household=household.code,
            visited_at=utcnow(),
            new_cases=[cases.NewCase(program="home_repair", status="applied")],
        ),
        volunteer,
    )
    db.session.commit()
    case = db.session.scalar(select(Assistance))
    try:
        visits.log_visit(
            visits.VisitInput(
                household=household.code,
                visited_at=utcnow(),
                case_changes=[cases.CaseChange(case.id, "identified")],
            ),
            volunteer,
        )
    except ValidationError as error:
        assert f"case-{case.id}-status" in error.fields
    else:
        raise AssertionError("a case went back from applied to identified")


def test_volunteer_edits_own_visit_within_24_hours_only(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    auth.post(f"/visits/new?household={household.code}", visit_form())
    visit = db.session.scalar(select(Visit))
    edit = visit_form(
        wellbeing="red", notes="แก้ไขแล้ว", visited_at=local_input_value(visit.visited_at)
    )
    assert auth.post(f"/visits/{visit.id}/edit", edit).status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).notes == "แก้ไขแล้ว"

    db.session.execute(update(Visit).values(received_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    response = auth.post(f"/visits/{visit.id}/edit", visit_form(notes="สายไป"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).notes == "แก้ไขแล้ว"
    auth.post(f"/visits/{visit.id}/delete")
    assert db.session.get(Visit, visit.id).deleted_at is None


def test_staff_can_correct_an_old_visit(
    auth, login_as, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    visit = create_visit(household, volunteer, days_ago=10)
    db.session.execute(update(Visit).values(received_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    login_as("staff")
    assert auth.post(f"/visits/{visit.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).deleted_at is not None


def test_volunteer_home_lists_follow_ups_overdue_first(client, auth, login_as, create_household):
    a = create_household("NI-01")
    b = create_household("NI-01")
    volunteer = login_as("volunteer", areas=["NI-01"])
    later = open_case(auth, a, "applied")
    sooner = open_case(auth, b, "applied")
    db.session.execute(
        update(Assistance)
        .where(Assistance.id == later.id)
        .values(next_follow_up=cases.today() + timedelta(days=3))
    )
    db.session.execute(
        update(Assistance)
        .where(Assistance.id == sooner.id)
        .values(next_follow_up=cases.today() - timedelta(days=2))
    )
    db.session.commit()
    due = cases.follow_ups_due(volunteer)
    assert [c.id for c in due] == [sooner.id, later.id]
    page = client.get("/").get_data(as_text=True)
    assert "เลยกำหนดตั้งแต่" in page
    assert page.index(b.code) < page.index(a.code)


def test_a_late_visit_never_moves_the_last_visit_back(app, create_user, create_household):
    """Another request's newer visit wins even over values this session read before it."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from pwa_app.services import visits

    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    now = datetime.now(UTC)

    def log(days_ago):
        visits.log_visit(
            visits.VisitInput(
                household=household.code,
                kind="routine",
                wellbeing="green",
                visited_at=now - timedelta(days=days_ago),
            ),
            volunteer,
        )
        db.session.commit()

    log(3)
    newer = (now - timedelta(hours=1)).replace(tzinfo=None, microsecond=0)
    with db.engine.begin() as other:  # another request, meanwhile
        for table, key in (("households", household.id), ("users", volunteer.id)):
            other.execute(
                text(f"UPDATE {table} SET last_visit_at = :at WHERE id = :id"),
                {"at": newer, "id": key},
            )
    log(2)
    with db.engine.connect() as fresh:
        for table, key in (("households", household.id), ("users", volunteer.id)):
            stored = fresh.execute(
                text(f"SELECT last_visit_at FROM {table} WHERE id = :id"), {"id": key}
            ).scalar()
            if isinstance(stored, str):
                stored = datetime.fromisoformat(stored)
            assert stored.replace(microsecond=0) == newer, table
