"""Welfare programmes and agencies kept by admins; who handles a case, on the form and offline."""

import pytest
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Agency, Area, Assistance, WelfareProgram
from tests.test_openapi import check


def program(code):
    return db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == code))


def area(code):
    return db.session.scalar(select(Area).where(Area.code == code))


def agency_form(**overrides):
    form = {
        "name_th": "สำนักงานทดสอบ",
        "name_en": "Test office",
        "kind": "other",
        "phone": "042-611-999",
        "address": "ถนนชยางกูร",
        "areas": ["NI"],
        "programs": ["home_repair"],
    }
    return {**form, **overrides}


def listed(response):
    """Return the directory's list of agencies, without the filters above it."""
    return response.get_data(as_text=True).partition("data-agencies")[2].partition("</ul>")[0]


def make_agency(name, phone, areas, programs):
    """Add an agency directly (the tests' rows go after each test; the seeded ones stay)."""
    agency = Agency(
        name_th=name, name_en=name, kind="other", phone=phone, address="",
        areas=[area(code) for code in areas], programs=[program(code) for code in programs],
    )  # fmt: skip
    db.session.add(agency)
    db.session.commit()
    return agency


def open_case(household, code):
    case = Assistance(
        household=household, village_id=household.village_id, program=program(code),
        status="identified", note="",
    )  # fmt: skip
    db.session.add(case)
    db.session.commit()
    return case


def test_admin_adds_an_agency_and_the_directory_lists_it(client, auth, login_as):
    login_as("admin")
    response = auth.post("/admin/agencies/new", agency_form())
    assert response.status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.name_th == "สำนักงานทดสอบ"))
    assert agency.phone == "042611999"
    assert [a.code for a in agency.areas] == ["NI"]
    assert [p.code for p in agency.programs] == ["home_repair"]
    page = client.get("/agencies?area=NI-01").get_data(as_text=True)
    assert "สำนักงานทดสอบ" in page and 'href="tel:042611999"' in page


def test_admin_edits_and_removes_an_agency(client, auth, login_as):
    login_as("admin")
    auth.post("/admin/agencies/new", agency_form())
    agency = db.session.scalar(select(Agency).where(Agency.name_th == "สำนักงานทดสอบ"))
    response = auth.post(
        f"/admin/agencies/{agency.id}", agency_form(phone="0812345678", areas=["BL", "BL-01"])
    )
    assert response.status_code == 302
    db.session.refresh(agency)
    assert agency.phone == "0812345678"
    assert [a.code for a in agency.areas] == ["BL", "BL-01"]
    assert auth.post(f"/admin/agencies/{agency.id}/delete").status_code == 302
    assert db.session.get(Agency, agency.id) is None


@pytest.mark.parametrize(
    ("overrides", "field", "english"),
    [
        ({"phone": "12345"}, "phone", "Thai phone number"),
        ({"phone": ""}, "phone", "Enter a phone number"),
        ({"name_th": ""}, "name_th", "required"),
        ({"kind": "spaceship"}, "kind", "kind of agency"),
        ({"areas": []}, "areas", "at least one area"),
        ({"areas": ["XX-99"]}, "areas", "Choose from the list"),
        ({"programs": ["no_such"]}, "programs", "Choose from the list"),
        ({"name_en": "x" * 201}, "name_en", "at most 200"),
        ({"name_th": "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร"}, "name_th", "already has this name"),
    ],
)
def test_a_wrong_agency_is_refused_with_a_message_and_keeps_what_was_typed(
    client, auth, login_as, overrides, field, english
):
    login_as("admin")
    client.get("/?lang=en")
    before = db.session.scalar(select(db.func.count(Agency.id)))
    response = auth.post("/admin/agencies/new", agency_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert english in page
    assert "Test office" in page or field == "name_en"
    assert db.session.scalar(select(db.func.count(Agency.id))) == before


def test_agency_messages_are_in_thai(client, auth, login_as):
    login_as("admin")
    client.get("/?lang=th")
    page = auth.post("/admin/agencies/new", agency_form(phone="12")).get_data(as_text=True)
    assert "Enter a Thai phone number" not in page
    assert "0812345678" in page  # the Thai message shows the example too


def test_the_directory_filters_by_area_and_programme(client, login_as):
    login_as("staff")
    ni = listed(client.get("/agencies?area=NI-01"))
    assert "อบต.หนองเอี่ยน" in ni and "โรงพยาบาลคำชะอี" in ni
    assert "อบต.บ้านเหล่า" not in ni
    health = listed(client.get("/agencies?program=refer_health"))
    assert "โรงพยาบาลคำชะอี" in health and "รพ.สต.บ้านเหล่า" in health
    assert "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร" not in health
    both = listed(client.get("/agencies?area=BL-02&program=refer_health"))
    assert "รพ.สต.บ้านเหล่า" in both and "รพ.สต.หนองเอี่ยน" not in both
    assert client.get("/agencies?area=NOWHERE").status_code == 200


def test_a_volunteer_sees_the_agencies_of_their_areas_first(client, login_as):
    login_as("volunteer", areas=["BL-03"])
    page = client.get("/agencies").get_data(as_text=True)
    ban_lao, nong_ian = page.index("อบต.บ้านเหล่า"), page.index("อบต.หนองเอี่ยน")
    assert ban_lao < nong_ian
    assert page.index("โรงพยาบาลคำชะอี") < nong_ian  # the district's hospital serves BL-03


def test_the_directory_needs_a_login(client):
    response = client.get("/agencies")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["volunteer", "staff"])
