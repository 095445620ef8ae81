"""Areas managed by admins: the tree, its rules, the CSV import, and figures kept across moves."""

import math
from io import BytesIO

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from bench import area_import
from pwa_app.extensions import db
from pwa_app.models import Area, AreaChange, Assistance, AuditEvent, WelfareProgram
from pwa_app.services import area_imports, areas, dashboard, households
from pwa_app.services.errors import ValidationError

HEADER = "code,level,parent,name_th,name_en,official_code"


def area(code):
    return db.session.scalar(select(Area).where(Area.code == code))


def csv_of(*rows, header=HEADER):
    return ("\n".join([header, *rows]) + "\n").encode()


def run_import(raw):
    with force_locale("en"):
        report = area_imports.import_areas(raw, by=None, after_chunk=db.session.commit)
    db.session.commit()
    return report


def reasons(report):
    return {row.line: " ".join(row.reasons) for row in report.rejected}


# --- pages and rules -------------------------------------------------------------------------


def test_admin_adds_a_subdistrict_and_a_village_whose_households_get_codes(
    client, auth, login_as, create_household
):
    login_as("admin")
    district = area("MDH-KCI")
    response = auth.post(
        f"/admin/areas/new?parent={district.id}",
        {"code": "kk", "name_th": "คำคันโช้ง", "name_en": "Kham Khan Chong"},
    )
    assert response.status_code == 302
    subdistrict = area("KK")
    assert subdistrict.level == "subdistrict" and subdistrict.parent_id == district.id
    response = auth.post(
        f"/admin/areas/new?parent={subdistrict.id}",
        {"code": "KK-01", "name_th": "บ้านคำ", "name_en": "Ban Kham", "lat": "16.5", "lon": "104.4"},
    )
    assert response.status_code == 302
    village = area("KK-01")
    assert (village.level, village.village_no, village.lat) == ("village", 1, 16.5)
    assert households.next_code(village) == "KK-01-0001"
    assert create_household("KK-01").code.startswith("KK-01-")
    page = client.get("/admin/areas").get_data(as_text=True)
    assert "KK-01" in page and "บ้านคำ" in page
    kinds = db.session.scalars(select(AreaChange.kind).where(AreaChange.area_id == village.id))
    assert list(kinds) == ["created"]
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "area.created")
        )
        == 2
    )


def test_a_three_letter_subdistrict_gives_codes_volunteers_can_type(
    client, auth, login_as, create_household
):
    """Two letters make 676 subdistricts; Thailand has over 7,000, so three are allowed too."""
    login_as("admin")
    auth.post(
        f"/admin/areas/new?parent={area('MDH-KCI').id}",
        {"code": "kcn", "name_th": "คำชะอี", "name_en": "Khamcha-i"},
    )
    auth.post(
        f"/admin/areas/new?parent={area('KCN').id}",
        {"code": "KCN-07", "name_th": "บ้านโคก", "name_en": "Ban Khok"},
    )
    village = area("KCN-07")
    assert village.village_no == 7
    household = create_household("KCN-07")
    assert household.code == "KCN-07-0001"
    assert households.normalize_code("kcn 7 1") == household.code
    response = client.get("/households/kcn070001")
    assert response.status_code in (301, 302, 308)
    assert response.headers["Location"].endswith("/households/KCN-07-0001")
    assert client.get("/households/KCN-07-0001").status_code == 200


@pytest.mark.parametrize(
    ("parent", "form", "message"),
    [
        ("NI", {"code": "BL-20", "name_th": "ก", "name_en": "A"}, "starts with its subdistrict"),
        ("NI", {"code": "NI-01", "name_th": "ก", "name_en": "A"}, "already has the code NI-01"),
        ("NI", {"code": "NI-1", "name_th": "ก", "name_en": "A"}, "01-99"),
        ("NI", {"code": "NI-20", "name_th": "", "name_en": "A"}, "required"),
        (
            "NI",
            {"code": "NI-20", "name_th": "ก", "name_en": "A", "lat": "nan", "lon": "1"},
            "between",
        ),
        ("NI", {"code": "NI-20", "name_th": "ก", "name_en": "A", "lat": "16"}, "both"),
        ("MDH-KCI", {"code": "NIXY", "name_th": "ก", "name_en": "A"}, "2 or 3 capital letters"),
    ],
)
def test_a_bad_new_area_is_refused_with_a_message(auth, login_as, parent, form, message):
    login_as("admin")
    response = auth.post(f"/admin/areas/new?parent={area(parent).id}", form)
    assert response.status_code == 400
    with force_locale("en"):
        with pytest.raises(ValidationError) as caught:
            areas.create_area(areas.AreaInput(**form), area(parent), None)
        assert message in caught.value.describe()
    assert "has-error" in response.get_data(as_text=True)


