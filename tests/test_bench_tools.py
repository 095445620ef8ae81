"""The benchmark tools that run on request: the report keeps their sections, and the monthly
partition comparison measures what it says (on PostgreSQL)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bench import partitions, run
from pwa_app.extensions import db
from pwa_app.models import Visit
from pwa_app.services import demo


def test_a_full_report_keeps_the_national_section_run_on_request():
    report = "\n".join(
        [
            "# Benchmarks",
            run.SECTION_MARK.format("weight"),
            "## Weight, old",
            run.SECTION_MARK.format("national"),
            "## A whole country, measured last week",
            run.SECTION_MARK.format("sync"),
            "## Sync, old",
        ]
    )
    kept = run.kept_sections(report)
    assert len(kept) == 1
    assert kept[0].startswith(run.SECTION_MARK.format("national"))
    assert "A whole country, measured last week" in kept[0]
    assert "Sync, old" not in kept[0]
    assert "national" in run.SECTIONS and "national" in run.ON_REQUEST


def test_months_run_from_the_first_to_the_last_across_a_new_year():
    spans = list(partitions.months(datetime(2025, 11, 20), datetime(2026, 2, 1)))
    assert spans == [datetime(2025, 11, 1), datetime(2025, 12, 1), datetime(2026, 1, 1),
                     datetime(2026, 2, 1)]  # fmt: skip


def test_the_partition_comparison_copies_every_visit_and_cleans_up(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("declarative partitioning is PostgreSQL's")
    demo.seed(households=60, visits=900)
    db.session.commit()
    visits = db.session.scalar(select(func.count(Visit.id)))
    first = db.session.scalar(select(func.min(Visit.visited_at)))
    oldest_month = db.session.scalar(
        select(func.count(Visit.id)).where(
            Visit.visited_at
            < datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC)
        )
    )
    figures = partitions.measure(database_url.replace("postgresql+psycopg://", "postgresql://"))
    assert figures["partitions"] >= 6  # 180 days of visits, and room for the next months
    assert figures["retention"][2] == oldest_month
    assert all(size > 0 for size in figures["bytes"].values())
    assert [what for what, _a, _b in figures["reads"]] == [
        "visits per village this month (every village)",
        "one volunteer's visits this month",
        "a household's last 20 visits",
    ]
    # The app's own visits are untouched and the scratch schema is gone.
    db.session.rollback()
    assert db.session.scalar(select(func.count(Visit.id))) == visits
    schemas = db.session.execute(
        select(func.count())
        .select_from(db.text("information_schema.schemata"))
        .where(db.text("schema_name = :name")),
        {"name": partitions.SCHEMA},
    ).scalar()
    assert schemas == 0
