"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Area, Badge, WelfareProgram


def test_upgraded_database_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_reference_data_is_in_place(app):
    codes = set(db.session.scalars(select(Area.code)))
    assert {"MDH", "MDH-KCI", "NI", "BL", "NI-01", "BL-06"} <= codes
    assert db.session.scalar(select(func.count(Area.id)).where(Area.level == "village")) == 13
    programs = set(db.session.scalars(select(WelfareProgram.code)))
    assert {"old_age_allowance", "disability_allowance", "state_welfare_card", "refer_shelter"} <= programs
    badges = set(db.session.scalars(select(Badge.code)))
    assert {"safety", "smile", "smart", "sufficiency", "first_visit"} <= badges


def test_the_database_is_the_one_asked_for(app):
    import os

    if os.environ.get("REQUIRE_POSTGRESQL"):
        assert db.engine.dialect.name == "postgresql"
    if not os.environ.get("TEST_DATABASE_URL"):
        assert db.engine.dialect.name == "sqlite"


def test_sqlite_runs_with_wal_and_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