def test_only_admins_manage_programmes_and_agencies(client, auth, login_as, role):
    login_as(role, areas=["NI-01"] if role == "volunteer" else [])
    for path in ("/admin/programmes", "/admin/programmes/new", "/admin/agencies/new"):
        assert client.get(path).status_code == 403
    assert auth.post("/admin/agencies/new", agency_form()).status_code == 403
    assert auth.post(f"/admin/programmes/{program('home_repair').id}/active").status_code == 403
    assert program("home_repair").active


def test_admin_adds_and_edits_a_programme_in_catalogue_order(client, auth, login_as):
    login_as("admin")
    form = {"code": "elderly_fund", "name_th": "กองทุนผู้สูงอายุ", "name_en": "Elderly fund",
            "is_referral": "0", "sort_order": "0"}  # fmt: skip
    assert auth.post("/admin/programmes/new", form).status_code == 302
    page = client.get("/admin/programmes").get_data(as_text=True)
    assert page.index("กองทุนผู้สูงอายุ") < page.index("เบี้ยความพิการ")  # sort order 1
    added = program("elderly_fund")
    edited = {**form, "name_en": "Elderly people's fund", "is_referral": "1", "sort_order": "50"}
    assert auth.post(f"/admin/programmes/{added.id}", edited).status_code == 302
    db.session.refresh(added)
    assert (added.name_en, added.is_referral, added.sort_order) == (
        "Elderly people's fund",
        True,
        50,
    )


@pytest.mark.parametrize(
    ("overrides", "english"),
    [
        ({"code": "Bad Code"}, "lowercase Latin letters"),
        ({"code": "home_repair"}, "already has this code"),
        ({"name_th": ""}, "required"),
        ({"sort_order": "first"}, "whole number from 0 to 9999"),
    ],
)
def test_a_wrong_programme_is_refused_with_a_message(client, auth, login_as, overrides, english):
    login_as("admin")
    client.get("/?lang=en")
    form = {"code": "new_fund", "name_th": "กองทุนใหม่", "name_en": "New fund",
            "is_referral": "0", "sort_order": "5"}  # fmt: skip
    response = auth.post("/admin/programmes/new", {**form, **overrides})
    assert response.status_code == 400
    assert english in response.get_data(as_text=True)
    assert program("new_fund") is None


def test_a_programme_code_is_fixed_once_a_case_uses_it(client, auth, login_as, create_household):
    login_as("admin")
    client.get("/?lang=en")
    form = {"code": "used_fund", "name_th": "กองทุน", "name_en": "Fund",
            "is_referral": "0", "sort_order": "5"}  # fmt: skip
    auth.post("/admin/programmes/new", form)
    used = program("used_fund")
    open_case(create_household("NI-01"), "used_fund")
    response = auth.post(f"/admin/programmes/{used.id}", {**form, "code": "renamed_fund"})
    assert response.status_code == 400
    assert "its code cannot change" in response.get_data(as_text=True)
    assert program("used_fund") is not None