def test_a_retired_code_is_never_reused(login_as):
    admin = login_as("admin")
    village = areas.create_area(areas.AreaInput("NI-30", "ก", "A"), area("NI"), admin)
    areas.retire(village, admin)
    with pytest.raises(ValidationError) as caught:
        areas.create_area(areas.AreaInput("NI-30", "ข", "B"), area("NI"), admin)
    with force_locale("en"):
        assert "never reused" in str(caught.value.fields["code"])


def test_a_village_with_households_cannot_be_retired_and_says_how_many(
    auth, login_as, create_household
):
    login_as("admin")
    create_household("NI-02")
    create_household("NI-02")
    response = auth.post(f"/admin/areas/{area('NI-02').id}/retire")
    assert response.status_code == 400
    assert "2" in response.get_data(as_text=True)
    assert area("NI-02").retired_at is None


def test_a_subdistrict_with_villages_in_use_cannot_be_retired(login_as):
    admin = login_as("admin")
    with pytest.raises(ValidationError) as caught:
        areas.retire(area("BL"), admin)
    assert "6" in str(caught.value.message)


def test_a_retired_village_leaves_every_picker_but_its_households_stay_readable(
    client, auth, login_as, create_household
):
    admin = login_as("admin")
    household = create_household("NI-07")
    household.archived = True
    db.session.commit()
    areas.retire(area("NI-07"), admin)
    db.session.commit()
    assert "NI-07" not in client.get("/households/new").get_data(as_text=True)
    assert "NI-07" not in client.get("/admin/users/new").get_data(as_text=True)
    assert "NI-07" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get(f"/households/{household.code}").status_code == 200
    with pytest.raises(ValidationError):
        households.check(households.HouseholdInput(village="NI-07", house_no="1", head_name="ก"))


def test_rename_and_locate_are_kept_in_the_history_shown_on_the_page(client, auth, login_as):
    login_as("admin")
    village = area("BL-02")
    response = auth.post(
        f"/admin/areas/{village.id}",
        {"name_th": "บ้านเหล่าใหม่พัฒนา", "name_en": "Ban Lao Mai Phatthana", "lat": "16.6",
         "lon": "104.3", "official_code": "49020102"},
    )  # fmt: skip
    assert response.status_code == 302
    kinds = set(db.session.scalars(select(AreaChange.kind).where(AreaChange.area_id == village.id)))
    assert kinds == {"renamed", "located"}
    page = client.get(f"/admin/areas/{village.id}").get_data(as_text=True)
    assert "บ้านเหล่าใหม่ →" not in page and "Ban Lao Mai Phatthana" in page
    assert "บ้านเหล่าใหม่ / Ban Lao Mai" in page


@pytest.mark.parametrize(
    ("code", "parent", "message"),
    [
        ("NI-01", "MDH-KCI", "must be under a"),
        ("NI", "NI", "under itself"),
        ("NI-01", "ZZ", "no area with the code ZZ"),
        ("MDH", "MDH-KCI", "no parent"),
    ],
)
def test_a_wrong_move_is_refused(auth, login_as, code, parent, message):
    login_as("admin")
    response = auth.post(f"/admin/areas/{area(code).id}/move", {"parent": parent})
    assert response.status_code == 400
    before = area(code).parent_id
    with force_locale("en"):
        with pytest.raises(ValidationError) as caught:
            areas.move(area(code), parent, None)
        assert message in caught.value.describe()
    assert area(code).parent_id == before


def test_staff_and_volunteers_never_reach_the_area_pages(client, auth, login_as):
    for role in ("staff", "volunteer"):
        login_as(role)
        assert client.get("/admin/areas").status_code == 403
        assert auth.post(f"/admin/areas/{area('NI').id}/retire").status_code == 403
        auth.post("/logout")


def test_an_area_that_does_not_exist_answers_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/areas/999999").status_code == 404


# --- moving a village keeps the figures ------------------------------------------------------


