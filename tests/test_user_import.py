"""A new subdistrict's volunteers from one CSV file, each with a password that works once."""

import re

from flask_babel import force_locale
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import User

HEADER = "phone,name,role,areas,org\n"
ONE_TIME = re.compile(r"line (\d+)\s+(\d+)\s+\w+\s+([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})")


def write(tmp_path, text):
    path = tmp_path / "users.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def run_import(runner, path):
    with force_locale("en"):
        return runner.invoke(args=["users", "import", str(path)])


def users():
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)))


def test_volunteers_are_created_with_passwords_shown_once(runner, tmp_path, app):
    before = users()
    csv = HEADER + "0891110001,คำพอง ศรีสุข,volunteer,NI-04 NI-05,MDH\n0891110002,จันทร์ ดีมาก,staff,,\n"
    result = run_import(runner, write(tmp_path, csv))
    assert result.exit_code == 0, result.output
    passwords = {phone: password for _line, phone, password in ONE_TIME.findall(result.output)}
    assert set(passwords) == {"0891110001", "0891110002"}
    assert "users" in result.stderr  # how far the import is (a bar on a terminal)
    assert users() == before + 2
    volunteer = db.session.scalar(select(User).where(User.phone == "0891110001"))
    assert volunteer.must_change_password and [a.code for a in volunteer.areas] == [
        "NI-04",
        "NI-05",
    ]

    again = run_import(runner, write(tmp_path, csv))
    assert again.exit_code == 0
    assert "2 already there" in again.output and not ONE_TIME.search(again.output)
    assert users() == before + 2


def test_the_first_login_asks_for_an_own_password_before_anything_else(
    runner, tmp_path, auth, client
):
    result = run_import(
        runner, write(tmp_path, HEADER + "0891110003,บุญมา ใจงาม,volunteer,NI-04,\n")
    )
    [(_line, phone, password)] = ONE_TIME.findall(result.output)
    assert auth.login(phone, password).status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/account/password")
    assert client.get("/api/v1/me").status_code == 403

    token = auth.token()
    changed = client.post(
        "/account/password",
        data={
            "current_password": password,
            "new_password": "ต้นข้าวเขียวขจี",
            "confirm_password": "ต้นข้าวเขียวขจี",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200  # logged in still, with their own password
    db.session.rollback()
    assert not db.session.scalar(select(User).where(User.phone == phone)).must_change_password


def test_bad_rows_are_reported_by_line_and_the_others_created(runner, tmp_path, create_user):
    create_user("volunteer", phone="0891110009")
    before = users()
    csv = (
        HEADER
        + "0891110004,สมใจ ดี,volunteer,NI-04,\n"  # line 2: created
        + "12345,ผิด เบอร์,volunteer,NI-04,\n"  # line 3: not a phone number
        + "0891110005,ไม่มี พื้นที่,volunteer,XX-99,\n"  # line 4: unknown area
        + "0891110004,ซ้ำ ในไฟล์,volunteer,NI-04,\n"  # line 5: twice in the file
        + "0891110009,มี แล้ว,staff,,\n"  # line 6: another account has it
        + "0891110006,ต่าง ศูนย์,volunteer,NI-04,KKN\n"  # line 7: unknown organisation
        + "0891110007,ไม่มี บทบาท,chief,,\n"  # line 8: no such role
    )
    result = run_import(runner, write(tmp_path, csv))
    assert result.exit_code == 3
    assert users() == before + 1
    for line in range(3, 9):
        assert f"line {line} " in result.output
    assert "on line 2 already" in result.output
    assert "Unknown organisation: KKN" in result.output


def test_a_file_without_the_header_is_refused_whole(runner, tmp_path):
    before = users()
    result = run_import(runner, write(tmp_path, "phone,name\n0891110008,ก ข\n"))
    assert result.exit_code == 1
    assert "role" in result.output and "areas" in result.output
    assert users() == before
