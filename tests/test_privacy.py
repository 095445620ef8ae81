"""PDPA duties: the notice, consent before sensitive data, access, erasure, retention, audit."""

from datetime import timedelta

from sqlalchemy import func, select, update

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, HelpRequest, Household, Member, Visit
from pwa_app.models.base import utcnow


def test_the_privacy_notice_is_public_and_thai(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "ประกาศความเป็นส่วนตัว" in page
    assert "30 วัน" in page


def test_health_or_disability_needs_consent_first(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("staff")
    refused = auth.post(
        f"/households/{household.code}/members", {"name": "คำปุน ใจดี", "tags": ["disability"]}
    )
    assert refused.status_code == 400
    assert "บันทึกความยินยอม (PDPA) ของครัวเรือนก่อน" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Member.id))) == 0
    assert (
        auth.post(
            f"/households/{household.code}/members", {"name": "คำปุน ใจดี", "tags": ["elderly"]}
        ).status_code
        == 302
    )
    household.consent_at = utcnow().date()
    db.session.commit()
    assert (
        auth.post(
            f"/households/{household.code}/members", {"name": "บุญมี ใจดี", "tags": ["disability"]}
        ).status_code
        == 302
    )


def test_household_tags_of_health_need_consent_in_the_same_form(auth, login_as):
    login_as("staff")
    form = {
        "village": "NI-02",
        "house_no": "3",
        "head_name": "ทองดี มีสุข",
        "tags": ["bedridden"],
        "consent_at": "",
        "consent_scope": "",
    }
    refused = auth.post("/households/new", form)
    assert refused.status_code == 400
    assert (
        auth.post(
            "/households/new", {**form, "consent_at": utcnow().date().isoformat()}
        ).status_code
        == 302
    )


def test_everything_about_a_household_can_be_handed_over(
    client, login_as, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer, head_name="สมศรี ใจดี")
    visit = create_visit(household, volunteer)
    visit.notes = "ยายเดินได้"
    db.session.add(Member(household=household, name="หลาน ใจดี", birth_year=2015))
    db.session.commit()
    staff = login_as("staff")
    data = client.get(f"/households/{household.code}/data.json").json
    assert data["household"]["head_name"] == "สมศรี ใจดี"
    assert data["members"][0]["name"] == "หลาน ใจดี"
    assert data["visits"][0]["notes"] == "ยายเดินได้"
    page = client.get(f"/households/{household.code}/data").get_data(as_text=True)
    assert "หลาน ใจดี" in page and "ยายเดินได้" in page
    exports = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.export")
    ).all()
    assert len(exports) == 2 and {e.user_id for e in exports} == {staff.id}


def test_erasure_removes_what_identifies_and_keeps_the_counts(
    client, auth, login_as, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer, head_name="สมศรี ใจดี")
    visit = create_visit(household, volunteer)
    visit.notes, visit.lat, visit.lon = "ป่วย", 16.5, 104.4
    household.phone = "0812345678"
    old_token = household.qr_token
    db.session.add_all(
        [
            Member(household=household, name="หลาน ใจดี"),
            HelpRequest(household=household, category="food", message="ข้าวหมด", phone="0811111111"),
        ]
    )
    db.session.commit()
    login_as("staff")
    wrong = auth.post(f"/households/{household.code}/anonymise", {"confirm": "NI-99-9999"})
    assert wrong.status_code == 302
    assert db.session.get(Household, household.id).head_name == "สมศรี ใจดี"
    auth.post(f"/households/{household.code}/anonymise", {"confirm": household.code})
    db.session.expire_all()
    kept = db.session.get(Household, household.id)
    assert "สมศรี" not in kept.head_name and kept.phone is None and kept.archived
    assert db.session.scalar(select(func.count(Member.id))) == 0
    assert db.session.scalar(select(func.count(Visit.id))) == 1
    assert (
        db.session.scalar(select(Visit.notes)) == ""
        and db.session.scalar(select(Visit.lat)) is None
    )
    assert db.session.scalar(select(HelpRequest.message)) == ""
    assert client.get(f"/h/{old_token}").status_code == 404


def test_purge_clears_old_notes_and_locations(runner, create_user, create_household, create_visit):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    old, recent = (
        create_visit(household, volunteer, days_ago=400),
        create_visit(household, volunteer),
    )
    db.session.execute(update(Visit).values(notes="บันทึก", lat=16.5, lon=104.4))
    db.session.commit()
    dry = runner.invoke(args=["privacy", "purge", "--days", "365", "--dry-run"])
    assert "would clear 1 visits" in dry.output
    assert db.session.get(Visit, old.id).notes == "บันทึก"
    done = runner.invoke(args=["privacy", "purge", "--days", "365"])
    assert "cleared 1 visits" in done.output
    db.session.expire_all()
    assert db.session.get(Visit, old.id).notes == "" and db.session.get(Visit, old.id).lat is None
    assert db.session.get(Visit, recent.id).notes == "บันทึก"
    assert runner.invoke(args=["privacy", "purge", "--days", "5"]).exit_code == 1


def test_purge_deletes_notifications_older_than_the_retention(runner, create_user):
    """A notification names a household or a person: it goes with the rest of that age."""
    from pwa_app.models import Notification
    from pwa_app.models.base import utcnow

    staff = create_user("staff")
    for days in (400, 366, 10):
        db.session.add(
            Notification(
                user=staff,
                kind="help",
                title="Help requested",
                created_at=utcnow() - timedelta(days=days),
            )
        )
    db.session.commit()
    dry = runner.invoke(args=["privacy", "purge", "--days", "365", "--dry-run"])
    assert "2 notifications" in dry.output
    assert db.session.scalar(select(func.count(Notification.id))) == 3
    done = runner.invoke(args=["privacy", "purge", "--days", "365"])
    assert "cleared" in done.output and "2 notifications" in done.output
    ages = db.session.scalars(select(Notification.created_at)).all()
    assert len(ages) == 1 and utcnow() - ages[0] < timedelta(days=11)


def test_the_audit_log_viewer_filters(client, login_as, create_household):
    household = create_household("NI-01")
    admin = login_as("admin")
    client.get(f"/households/{household.code}")
    page = client.get(f"/admin/audit?action=household.view&household={household.code}")
    assert page.status_code == 200 and "household.view" in page.get_data(as_text=True)
    assert client.get(f"/admin/audit?phone={admin.phone}").status_code == 200
    bad = client.get("/admin/audit?from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 400 and "วันสิ้นสุดอยู่ก่อนวันเริ่มต้น" in bad.get_data(as_text=True)
    older = client.get("/admin/audit?to=2000-01-01").get_data(as_text=True)
    assert "household.view" not in older.split("<tbody>")[1]


def test_visits_can_only_be_erased_by_staff_from_the_wrong_side(
    client, auth, login_as, create_household
):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    assert (
        auth.post(
            f"/households/{household.code}/anonymise", {"confirm": household.code}
        ).status_code
        == 403
    )
    assert client.get(f"/households/{household.code}/data.json").status_code == 403
    assert db.session.get(Household, household.id).archived is False
    assert timedelta(0) == timedelta(0)