def test_moving_a_village_keeps_every_figure(login_as, create_user, create_household, create_visit):
    admin = login_as("admin")
    staff = create_user("staff")
    volunteer = create_user("volunteer", areas=["NI"])
    program = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == "home_repair"))
    moved = [create_household("NI-03") for _ in range(3)]
    create_household("NI-01")
    for household in moved:
        create_visit(household, volunteer, days_ago=2)
        db.session.add(Assistance(household=household, village_id=household.village_id,
                                  program=program, status="applied", note=""))  # fmt: skip
    db.session.commit()
    period = dashboard.parse_period("custom", *_last_days(10))

    def numbers(code):
        board = dashboard.build(period, dashboard.parse_area(code) if code else None, staff)
        return {figure.key: figure.value for figure in board.figures}

    everywhere, ni, bl = numbers(None), numbers("NI"), numbers("BL")
    village_before = numbers("NI-03")
    areas.move(area("NI-03"), "BL", admin)
    db.session.commit()
    assert numbers(None) == everywhere
    assert numbers("NI-03") == village_before
    after_ni, after_bl = numbers("NI"), numbers("BL")
    for key, value in village_before.items():
        if key in ("visits", "households"):
            assert after_ni[key] == ni[key] - value
            assert after_bl[key] == bl[key] + value
    cases = db.session.scalars(select(Assistance.village_id)).all()
    assert set(cases) == {area("NI-03").id}
    assert area("NI-03").parent.code == "BL"
    assert households.next_code(area("NI-03")).startswith("NI-03-")


def _last_days(n):
    from datetime import timedelta

    from pwa_app.services.cases import today

    return ((today() - timedelta(days=n)).isoformat(), today().isoformat())


# --- import ----------------------------------------------------------------------------------


def test_import_adds_a_tree_whose_parents_come_later_and_a_rerun_changes_nothing(app):
    raw = csv_of(
        "KK-01,village,KK,บ้านคำ,Ban Kham,,",
        "KK,subdistrict,MDH-NKO,คำคันโช้ง,Kham Khan Chong,490301",
        "MDH-NKO,district,MDH,นิคมคำสร้อย,Nikhom Kham Soi,4903",
        header=HEADER,
    )
    report = run_import(raw)
    assert (len(report.imported), report.rejected) == (3, [])
    assert area("KK-01").parent.parent.code == "MDH-NKO"
    changes = db.session.scalar(select(func.count(AreaChange.id)))
    again = run_import(raw)
    assert (again.imported, len(again.already), again.rejected) == ([], 3, [])
    assert db.session.scalar(select(func.count(AreaChange.id))) == changes


def test_import_reports_each_bad_row_by_its_line_and_imports_the_rest(app):
    retired = areas.create_area(areas.AreaInput("NI-40", "ก", "A"), area("NI"), None)
    areas.retire(retired, None)
    db.session.commit()
    report = run_import(
        csv_of(
            "NI-20,village,NI,บ้านใหม่,Ban Mai,",  # 2 good
            "NI-21,village,ZZ,ก,A,",  # 3 unknown parent
            "NI-01,village,NI,ก,A,",  # 4 exists with other details
            "NI-20,village,NI,ก,A,",  # 5 twice in the file
            "XX-01,village,MDH-KCI,ก,A,",  # 6 a village under a district
            "AA,subdistrict,BB,ก,A,",  # 7 cycle
            "BB,subdistrict,AA,ก,A,",  # 8 cycle
            "NI-40,village,NI,ก,A,",  # 9 a retired code
            "NI-22,village,NI,ก,A,,91,104",  # 10 bad latitude
            "NI-23,hamlet,NI,ก,A,",  # 11 no such level
            "NI-24,village,NI,,A,",  # 12 no Thai name
            "AA-01,village,AA,ก,A,",  # 13 under a row left out
            header=HEADER + ",lat,lon",
        )
    )
    assert report.imported == ["NI-20"]
    lines = reasons(report)
    assert sorted(lines) == list(range(3, 14))
    assert "ZZ" in lines[3]
    assert "other details" in lines[4]
    assert "line 2" in lines[5]
    assert "must be under a subdistrict" in lines[6] or "subdistrict" in lines[6]
    assert "cycle" in lines[7] and "cycle" in lines[8]
    assert "never reused" in lines[9]
    assert "lat" in lines[10]
    assert "level" in lines[11]
    assert "name_th" in lines[12]
    assert "line 7" in lines[13]


@pytest.mark.parametrize(
    "header",
    ["code,level,parent,name_th,name_en", "code;level;parent;name_th;name_en;official_code", ""],
)
def test_a_wrong_header_refuses_the_file_with_one_message(app, header):
    before = db.session.scalar(select(func.count(Area.id)))
    with pytest.raises(ValidationError) as caught:
        run_import(csv_of("NI-20,village,NI,ก,A,", header=header))
    with force_locale("en"):
        assert "header must be" in str(caught.value.message)
    assert db.session.scalar(select(func.count(Area.id))) == before


def test_a_windows_874_file_imports_its_thai_names(app):
    raw = csv_of("NI-25,village,NI,บ้านหนองสระพัง,Ban Nong Sa Phang,").decode().encode("cp874")
    report = run_import(raw)
    assert report.imported == ["NI-25"]
    assert area("NI-25").name_th == "บ้านหนองสระพัง"


