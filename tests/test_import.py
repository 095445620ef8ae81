"""CSV import of households: good rows together, a report for the rest, nothing half-done."""

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Household, HouseholdTag

HEADER = "code,house_no,village,head_name,phone,tags,lat,lon\n"


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "households.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def count():
    return db.session.scalar(select(func.count(Household.id)))


def test_import_reports_each_bad_row_and_imports_the_good(runner, tmp_path, create_household):
    create_household("NI-01")  # NI-01-0001 exists already
    csv = HEADER + "\n".join(
        [
            "NI-02-0001,5,NI-02,บัวผัน ศรีสุข,0812345678,elderly;low_income,16.5,104.4",
            "NI-01-0001,6,NI-01,ซ้ำ ในระบบ,,,,",
            "NI-02-0001,7,NI-02,ซ้ำ ในไฟล์,,,,",
            "NI-09-0001,8,NI-09,ไม่มี หมู่บ้าน,,,,",
            "NI-02-0002,9,NI-02,เบอร์ ผิด,12345,,,",
            "NI-02-0003,10,NI-02,แท็ก ผิด,,rich,,",
            "NI-02-0004,11,NI-02,สมหมาย ดีใจ,,,,",
            "NI-02-0005,12,NI-02,ผู้ป่วย ติดเตียง,,bedridden,,",
        ]
    )
    result = runner.invoke(args=["households", "import", str(write(tmp_path, csv))])
    assert result.exit_code == 3, result.output
    assert "imported 2 households" in result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines() if line.startswith("line"))
    assert "มีรหัส NI-01-0001 อยู่แล้ว" in lines["line 3 (NI-01-0001)"]
    assert "ซ้ำกันในไฟล์" in lines["line 4 (NI-02-0001)"]
    assert lines["line 5 (NI-09-0001)"].startswith("village:")
    assert lines["line 6 (NI-02-0002)"].startswith("phone:")
    assert "rich" in lines["line 7 (NI-02-0003)"]
    assert "ความยินยอม (PDPA)" in lines["line 9 (NI-02-0005)"]  # health data needs consent
    assert count() == 3
    tags = db.session.scalars(select(HouseholdTag.tag).join(Household).where(
        Household.code == "NI-02-0001")).all()
    assert sorted(tags) == ["elderly", "low_income"]


def test_a_missing_column_refuses_the_file(runner, tmp_path):
    csv = "code,house_no,village,head_name\nNI-02-0001,5,NI-02,ก ข\n"
    result = runner.invoke(args=["households", "import", str(write(tmp_path, csv))])
    assert result.exit_code == 1
    assert "phone" in result.output and "tags" in result.output
    assert count() == 0


def test_a_broken_encoding_refuses_the_file(runner, tmp_path):
    raw = (HEADER + "NI-02-0001,5,NI-02,บัวผัน ศรีสุข,,,,\n").encode("tis-620")
    result = runner.invoke(args=["households", "import", str(write(tmp_path, raw))])
    assert result.exit_code == 1
    assert "UTF-8" in result.output
    assert count() == 0


def test_excel_bom_is_accepted(runner, tmp_path):
    raw = "\ufeff" + HEADER + "BL-01-0001,1,BL-01,มาลี ไชยสิทธิ์,,,,\n"
    result = runner.invoke(args=["households", "import", str(write(tmp_path, raw))])
    assert result.exit_code == 0, result.output
    assert count() == 1


def test_import_from_the_page_shows_the_report(auth, login_as):
    login_as("staff")
    from io import BytesIO

    csv = HEADER + "NI-05-0001,1,NI-05,ทองดี มีสุข,,,,\nNI-05-0002,2,NI-99,ผิด หมู่,,,,\n"
    response = auth.post(
        "/households/import",
        {"file": (BytesIO(csv.encode()), "households.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "นำเข้า 1 ครัวเรือนแล้ว" in page
    assert "มี 1 แถวที่ไม่ได้นำเข้า" in page
    assert count() == 1


def test_import_page_explains_a_broken_file(auth, login_as):
    login_as("staff")
    from io import BytesIO

    response = auth.post(
        "/households/import",
        {"file": (BytesIO(b"\xff\xfe\x00garbage"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "ไฟล์ไม่ใช่ข้อความแบบ UTF-8" in response.get_data(as_text=True)
