"""CSV import of households: chunk by chunk, a report for the rest, nothing imported twice."""

import sqlite3
from io import BytesIO

import psycopg
import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, Household, HouseholdTag
from pwa_app.services import imports
from pwa_app.services.validation import control_problem

HEADER = "code,house_no,village,head_name,phone,tags,lat,lon\n"


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "households.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def count(model=Household):
    return db.session.scalar(select(func.count(model.id)))


def rows(n, start=1, village="NI-02"):
    """Return n good CSV rows with consecutive codes."""
    return "".join(
        f"{village}-{i:04d},{i},{village},ผู้นำเข้า {i},,,,\n" for i in range(start, start + n)
    )


def import_file(runner, path):
    """Run `households import PATH` with messages in English."""
    with force_locale("en"):
        return runner.invoke(args=["households", "import", str(path)])


def upload(auth, text, lang="en"):
    """Post a CSV file to the import page."""
    raw = text.encode() if isinstance(text, str) else text
    return auth.post(
        f"/households/import?lang={lang}",
        {"file": (BytesIO(raw), "households.csv")},
        content_type="multipart/form-data",
    )


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
    result = import_file(runner, write(tmp_path, csv))
    assert result.exit_code == 3, result.output
    assert "imported 2 households, 0 already imported" in result.output
    lines = dict(
        line.split(": ", 1) for line in result.output.splitlines() if line.startswith("line")
    )
    assert "already exists with other details" in lines["line 3 (NI-01-0001)"]
    assert "appears twice in the file" in lines["line 4 (NI-02-0001)"]
    assert lines["line 5 (NI-09-0001)"].startswith("village:")
    assert lines["line 6 (NI-02-0002)"].startswith("phone:")
    assert "rich" in lines["line 7 (NI-02-0003)"]
    assert "consent (PDPA)" in lines["line 9 (NI-02-0005)"]  # health data needs consent
    assert count() == 3
    tags = db.session.scalars(
        select(HouseholdTag.tag).join(Household).where(Household.code == "NI-02-0001")
    ).all()
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


class WriterElsewhere:
    """Another connection that writes after each commit of the app's session, as a sync would.

    On SQLite it does not wait for the write lock at all (busy timeout 0): if the import still
    held the lock, it would fail with "database is locked".
    """

    def __init__(self):
        self.households_seen, self.errors = [], []
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            self.connection = sqlite3.connect(url.database, timeout=0, isolation_level=None)
            self.begin = "BEGIN IMMEDIATE"  # takes the write lock now, or fails at once
        else:
            plain_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(plain_url, autocommit=True)
            self.connection.execute("SET lock_timeout = '50ms'")
            self.begin = "BEGIN"

    def write(self, _session):
        try:
            self.connection.execute(self.begin)
            self.connection.execute(
                "INSERT INTO rate_events (bucket, key, at) "
                "VALUES ('test', 'elsewhere', CURRENT_TIMESTAMP)"
            )
            seen = self.connection.execute("SELECT count(*) FROM households").fetchone()[0]
            self.connection.execute("COMMIT")
            self.households_seen.append(seen)
        except Exception as error:  # noqa: BLE001  (the test reports it)
            self.errors.append(repr(error))

    def __enter__(self):
        event.listen(db.session(), "after_commit", self.write)
        return self

    def __exit__(self, *exc):
        event.remove(db.session(), "after_commit", self.write)
        self.connection.close()


