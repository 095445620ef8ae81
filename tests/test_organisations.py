"""Organisations: each centre sees only its own villages; observers see figures only."""

import csv
import io

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Area, Badge, Organisation, User
from pwa_app.services import dashboard, recognition


def figures_for(user, area=None):
    """Return the dashboard's figures as {key: value} for what the user sees."""
    period = dashboard.parse_period("month")
    board = dashboard.figures(period, dashboard.villages_for(user, area))
    return {figure.key: figure.value for figure in board}


def test_the_migration_makes_the_configured_centre_covering_the_province(app, create_user):
    centre = db.session.scalar(select(Organisation).where(Organisation.code == "MDH"))
    assert [area.code for area in centre.areas] == ["MDH"]
    assert centre.name_th == app.config["ORG_NAME_TH"]
    assert create_user("staff").org is centre


def test_a_second_centre_created_by_command_sees_none_of_the_first(
    runner, client, auth, create_user, create_household, create_visit, second_centre_areas
):
    volunteer_a = create_user("volunteer", areas=["NI-01"], name="ทองใบ ศูนย์เอ")
    household_a = create_household("NI-01", volunteer=volunteer_a)
    create_visit(household_a, volunteer_a)
    result = runner.invoke(
        args=["orgs", "create", "--code", "zzc", "--name", "ศูนย์ทดสอบ", "--area", "ZZP"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["users", "create", "--role", "admin", "--phone", "0871112233", "--name",
              "ผู้ดูแล บี", "--password-stdin", "--org", "ZZC"],
        input="kwamsuk-2569\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["orgs", "list"]).output
    assert "MDH" in listed and "ZZC" in listed
    admin_b = db.session.scalar(select(User).where(User.phone == "0871112233"))
    assert admin_b.org.code == "ZZC"
    assert figures_for(admin_b)["visits"] == 0
    assert figures_for(create_user("staff"))["visits"] == 1

    assert auth.login("0871112233").status_code == 302
    for path in ("/households", "/volunteers", "/admin/users", "/admin/audit", "/dashboard", "/"):
        page = client.get(path).get_data(as_text=True)
        assert household_a.code not in page, path
        assert "ทองใบ" not in page, path
    export = client.get("/reports/visits.csv").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(export)))) == 1  # the header only
    assert client.get(f"/households/{household_a.code}").status_code == 404
    assert client.get(f"/volunteers/{volunteer_a.id}").status_code == 404


def test_users_create_needs_an_organisation_when_there_are_several(runner, second_org):
    result = runner.invoke(
        args=["users", "create", "--role", "staff", "--phone", "0871112244", "--name",
              "คนใหม่", "--password-stdin"],
        input="kwamsuk-2569\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "org" in result.output


def test_a_volunteer_works_only_inside_their_organisation(runner, second_org):
    result = runner.invoke(
        args=["users", "create", "--role", "volunteer", "--phone", "0871112255", "--name",
              "อาสา บี", "--password-stdin", "--org", "ZZC", "--area", "NI"],
        input="kwamsuk-2569\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "NI" in result.output


def test_an_observer_sees_the_figures_of_its_areas_across_centres(
    client, auth, create_user, create_household, create_visit, second_org
):
    volunteer_a = create_user("volunteer", areas=["NI-01"])
    volunteer_b = create_user("volunteer", areas=["ZZ-01"], org="ZZC")
    household_a = create_household("NI-01", volunteer=volunteer_a)
    household_b = create_household("ZZ-01", volunteer=volunteer_b)
    create_visit(household_a, volunteer_a)
    create_visit(household_b, volunteer_b)
    observer = create_user("observer", areas=["MDH", "ZZP"])
    assert figures_for(observer)["visits"] == 2
    assert figures_for(create_user("staff"))["visits"] == 1
    assert figures_for(create_user("staff", org="ZZC"))["visits"] == 1
    assert figures_for(observer, dashboard.parse_area("MDH-KCI"))["visits"] == 1

    assert auth.login(observer.phone).status_code == 302
    assert client.get("/").headers["Location"] == "/dashboard"
    for query in ("", "?area=MDH", "?area=MDH-KCI", "?area=ZZ", "?area=NI-01"):
        response = client.get(f"/dashboard{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert 'data-figure="visits"' in page
        for code in (household_a.code, household_b.code):
            assert code not in page
        assert volunteer_a.display_name not in page
        assert "/reports/visits.csv" not in page
    assert client.get(f"/households/{household_a.code}").status_code == 403
    assert client.get("/api/v1/households").status_code == 403


def test_each_centre_issues_its_own_badges(client, create_user, second_org):
    volunteer = create_user("volunteer", areas=["ZZ-01"], org="ZZC")
    staff = create_user("staff", org="ZZC")
    badge = db.session.scalar(select(Badge).where(Badge.code == "smile"))
    award = recognition.award(badge, volunteer, staff, "ยิ้มเก่ง")
    db.session.commit()
    credential = client.get(f"/badges/verify/{award.public_id}.json").json
    assert credential["issuer"]["id"].endswith("/badges/issuers/ZZC")
    assert credential["issuer"]["name"] == "ศูนย์ทดสอบ"
    assert client.get("/badges/issuers/ZZC/jwks.json").status_code == 200
    assert client.get("/badges/issuers/NOPE").status_code == 404


def test_a_households_public_card_names_the_centre_covering_its_village(
    client, create_household, second_org
):
    household = create_household("ZZ-01")
    page = client.get(f"/h/{household.qr_token}").get_data(as_text=True)
    assert "ศูนย์ทดสอบ" in page


def test_an_admin_imports_areas_only_under_their_own_organisation(second_org, create_user):
    from pwa_app.services import area_imports

    admin = create_user("admin", org="ZZC")
    raw = (
        "code,level,parent,name_th,name_en,official_code\n"
        "NI-30,village,NI,ก,A,\n"  # centre A's subdistrict: as if there were none
        "ZZ-30,village,ZZ,ก,A,\n"  # their own
    ).encode()
    report = area_imports.import_areas(raw, admin)
    db.session.commit()
    assert report.imported == ["ZZ-30"]
    [refused] = report.rejected
    assert refused.line == 2 and "NI" in " ".join(refused.reasons)
    assert db.session.scalar(select(Area).where(Area.code == "NI-30")) is None
