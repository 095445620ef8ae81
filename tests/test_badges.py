"""Recognition badges: each rule's boundary, never twice, staff awards, revoking, verifying."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from pwa_app.extensions import db
from pwa_app.models import (
    Assistance,
    AssistanceEvent,
    AuditEvent,
    Award,
    Badge,
    Visit,
    WelfareProgram,
)
from pwa_app.models.base import utcnow
from pwa_app.services import recognition
from pwa_app.services.cases import today
from pwa_app.services.errors import ValidationError


def badge(code):
    return db.session.scalar(select(Badge).where(Badge.code == code))


def held(volunteer):
    return recognition.held_codes(volunteer)


@pytest.fixture
def volunteer(create_user):
    return create_user("volunteer", areas=["NI-01"])


@pytest.fixture
def household(create_household, volunteer):
    return create_household("NI-01", volunteer=volunteer)


def visits(create_visit, household, volunteer, days):
    for day in days:
        create_visit(household, volunteer, days_ago=day)


def test_nine_visits_are_not_ten(app, create_visit, household, volunteer):
    visits(create_visit, household, volunteer, [0] * 9)
    recognition.evaluate(volunteer)
    assert "first_visit" in held(volunteer) and "visits_10" not in held(volunteer)
    visits(create_visit, household, volunteer, [0])
    assert [a.badge.code for a in recognition.evaluate(volunteer)] == ["visits_10"]


def test_deleted_visits_do_not_count(app, create_visit, household, volunteer):
    visits(create_visit, household, volunteer, [0] * 10)
    db.session.execute(
        update(Visit)
        .where(Visit.id == db.session.scalar(select(func.min(Visit.id))))
        .values(deleted_at=utcnow())
    )
    recognition.evaluate(volunteer)
    assert "visits_10" not in held(volunteer)


def weeks_ago(n):
    """Return days-ago for the Wednesday n weeks back (Thai calendar)."""
    monday = today() - timedelta(days=today().weekday())
    wednesday = monday - timedelta(weeks=n) + timedelta(days=2)
    return max((today() - wednesday).days, 0)


def test_a_streak_broken_by_one_week_is_not_four(app, create_visit, household, volunteer):
    visits(create_visit, household, volunteer, [weeks_ago(n) for n in (1, 2, 3, 5, 6, 7)])
    assert recognition.longest_weekly_streak(volunteer) == 3
    recognition.evaluate(volunteer)
    assert "streak_4w" not in held(volunteer)
    visits(create_visit, household, volunteer, [weeks_ago(4)])
    assert recognition.longest_weekly_streak(volunteer) == 7
    recognition.evaluate(volunteer)
    assert "streak_4w" in held(volunteer)


def close_case(household, volunteer, program_code, status="received"):
    program = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == program_code))
    case = Assistance(household=household, program=program, status=status)
    case.events.append(AssistanceEvent(to_status="identified", by_user_id=volunteer.id))
    case.events.append(
        AssistanceEvent(from_status="identified", to_status=status, by_user_id=volunteer.id)
    )
    db.session.add(case)
    db.session.commit()


def test_welfare_and_referral_badges(app, household, volunteer):
    close_case(household, volunteer, "old_age_allowance", "not_eligible")
    recognition.evaluate(volunteer)
    assert not {"welfare_received_1", "referral_closed_1"} & held(volunteer)
    close_case(household, volunteer, "old_age_allowance")
    recognition.evaluate(volunteer)
    assert "welfare_received_1" in held(volunteer) and "referral_closed_1" not in held(volunteer)
    close_case(household, volunteer, "refer_shelter")
    recognition.evaluate(volunteer)
    assert "referral_closed_1" in held(volunteer)


def test_full_coverage_needs_every_assigned_household(
    app, create_household, create_visit, household, volunteer
):
    other = create_household("NI-01", volunteer=volunteer)
    create_visit(household, volunteer, days_ago=3)
    create_visit(other, volunteer, days_ago=31)
    recognition.evaluate(volunteer)
    assert "full_coverage_30d" not in held(volunteer)
    create_visit(other, volunteer, days_ago=29)
    recognition.evaluate(volunteer)
    assert "full_coverage_30d" in held(volunteer)


def test_household_confirmed_visits(app, create_visit, household, volunteer):
    visits(create_visit, household, volunteer, [0] * 10)
    db.session.execute(update(Visit).values(confirmed_by_household_at=utcnow()))
    db.session.commit()
    recognition.evaluate(volunteer)
    assert "household_confirmed_10" in held(volunteer)


def test_evaluating_again_awards_nothing_twice(app, runner, create_visit, household, volunteer):
    visits(create_visit, household, volunteer, [0] * 10)
    first = runner.invoke(args=["badges", "evaluate"])
    assert "3 new awards" in first.output  # first visit, 10 visits, every household visited
    again = runner.invoke(args=["badges", "evaluate"])
    assert "0 new awards" in again.output
    assert db.session.scalar(select(func.count(Award.id))) == 3
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "badge.award")
        )
        == 3
    )


def test_concurrent_syncs_award_each_badge_once(
    migrated_app, app, create_visit, household, volunteer
):
    """Six phones of one volunteer sync at the same moment; each sync evaluates the badges."""
    from tests.conftest import AuthActions, csrf_from
    from tests.test_sync_api import item

    visits(create_visit, household, volunteer, [1] * 9)
    clients = []
    for _ in range(6):
        client = migrated_app.test_client()
        AuthActions(client).login(volunteer.phone)
        clients.append((client, csrf_from(client.get("/"))))
    barrier, statuses = threading.Barrier(len(clients)), []
    batches = [{"visits": [item(household)]} for _ in clients]  # built here, not in the threads

    def sync(client, token, batch):
        with migrated_app.app_context():
            barrier.wait()
            response = client.post(
                "/api/v1/visits/sync", json=batch, headers={"X-CSRFToken": token}
            )
            statuses.append(response.status_code)
            db.session.remove()

    threads = [
        threading.Thread(target=sync, args=(*pair, batch))
        for pair, batch in zip(clients, batches, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.rollback()
    assert statuses == [200] * 6
    codes = db.session.scalars(select(Badge.code).join(Award)).all()
    assert sorted(codes) == ["first_visit", "full_coverage_30d", "visits_10"]


def test_staff_award_needs_a_citation_and_is_not_given_twice(app, login_as, volunteer):
    staff = login_as("staff")
    with pytest.raises(ValidationError) as missing:
        recognition.award(badge("smile"), volunteer, staff, "")
    assert "citation" in missing.value.fields
    with pytest.raises(ValidationError):
        recognition.award(badge("first_visit"), volunteer, staff, "ไม่ใช่เครื่องหมายของเจ้าหน้าที่")
    recognition.award(badge("smile"), volunteer, staff, "ยิ้มแย้มเสมอ")
    with pytest.raises(ValidationError) as twice:
        recognition.award(badge("smile"), volunteer, staff, "อีกครั้ง")
    assert "badge" in twice.value.fields


def test_revoked_award_answers_410_and_can_be_given_again(client, login_as, volunteer):
    staff = login_as("staff")
    given = recognition.award(badge("safety"), volunteer, staff, "ดูแลความปลอดภัย")
    db.session.commit()
    recognition.revoke(given, staff, "มอบผิดคน")
    db.session.commit()
    page = client.get(f"/badges/verify/{given.public_id}")
    assert page.status_code == 410 and "มอบผิดคน" in page.get_data(as_text=True)
    document = client.get(f"/badges/verify/{given.public_id}.json")
    assert document.status_code == 410 and document.json["message"] == "มอบผิดคน"
    with pytest.raises(ValidationError):
        recognition.revoke(given, staff, "again")
    again = recognition.award(badge("safety"), volunteer, staff, "ครั้งใหม่")
    assert again.id != given.id
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "badge.revoke" in actions


def test_verification_json_is_an_open_badges_3_credential(client, login_as, volunteer):
    staff = login_as("staff")
    given = recognition.award(badge("smart"), volunteer, staff, "ช่วยเหลืออย่างมีศักดิ์ศรี")
    db.session.commit()
    client.post("/logout")
    for response in (
        client.get(f"/badges/verify/{given.public_id}", headers={"Accept": "application/ld+json"}),
        client.get(f"/badges/verify/{given.public_id}.json"),
    ):
        assert response.status_code == 200
        assert response.mimetype == "application/ld+json"
        credential = response.json
        assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
        assert "https://purl.imsglobal.org/spec/ob/v3p0/context" in credential["@context"][1]
        assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
        assert credential["id"].endswith(f"/badges/verify/{given.public_id}")
        assert credential["issuer"]["type"] == ["Profile"]
        assert credential["issuer"]["name"] == "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร"
        assert credential["validFrom"].startswith(str(given.awarded_at.year))
        subject = credential["credentialSubject"]
        assert subject["type"] == ["AchievementSubject"] and subject["id"].startswith("urn:uuid:")
        assert subject["achievement"]["type"] == ["Achievement"]
        assert subject["achievement"]["criteria"]["narrative"]
        assert subject["achievement"]["image"]["id"].endswith("/static/badges/smart.png")


def test_verification_page_is_public_with_share_links_and_open_graph(client, login_as, volunteer):
    staff = login_as("staff")
    given = recognition.award(badge("sufficiency"), volunteer, staff, "ปลูกผักสวนครัว")
    db.session.commit()
    client.post("/logout")
    page = client.get(f"/badges/verify/{given.public_id}", headers={"Accept": "*/*"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert volunteer.display_name in html and "ปลูกผักสวนครัว" in html
    assert 'property="og:image"' in html and "/static/badges/sufficiency.png" in html
    assert "facebook.com/sharer" in html and "social-plugins.line.me" in html
    certificate = client.get(f"/badges/verify/{given.public_id}/certificate")
    assert certificate.status_code == 200 and '<svg class="qr"' in certificate.get_data(
        as_text=True
    )
    assert client.get("/badges/verify/not-an-award").status_code == 404


def test_issuer_and_achievement_documents(client):
    issuer = client.get("/badges/issuer").json
    assert issuer["type"] == ["Profile"]
    achievement = client.get("/badges/achievements/smile").json
    assert achievement["type"] == ["Achievement"] and achievement["name"]
    assert client.get("/badges/achievements/nothing").status_code == 404


def test_progress_toward_the_next_badge(app, create_visit, household, volunteer):
    visits(create_visit, household, volunteer, [0] * 7)
    recognition.evaluate(volunteer)
    progress = recognition.next_badges(volunteer)
    assert progress[0].badge.code == "visits_10" and progress[0].remaining == 3


def test_admin_edits_the_catalogue(auth, login_as):
    login_as("admin")
    smile = badge("smile")
    response = auth.post(
        f"/admin/badges/{smile.id}",
        {
            "name_th": "Smile ยิ้มสู้",
            "name_en": "Smile",
            "description_th": "",
            "description_en": "",
            "image": "badges/smile.svg",
            "active": "1",
        },
    )
    assert response.status_code == 302
    assert db.session.get(Badge, smile.id).name_th == "Smile ยิ้มสู้"
    bad = auth.post(
        f"/admin/badges/{badge('visits_10').id}",
        {
            "name_th": "",
            "name_en": "x",
            "image": "../../etc/passwd",
            "threshold": "zero",
            "active": "1",
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "เลือกภาพจากรายการ" in page and "กรอกจำนวนเต็มตั้งแต่ 1 ขึ้นไป" in page
    new = auth.post(
        "/admin/badges/new",
        {
            "name_th": "จิตอาสาดีเด่น",
            "name_en": "Outstanding volunteer",
            "image": "badges/smart.svg",
            "active": "1",
        },
    )
    assert new.status_code == 302
    assert badge("outstanding_volunteer").kind == "staff"


def test_a_long_streak_is_seen_after_a_visit_beside_a_shorter_one(
    app, create_visit, household, volunteer
):
    long_streak = Badge(
        code="streak_12w_test",
        kind="auto",
        rule="weekly_streak",
        threshold=12,
        name_th="เยี่ยมต่อเนื่อง 12 สัปดาห์",
        name_en="Twelve-week streak",
        image="streak.svg",
        sort_order=999,
    )
    db.session.add(long_streak)
    db.session.commit()
    try:
        visits(create_visit, household, volunteer, [weeks_ago(n) for n in range(14)])
        earned = recognition.evaluate(volunteer, ("visits", "weekly_streak"))  # after a visit
        assert {"streak_4w", "streak_12w_test"} <= {a.badge.code for a in earned}
    finally:
        db.session.rollback()
        db.session.execute(delete(Award).where(Award.badge_id == long_streak.id))
        db.session.delete(long_streak)
        db.session.commit()


def test_a_visit_sent_again_after_a_cut_off_answer_still_earns_its_badge(
    client, login_as, create_household
):
    """The first send was saved, but the answer (and the badge check) never happened."""
    import uuid
    from datetime import UTC, datetime

    from pwa_app.services import visits as visit_service
    from tests.conftest import csrf_from

    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    item = {
        "client_uuid": str(uuid.uuid4()),
        "household": household.code,
        "visited_at": datetime.now(UTC).isoformat(),
        "kind": "routine",
        "wellbeing": "green",
    }
    visit_service.log_visit(visit_service.VisitInput(**item), volunteer)
    db.session.commit()
    assert "first_visit" not in held(volunteer)
    answer = client.post(
        "/api/v1/visits/sync",
        json={"visits": [item]},
        headers={"X-CSRFToken": csrf_from(client.get("/"))},
    )
    assert answer.json["results"][0]["status"] == "duplicate"
    assert "first_visit" in held(volunteer)