def test_a_utf8_file_with_a_bom_imports(app):
    report = run_import(b"\xef\xbb\xbf" + csv_of("NI-26,village,NI,บ้านนา,Ban Na,"))
    assert report.imported == ["NI-26"]


def test_the_import_page_and_command_report_by_line(client, auth, login_as, runner, tmp_path):
    login_as("admin")
    raw = csv_of("NI-27,village,NI,ก,A,", "NI-28,village,ZZ,ก,A,")
    response = auth.post(
        "/admin/areas/import",
        {"file": (BytesIO(raw), "areas.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "NI-28" in page and "ZZ" in page
    path = tmp_path / "areas.csv"
    path.write_bytes(raw)
    result = runner.invoke(args=["areas", "import", str(path)])
    assert result.exit_code == 3
    assert "1 already there" in result.output and "line 3 (NI-28)" in result.output
    assert "areas" in result.stderr  # the command shows how far it is (a bar on a terminal)
    path.write_bytes(b"nonsense\n")
    assert runner.invoke(args=["areas", "import", str(path)]).exit_code == 1


# --- property: random trees ------------------------------------------------------------------

LETTERS = "ABCDEFGHJKLMPQRSTUVWXYZ"


@st.composite
def trees(draw):
    """A province, districts, subdistricts (fresh two-letter codes) and villages, shuffled."""
    rows = [("PT", "province", "")]
    pairs = draw(st.lists(st.sampled_from([a + b for a in "QXZ" for b in LETTERS]),
                          min_size=1, max_size=6, unique=True))  # fmt: skip
    districts = [f"PT-D{i}" for i in range(draw(st.integers(1, 3)))]
    rows += [(code, "district", "PT") for code in districts]
    for pair in pairs:
        rows.append((pair, "subdistrict", draw(st.sampled_from(districts))))
        for n in range(1, draw(st.integers(0, 4)) + 1):
            rows.append((f"{pair}-{n:02d}", "village", pair))
    return draw(st.permutations(rows))


def parents_map(rows):
    return {code: parent for code, _level, parent in rows}


def below(code, parents):
    """Return the code and every code under it."""
    found = {code}
    grew = True
    while grew:
        more = {c for c, p in parents.items() if p in found} - found
        grew = bool(more)
        found |= more
    return found


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=trees(), data=st.data())
def test_random_trees_import_whole_and_a_corrupted_parent_loses_only_its_branch(app, rows, data):
    from tests.conftest import _wipe

    _wipe()
    corrupt = data.draw(
        st.sampled_from([None, *[c for c, level, _p in rows if level != "province"]])
    )
    lines = [
        f"{code},{level},{'NOPE' if code == corrupt else parent},ก,A,"
        for code, level, parent in rows
    ]
    report = run_import(csv_of(*lines))
    expected_out = below(corrupt, parents_map(rows)) if corrupt else set()
    assert {row.code for row in report.rejected} == expected_out
    assert set(report.imported) == {code for code, _l, _p in rows} - expected_out


def test_a_large_import_refreshes_postgresql_statistics_as_the_tables_double(app):
    """PostgreSQL keeps a connection's foreign-key plans until the tables' statistics change:
    planned while areas held a few rows, each path written would read every area."""
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        report = run_import(area_import.country_file(3_000))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(report.imported) > 2_900
    analyses = [s for s in statements if s.startswith("ANALYZE")]
    if db.engine.dialect.name == "postgresql":
        before = db.session.scalar(select(func.count(Area.id))) - len(report.imported)
        # At most once a doubling (a level's rows at a time), and not only at the end.
        assert 2 <= len(analyses) <= math.log2((before + len(report.imported)) / before)
        assert all(s == "ANALYZE areas, area_paths, area_changes" for s in analyses)
    else:
        assert analyses == []


@pytest.mark.slow
def test_a_75000_row_file_imports_whole(app):
    """Every two-letter subdistrict with 99 villages, and duplicates to reach 75,000 rows.

    How long it takes is measured by `make bench` (the import section), not here.
    """
    report = run_import(area_import.country_file())
    made = 1 + 26 + 23 * 23 * 100
    # BL and its villages are the demo's own, with other details: refused, not changed.
    clashes = {"BL", *(f"BL-{n:02d}" for n in range(1, 7))}
    refused = {row.code for row in report.rejected if "already exists" in " ".join(row.reasons)}
    assert refused == clashes
    assert len(report.imported) == made - len(clashes)
    assert len(report.rejected) == area_import.ROWS - len(report.imported)
    village = area("ZZ-99")
    assert (village.level, village.parent.code, village.parent.parent.code) == (
        "village",
        "ZZ",
        "BIG-22",
    )
    assert area("BL").parent.code != "BIG-1"