def test_an_import_commits_chunk_by_chunk_and_others_write_in_between(
    runner, tmp_path, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    path = write(tmp_path, HEADER + rows(10))
    with WriterElsewhere() as writer:
        result = import_file(runner, path)
    assert result.exit_code == 0, result.output
    assert writer.errors == []
    assert writer.households_seen == [3, 6, 9, 10]  # four transactions, each visible when done
    assert count() == 10


def test_the_command_line_import_shows_how_far_it_is(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    result = import_file(runner, write(tmp_path, HEADER + rows(7)))
    assert result.exit_code == 0, result.output
    assert "households" in result.stderr  # the stage is named (a bar on a terminal)


def test_an_import_reports_each_chunk_to_its_progress(app, monkeypatch, recorded_progress):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    raw = (HEADER + rows(7)).encode()
    imports.import_households(
        raw, by=None, after_chunk=db.session.commit, progress=recorded_progress
    )
    assert recorded_progress.stages == [("households", 7, [3, 3, 1])]
    assert count() == 7


def test_an_import_from_the_page_lets_others_write_between_chunks(auth, login_as, monkeypatch):
    login_as("staff")
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    auth.token()  # the requests before the import are not what is measured
    with WriterElsewhere() as writer:
        response = upload(auth, HEADER + rows(10))
    assert response.status_code == 200
    assert writer.errors == []
    # Each chunk is committed, and the lock released, before the next one begins.
    chunk_commits = [n for n in writer.households_seen if n > 0]
    assert chunk_commits[:4] == [3, 6, 9, 10]
    assert count() == 10


def test_a_write_elsewhere_while_a_chunk_is_checked_does_not_break_the_cli_import(
    runner, tmp_path, monkeypatch
):
    real_check, writer = imports.households.check, WriterElsewhere()

    def check_while_another_writes(data, household=None, by=None):
        writer.write(None)  # SQLite: refused at once while the chunk holds the write lock
        return real_check(data, household, by)

    monkeypatch.setattr(imports.households, "check", check_while_another_writes)
    result = import_file(runner, write(tmp_path, HEADER + rows(3)))
    writer.connection.close()
    assert result.exit_code == 0, result.output
    assert count() == 3


def test_importing_the_same_file_again_imports_nothing_twice(runner, tmp_path):
    path = write(tmp_path, HEADER + rows(7) + "NI-02-0003,3,NI-02,ซ้ำ ในไฟล์,,,,\n")
    assert import_file(runner, path).exit_code == 3  # the duplicate line
    households, events = count(), count(AuditEvent)
    again = import_file(runner, path)
    assert again.exit_code == 3
    assert "imported 0 households, 7 already imported" in again.output
    assert "line 9 (NI-02-0003): code: NI-02-0003 appears twice in the file." in again.output
    assert (count(), count(AuditEvent)) == (households, events)


def test_an_interrupted_import_finishes_when_the_file_is_imported_again(
    runner, tmp_path, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    path = write(tmp_path, HEADER + rows(10))
    real_import_chunk, calls = imports.import_chunk, []

    def fail_on_the_third_chunk(chunk, report, by):
        calls.append(chunk)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_import_chunk(chunk, report, by)

    monkeypatch.setattr(imports, "import_chunk", fail_on_the_third_chunk)
    import_file(runner, path)
    db.session.rollback()
    assert count() == 6
    monkeypatch.setattr(imports, "import_chunk", real_import_chunk)
    result = import_file(runner, path)
    assert result.exit_code == 0, result.output
    assert "imported 4 households, 6 already imported" in result.output
    assert count() == 10


def test_a_row_changed_since_its_import_is_rejected_and_the_household_kept(runner, tmp_path):
    import_file(runner, write(tmp_path, HEADER + rows(2)))
    changed = HEADER + rows(1) + "NI-02-0002,2,NI-02,ชื่อ ใหม่,0812345678,,,\n"
    result = import_file(runner, write(tmp_path, changed))
    assert result.exit_code == 3
    assert "imported 0 households, 1 already imported" in result.output
    assert (
        "line 3 (NI-02-0002): code: NI-02-0002 already exists with other details; "
        "change it on the household's page." in result.output
    )
    household = db.session.scalar(select(Household).where(Household.code == "NI-02-0002"))
    assert (household.head_name, household.phone) == ("ผู้นำเข้า 2", None)


def test_details_written_differently_but_stored_the_same_count_as_already_imported(
    runner, tmp_path
):
    first = HEADER + "NI-02-0001,1,NI-02,ก ข,081-234-5678,low_income;elderly,16.5,104.40\n"
    assert import_file(runner, write(tmp_path, first)).exit_code == 0
    same = HEADER + "ni-02-0001, 1 ,ni-02,ก ข,0812345678,ELDERLY;low_income,16.50,104.4\n"
    result = import_file(runner, write(tmp_path, same))
    assert result.exit_code == 0, result.output
    assert "imported 0 households, 1 already imported" in result.output


def test_the_page_shows_how_many_were_already_imported(auth, login_as):
    login_as("staff")
    upload(auth, HEADER + rows(2))
    events = count(AuditEvent)
    response = upload(auth, HEADER + rows(3))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 households imported." in page
    assert "2 households were already imported with the same details" in page
    assert count() == 3 and count(AuditEvent) == events + 1


def test_a_huge_field_refuses_the_file_and_names_its_line(runner, tmp_path, auth, login_as):
    csv = HEADER + rows(1) + "NI-02-0002,2,NI-02," + "x" * 200_000 + ",,,,\n"
    result = import_file(runner, write(tmp_path, csv))
    assert result.exit_code == 1
    assert "Line 3 has a value longer than 131,072 characters" in result.output
    assert "Traceback" not in result.output
    login_as("staff")
    response = upload(auth, csv)
    assert response.status_code == 400
    assert "Line 3 has a value longer than 131,072 characters" in response.get_data(as_text=True)
    assert count() == 0


@pytest.mark.parametrize("hidden", ["\x00", "\x0b", "\x1b", "\x7f"])
def test_a_hidden_control_character_rejects_its_row(runner, tmp_path, hidden):
    csv = HEADER + rows(1) + f'NI-02-0002,2,NI-02,"สม{hidden}ชาย",,,,\n' + rows(1, start=3)
    result = import_file(runner, write(tmp_path, csv))
    assert result.exit_code == 3, result.output
    code = f"U+{ord(hidden):04X}"
    assert (
        f"line 3 (NI-02-0002): head_name: Remove the hidden control character (code {code}) "
        "at position 3." in result.output
    )
    assert count() == 2


def test_a_nul_in_the_code_rejects_the_row_without_querying_it(runner, tmp_path):
    csv = HEADER + "NI-02-\x000001,1,NI-02,สม ชาย,,,,\n" + rows(1, start=2)
    result = import_file(runner, write(tmp_path, csv))
    assert result.exit_code == 3, result.output
    assert "line 2 (NI-02-\ufffd0001): code: Remove the hidden control character" in result.output
    assert count() == 1


def test_line_numbers_count_the_lines_of_quoted_values(runner, tmp_path):
    csv = HEADER + 'NI-02-0001,1,NI-02,"สม\nชาย",,,,\n' + "NI-02-0002,2,NI-99,ผิด หมู่,,,,\n"
    result = import_file(runner, write(tmp_path, csv))
    assert "line 4 (NI-02-0002): village:" in result.output


def test_control_problem_allows_tabs_and_line_breaks_only(app):
    for clean in ("สมชาย", "a\tb", "one\ntwo", "one\r\ntwo", "old\rmac", "", None):
        assert control_problem(clean) is None
    with force_locale("en"):
        assert str(control_problem("ab\x00")) == (
            "Remove the hidden control character (code U+0000) at position 3."
        )
        assert "U+001B" in str(control_problem("\x1b[31m"))
        assert str(control_problem("x\ud800")) == (
            "Remove the invalid character (code U+D800) at position 2."
        )