def test_a_retired_programme_leaves_the_visit_form_but_old_cases_keep_it(
    client, auth, login_as, create_household
):
    admin = login_as("admin")
    auth.post("/admin/programmes/new", {"code": "old_fund", "name_th": "กองทุนเก่า",
              "name_en": "Old fund", "is_referral": "0", "sort_order": "5"})  # fmt: skip
    with_case, without = create_household("NI-01"), create_household("NI-01")
    open_case(with_case, "old_fund")
    assert auth.post(f"/admin/programmes/{program('old_fund').id}/active").status_code == 302
    assert not program("old_fund").active
    auth.logout()
    login_as("volunteer", areas=["NI-01"])
    fresh = client.get(f"/visits/new?household={without.code}").get_data(as_text=True)
    assert 'value="old_fund"' not in fresh
    kept = client.get(f"/visits/new?household={with_case.code}").get_data(as_text=True)
    assert "กองทุนเก่า" in kept  # the open case still names it
    assert admin.id


def test_the_visit_form_names_the_agency_of_the_households_village(
    client, login_as, create_household
):
    login_as("volunteer", areas=["NI-02", "BL-02"])
    nong_ian, ban_lao = create_household("NI-02"), create_household("BL-02")
    open_case(nong_ian, "old_age_allowance")
    open_case(ban_lao, "refer_health")
    page = client.get(f"/visits/new?household={nong_ian.code}").get_data(as_text=True)
    assert "อบต.หนองเอี่ยน" in page and "tel:042691101" in page
    assert "อบต.บ้านเหล่า" not in page
    page = client.get(f"/visits/new?household={ban_lao.code}").get_data(as_text=True)
    # The subdistrict's health centre is nearer than the district's hospital.
    assert "tel:042691202" in page


def test_an_agency_serving_the_district_covers_its_villages_offline(
    client, auth, login_as, create_household
):
    login_as("admin")
    auth.post("/admin/agencies/new", agency_form(name_th="ศูนย์อำเภอ", phone="042691555",
              areas=["MDH-KCI"], programs=["home_repair"]))  # fmt: skip
    auth.post("/admin/agencies/new", agency_form(name_th="ศูนย์บ้านเหล่า", phone="042691666",
              areas=["BL"], programs=["home_repair"]))  # fmt: skip
    auth.logout()
    login_as("volunteer", areas=["NI-03"])
    household = create_household("NI-03")
    open_case(household, "home_repair")
    open_case(household, "refer_shelter")
    response = client.get("/api/v1/households")
    check(response, "/api/v1/households")
    cases = {c["program"]: c["agency"] for c in response.json["households"][0]["open_cases"]}
    assert cases["home_repair"] == {
        "name": {"th": "ศูนย์อำเภอ", "en": "Test office"},
        "phone": "042691555",
    }
    assert cases["refer_shelter"]["phone"] == "042611002"


def test_a_case_nobody_handles_has_a_null_agency(client, login_as, create_household):
    login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    db.session.add(WelfareProgram(code="nobodys", name_th="ไม่มีใคร", name_en="Nobody's"))
    db.session.commit()
    open_case(household, "nobodys")
    response = client.get("/api/v1/households")
    check(response, "/api/v1/households")
    assert response.json["households"][0]["open_cases"][0]["agency"] is None


def test_the_household_list_etag_changes_when_an_agency_does(
    client, auth, login_as, create_household
):
    login_as("volunteer", areas=["NI-01"])
    agency = make_agency("ศูนย์ทดสอบ", "042611888", ["NI-01"], ["home_repair"])
    open_case(create_household("NI-01"), "home_repair")
    etag = client.get("/api/v1/households").headers["ETag"]
    assert client.get("/api/v1/households", headers={"If-None-Match": etag}).status_code == 304
    agency.phone = "042611777"
    db.session.commit()
    again = client.get("/api/v1/households", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.json["households"][0]["open_cases"][0]["agency"]["phone"] == "042611777"
