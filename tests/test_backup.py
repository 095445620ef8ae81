"""Backups of SQLite while visits keep arriving; a restore has every acknowledged visit."""

import sqlite3
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from pwa_app.extensions import db
from pwa_app.services.backup import sqlite_backup


def test_backup_while_writing_then_restore_has_every_acknowledged_visit(
    app, runner, tmp_path, create_user, create_household, create_visit
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the online backup is SQLite's; PostgreSQL uses pg_dump")
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    for _ in range(50):
        create_visit(household, volunteer)
    source = db.engine.url.database
    ids = (household.id, household.village_id, volunteer.id)  # read here, not in the thread
    acknowledged, stop = [], threading.Event()

    def keep_writing():
        writer = sqlite3.connect(source, timeout=30)
        while not stop.is_set():
            client_uuid = uuid.uuid4().hex
            writer.execute(
                "INSERT INTO visits (client_uuid, household_id, village_id, volunteer_id, "
                "visited_at, received_at, kind, wellbeing, notes) VALUES (?, ?, ?, ?, "
                "datetime('now'), datetime('now'), 'routine', 'green', '')",
                (client_uuid, *ids),
            )
            writer.commit()
            acknowledged.append(client_uuid)  # the server would answer "created" now
        writer.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(acknowledged) >= 20, "the writer did not write"
    copy = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(copy)])
    acknowledged_before_copy_finished = len(acknowledged)
    stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    restored = create_engine(f"sqlite:///{copy}")
    with restored.connect() as connection:
        rows = set(connection.execute(text("SELECT client_uuid FROM visits")).scalars())
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    restored.dispose()
    # Everything acknowledged before the backup began is in it (50 + the first 20 at least).
    assert len(rows) >= 70
    assert set(acknowledged[:20]) <= {r.replace("-", "") for r in rows}
    assert len(rows) <= 50 + acknowledged_before_copy_finished


def test_backup_refuses_to_overwrite(runner, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "exists" in result.output
    assert target.read_text() == "keep me"


def test_backup_of_postgresql_points_to_pg_dump(runner, tmp_path):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL only")
    result = runner.invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code == 1 and "pg_dump" in result.output


def test_the_copy_is_a_working_database(app, tmp_path, create_household):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    create_household("NI-01")
    copy = tmp_path / "copy.db"
    sqlite_backup(db.engine.url.database, copy)
    connection = sqlite3.connect(copy)
    assert connection.execute("SELECT count(*) FROM households").fetchone()[0] == 1
    connection.close()


def test_a_large_database_is_copied_while_a_writer_never_pauses(tmp_path):
    """A copy in steps would start again at every commit between two steps, for ever."""
    source = tmp_path / "large.db"
    setup = sqlite3.connect(source)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, notes TEXT)")
    setup.executemany("INSERT INTO visits (notes) VALUES (?)", [("x" * 2000,)] * 6000)
    setup.commit()
    setup.close()
    stop, copied = threading.Event(), []

    def keep_writing():
        writer = sqlite3.connect(source, timeout=30)
        while not stop.is_set():
            writer.execute("INSERT INTO visits (notes) VALUES ('new')")
            writer.commit()
        writer.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    copier = threading.Thread(
        target=lambda: copied.append(sqlite_backup(source, tmp_path / "copy.db")), daemon=True
    )
    copier.start()
    copier.join(timeout=120)  # only a hang ceiling
    stop.set()
    writer.join()
    assert copied and copied[0] >= 6000
