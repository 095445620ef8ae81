"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Area, Badge, WelfareProgram
from pwa_app.models.knowledge import is_search_index


def test_upgraded_database_matches_the_models(app):
    # The search index (FTS5 on SQLite, pg_trgm on PostgreSQL) is made by its migration alone.
    def described(name, type_, _parents):
        return not is_search_index(name, type_)

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": described}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_reference_data_is_in_place(app):
    codes = set(db.session.scalars(select(Area.code)))
    assert {"MDH", "MDH-KCI", "NI", "BL", "NI-01", "BL-06"} <= codes
    assert db.session.scalar(select(func.count(Area.id)).where(Area.level == "village")) == 13
    programs = set(db.session.scalars(select(WelfareProgram.code)))
    assert {
        "old_age_allowance",
        "disability_allowance",
        "state_welfare_card",
        "refer_shelter",
    } <= programs
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


def test_migrations_keep_the_rows_of_tables_they_rebuild(tmp_path):
    """SQLite rebuilds a changed table by copying it; nothing that refers to it may be lost."""
    import uuid
    from datetime import UTC, date, datetime

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from pwa_app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "migrations",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db",
        }
    )

    def add(connection, name, **given):
        """Insert a row, filling every other required column with a plain value."""
        table = sa.Table(name, sa.MetaData(), autoload_with=connection)
        row = dict(given)
        for column in table.columns:
            if column.name in row or column.nullable or column.primary_key:
                continue
            kind = column.type.python_type if not isinstance(column.type, sa.JSON) else dict
            row[column.name] = {
                str: "x",
                int: 0,
                bool: False,
                dict: {},
                datetime: datetime.now(UTC).replace(tzinfo=None),
                date: date.today(),
            }[kind]
        return connection.execute(table.insert().values(row)).inserted_primary_key[0]

    def count(name):
        with db.engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar()

    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            village = connection.execute(
                sa.text("SELECT id FROM areas WHERE code = 'NI-01'")
            ).scalar()
            program = connection.execute(sa.text("SELECT id FROM welfare_programs")).first()[0]
            user = add(connection, "users", phone="0811111111", role="volunteer")
            household = add(
                connection, "households", code="NI-01-0001", village_id=village, qr_token="t" * 22
            )
            visit = add(
                connection,
                "visits",
                household_id=household,
                volunteer_id=user,
                client_uuid=str(uuid.uuid4()),
            )
            add(connection, "visit_needs", visit_id=visit, need="food")
            case = add(
                connection,
                "assistances",
                household_id=household,
                program_id=program,
                status="received",
            )
            add(connection, "assistance_events", assistance_id=case, to_status="received")
            add(connection, "help_requests", household_id=household, status="new")
        upgrade()
        kept = {
            name: count(name)
            for name in (
                "visit_needs",
                "assistance_events",
                "assistances",
                "help_requests",
                "visits",
            )
        }
        assert kept == dict.fromkeys(kept, 1)
        with db.engine.connect() as connection:
            assert (
                connection.execute(sa.text("SELECT village_id FROM assistances")).scalar()
                == village
            )
        downgrade(revision="0003")
        assert count("visit_needs") == count("assistance_events") == 1
        upgrade()
        assert count("visit_needs") == count("assistance_events") == 1
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def load_migration(filename):
    """Import one migration's module, to run its functions on the test database."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(path.stem, path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_locations_stored_as_infinity_are_cleared(app, create_user, create_household, create_visit):
    """Migration 0007: infinities stored before they were refused become "no location"."""
    import sqlalchemy as sa

    migration = load_migration("0007_finite_locations.py")
    volunteer = create_user("volunteer")
    household = create_household("NI-01")
    broken, fine = create_visit(household, volunteer), create_visit(household, volunteer)
    db.session.execute(
        sa.update(type(broken))
        .where(type(broken).id == broken.id)
        .values(lat=16.5, lon=104.7, accuracy_m=float("inf"))
    )
    db.session.execute(
        sa.update(type(fine))
        .where(type(fine).id == fine.id)
        .values(lat=16.5, lon=104.7, accuracy_m=12.0)
    )
    db.session.execute(sa.update(type(household)).values(lat=float("-inf"), lon=104.7))
    for statement in migration.statements():
        db.session.execute(sa.text(statement))
    db.session.commit()
    db.session.expire_all()
    assert (broken.lat, broken.lon, broken.accuracy_m) == (None, None, None)
    assert (fine.lat, fine.lon, fine.accuracy_m) == (16.5, 104.7, 12.0)
    assert (household.lat, household.lon) == (None, None)


def test_duplicate_open_cases_are_merged_into_the_one_furthest_along(app, create_household):
    """Migration 0008: of a programme's open cases, the one furthest along stays (the referral
    being followed up); the others are withdrawn, their history saying which case they joined.
    Run in a transaction that is rolled back."""
    from datetime import timedelta

    import sqlalchemy as sa

    from pwa_app.models import Assistance, AssistanceEvent, Member
    from pwa_app.models.base import utcnow

    migration = load_migration("0008_one_open_case.py")
    household, neighbour = create_household("NI-01"), create_household("NI-01")
    member = Member(household=household, name="ทองดี ใจดี")
    db.session.add(member)
    db.session.commit()
    programs = dict(db.session.execute(sa.select(WelfareProgram.code, WelfareProgram.id)).all())
    start = utcnow() - timedelta(days=30)
    rows = [  # (name, household, programme, member, status, days after start)
        ("oldest", household, "old_age_allowance", None, "applied", 0),
        ("later", household, "old_age_allowance", None, "identified", 2),
        ("kept", household, "old_age_allowance", None, "referred", 5),
        ("for a member", household, "old_age_allowance", member, "applied", 3),
        ("closed", household, "old_age_allowance", None, "received", 1),
        ("other programme", household, "refer_health", None, "referred", 4),
        ("neighbour", neighbour, "old_age_allowance", None, "applied", 6),
    ]
    cases, events = Assistance.__table__, AssistanceEvent.__table__
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            for name, *_ in migration.INDEXES:
                connection.execute(sa.text(f"DROP INDEX {name}"))
            ids = {}
            for name, owner, program, person, status, days in rows:
                ids[name] = connection.execute(
                    cases.insert().values(
                        household_id=owner.id,
                        village_id=owner.village_id,
                        program_id=programs[program],
                        member_id=person.id if person else None,
                        status=status,
                        next_follow_up=utcnow().date(),
                        opened_at=start + timedelta(days=days),
                    )
                ).inserted_primary_key[0]
            migration.merge_duplicates(connection)
            for index in cases.indexes:
                if index.name in {name for name, *_ in migration.INDEXES}:
                    index.create(connection)  # builds: no duplicate is left
            statuses = dict(connection.execute(sa.select(cases.c.id, cases.c.status)).all())
            merged = connection.execute(
                sa.select(cases.c.id, cases.c.closed_at, cases.c.next_follow_up).where(
                    cases.c.id.in_([ids["later"], ids["oldest"]])
                )
            ).all()
            notes = dict(
                connection.execute(
                    sa.select(events.c.assistance_id, events.c.note).where(
                        events.c.to_status == "withdrawn"
                    )
                ).all()
            )
        finally:
            transaction.rollback()
    assert {name: statuses[ids[name]] for name in ids} == {
        "oldest": "withdrawn",
        "later": "withdrawn",
        "kept": "referred",
        "for a member": "applied",
        "closed": "received",
        "other programme": "referred",
        "neighbour": "applied",
    }
    assert all(closed_at is not None and follow_up is None for _id, closed_at, follow_up in merged)
    assert set(notes) == {ids["later"], ids["oldest"]}
    assert all(f"#{ids['kept']}" in note for note in notes.values())
