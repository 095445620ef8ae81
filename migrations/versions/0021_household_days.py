"""household days: the households below each area above the villages, per day of last visit
and archived or not, kept with the households (the coverage figures and map of a country's
dashboard add these rows up instead of counting a million households)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "household_days",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"]),
        sa.PrimaryKeyConstraint("area_id", "archived", "day"),
    )
    # The households already there, counted once (the app keeps them from now on).
    if op.get_bind().dialect.name == "postgresql":
        day, never = "CAST((h.last_visit_at + INTERVAL '7 hours') AS DATE)", "DATE '0001-01-01'"
    else:
        day, never = "date(h.last_visit_at, '+7 hours')", "'0001-01-01'"
    op.execute(
        "INSERT INTO household_days (area_id, archived, day, households) "
        f"SELECT p.ancestor_id, h.archived, COALESCE({day}, {never}), COUNT(*) "
        "FROM households h JOIN area_paths p ON p.area_id = h.village_id "
        "WHERE p.ancestor_id != p.area_id "
        f"GROUP BY p.ancestor_id, h.archived, COALESCE({day}, {never})"
    )


def downgrade():
    op.drop_table("household_days")
