"""Staff manage households; everyone finds the ones they may see."""

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, Household, Member


def household_form(**overrides):
    return {
        "village": "NI-03",
        "code": "",
        "house_no": "12/1",
        "address_extra": "ซอยวัด",
        "head_name": "บุญมี ศรีสุข",
        "phone": "081-234-5678",
        "tags": ["elderly", "disability"],
        "lat": "16.55",
        "lon": "104.45",
        "assigned_volunteer_id": "",
        "consent_at": "2026-11-01",
        "consent_scope": "เยี่ยมบ้านและส่งต่อสวัสดิการ",
        **overrides,
    }


def test_staff_add_a_household_with_the_next_code(auth, login_as, create_household):
    create_household("NI-03")  # NI-03-0001 from the factory
    staff = login_as("staff")
    response = auth.post("/households/new", household_form())
    assert response.status_code == 302
    household = db.session.scalar(select(Household).where(Household.head_name == "บุญมี ศรีสุข"))
    assert household.code == "NI-03-0002"
    assert household.phone == "0812345678"
    assert household.tags == ["disability", "elderly"]
    assert household.consent_recorded_by_id == staff.id
    assert len(household.qr_token) >= 22


def test_household_form_explains_mistakes_and_keeps_input(auth, login_as):
    login_as("staff")
    response = auth.post(
        "/households/new",
        household_form(village="XX-01", head_name="", phone="12", lat="north", code="BAD"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "กรุณาเลือกหมู่บ้าน" in page
    assert "กรุณากรอกช่องนี้" in page
    assert "กรุณากรอกเบอร์โทรศัพท์ 9 หรือ 10 หลัก" in page
    assert "กรุณากรอกตัวเลข" in page
    assert 'value="north"' in page and 'value="12/1"' in page
    assert db.session.scalar(select(Household.id)) is None


def test_a_code_from_another_village_or_taken_is_refused(auth, login_as, create_household):
    existing = create_household("NI-03")
    login_as("staff")
    page = auth.post("/households/new", household_form(code="BL-01-0001")).get_data(as_text=True)
    assert "รหัสต้องขึ้นต้นด้วยรหัสหมู่บ้าน NI-03" in page
    page = auth.post("/households/new", household_form(code=existing.code)).get_data(as_text=True)
    assert f"มีครัวเรือนอื่นใช้รหัส {existing.code} แล้ว" in page


def test_assigned_volunteer_must_cover_the_village(auth, login_as, create_user):
    volunteer = create_user("volunteer", areas=["BL-01"])
    login_as("staff")
    response = auth.post("/households/new", household_form(assigned_volunteer_id=str(volunteer.id)))
    assert "อพม. คนนี้ไม่ได้รับผิดชอบหมู่บ้านนี้" in response.get_data(as_text=True)


def test_staff_edit_a_household_and_a_failed_edit_changes_nothing(auth, login_as, create_household):
    household = create_household("NI-01", head_name="เดิม ชื่อ")
    login_as("staff")
    bad = auth.post(
        f"/households/{household.code}/edit", household_form(village="NI-01", head_name="")
    )
    assert bad.status_code == 400
    db.session.expire_all()
    assert db.session.get(Household, household.id).head_name == "เดิม ชื่อ"
    good = auth.post(
        f"/households/{household.code}/edit", household_form(village="NI-01", head_name="ใหม่ ชื่อ")
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(Household, household.id).head_name == "ใหม่ ชื่อ"


def test_search_by_code_name_village_tag_and_staleness(
    client, login_as, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI"])
    a = create_household("NI-01", head_name="สมศรี ใจงาม", tags=["elderly"])
    b = create_household("NI-02", head_name="ทองใบ พรมมา", tags=["child"])
    create_visit(b, volunteer, days_ago=1)
    create_visit(a, volunteer, days_ago=70)
    login_as("staff")

    def codes(query):
        page = client.get(f"/households?{query}").get_data(as_text=True)
        return {h.code for h in (a, b) if h.code in page}

    assert codes("q=ใจงาม") == {a.code}
    assert codes(f"q={b.code.lower()}") == {b.code}
    assert codes("village=NI-02") == {b.code}
    assert codes("village=NI") == {a.code, b.code}
    assert codes("tag=elderly") == {a.code}
    assert codes("stale=60") == {a.code}
    assert codes("stale=90") == set()


def test_volunteers_list_only_their_areas(client, login_as, create_household):
    mine = create_household("NI-01")
    theirs = create_household("BL-01")
    login_as("volunteer", areas=["NI-01"])
    page = client.get("/households").get_data(as_text=True)
    assert mine.code in page and theirs.code not in page


def test_archiving_stops_the_card(client, auth, login_as, create_household):
    household = create_household("NI-01")
    assert client.get(f"/h/{household.qr_token}").status_code == 200
    login_as("staff")
    auth.post(f"/households/{household.code}/archive", {"archived": "1"})
    auth.logout()
    assert client.get(f"/h/{household.qr_token}").status_code == 404


def test_rotating_the_token_kills_the_old_card_at_once(client, auth, login_as, create_household):
    household = create_household("NI-01")
    old_token = household.qr_token
    login_as("staff")
    response = auth.post(f"/households/{household.code}/rotate")
    assert response.status_code == 302
    assert f"household={household.code}" in response.headers["Location"]
    auth.logout()
    db.session.expire_all()
    new_token = db.session.get(Household, household.id).qr_token
    assert new_token != old_token
    assert client.get(f"/h/{old_token}").status_code == 404
    assert client.get(f"/h/{new_token}").status_code == 200
    assert "household.rotate_token" in db.session.scalars(select(AuditEvent.action)).all()


def test_members_added_edited_and_removed(auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("staff")
    response = auth.post(
        f"/households/{household.code}/members",
        {"name": "คำปุน ศรีสุข", "birth_year": "2490", "sex": "male", "tags": ["elderly"]},
    )
    assert response.status_code == 302
    member = db.session.scalar(select(Member).where(Member.household_id == household.id))
    assert member.birth_year == 1947  # the Buddhist-era year was converted
    assert member.tags == ["elderly"]

    bad = auth.post(
        f"/households/{household.code}/members/{member.id}", {"name": "", "birth_year": "3000"}
    )
    assert bad.status_code == 400
    assert "กรุณากรอกปีระหว่าง" in bad.get_data(as_text=True)

    auth.post(f"/households/{household.code}/members/{member.id}/delete")
    assert db.session.scalar(select(Member.id).where(Member.household_id == household.id)) is None


def test_a_member_of_another_household_is_not_found(client, login_as, create_household):
    one = create_household("NI-01")
    other = create_household("NI-02")
    member = Member(household=other, name="x")
    db.session.add(member)
    db.session.commit()
    login_as("staff")
    assert client.get(f"/households/{one.code}/members/{member.id}").status_code == 404


def test_reading_a_household_is_audited(client, login_as, create_household):
    household = create_household("NI-01")
    user = login_as("volunteer", areas=["NI-01"])
    client.get(f"/households/{household.code}")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.view"))
    assert event.user_id == user.id
    assert event.household_id == household.id


def test_household_page_shows_open_cases_with_next_step(client, auth, login_as, create_household):
    household = create_household("NI-01")
    login_as("volunteer", areas=["NI-01"])
    from tests.test_visits import visit_form

    auth.post(
        f"/visits/new?household={household.code}",
        visit_form(**{"new_cases-0-program": "old_age_allowance", "new_cases-0-status": "applied"}),
    )
    page = client.get(f"/households/{household.code}").get_data(as_text=True)
    assert "เบี้ยยังชีพผู้สูงอายุ" in page
    assert "ติดตามคำร้องกับหน่วยงาน" in page


def test_long_lists_page_through_with_the_filters_kept(client, login_as, create_household):
    for _ in range(55):
        create_household("NI-06")
    login_as("staff")
    first = client.get("/households?village=NI-06").get_data(as_text=True)
    assert "หน้า 1 จาก 2" in first
    assert "village=NI-06" in first.split("ถัดไป")[0].rsplit("href=", 1)[1]
    second = client.get("/households?village=NI-06&page=2").get_data(as_text=True)
    assert "หน้า 2 จาก 2" in second and "NI-06-0055" in second


def test_a_household_moved_to_another_village_takes_its_cases_and_requests(
    auth, login_as, create_user, create_household, create_visit
):
    from pwa_app.models import Assistance, HelpRequest, Visit, WelfareProgram

    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    visit = create_visit(household, volunteer, days_ago=1)
    program = db.session.scalars(select(WelfareProgram)).first()
    db.session.add_all(
        [
            Assistance(household=household, program=program, status="identified"),
            HelpRequest(household=household, category="visit", status="new"),
        ]
    )
    db.session.commit()
    old_village = household.village_id
    login_as("staff")
    moved = auth.post(
        f"/households/{household.code}/edit",
        household_form(village="NI-02", code="NI-02-0999"),
    )
    assert moved.status_code == 302
    db.session.expire_all()
    new_village = db.session.get(Household, household.id).village_id
    assert new_village != old_village
    assert {c.village_id for c in db.session.scalars(select(Assistance))} == {new_village}
    assert {r.village_id for r in db.session.scalars(select(HelpRequest))} == {new_village}
    assert db.session.get(Visit, visit.id).village_id == old_village  # it happened there
