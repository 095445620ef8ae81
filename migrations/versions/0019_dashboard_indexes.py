"""dashboard indexes: households, open cases and visits per day, each per village from one index

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 22:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OPEN_CASE = "status IN ('identified', 'applied', 'referred')"


def upgrade():
    op.create_index(
        "ix_households_village_live_visit",
        "households",
        ["village_id", "archived", "last_visit_at"],
        unique=False,
    )
    op.create_index(
        "ix_visit_days_village_day", "visit_days", ["village_id", "day", "visits"], unique=False
    )
    op.create_index(
        "ix_assistances_open_village",
        "assistances",
        ["village_id", "status", "program_id", "next_follow_up"],
        unique=False,
        sqlite_where=sa.text(OPEN_CASE),
        postgresql_where=sa.text(OPEN_CASE),
    )


def downgrade():
    op.drop_index("ix_assistances_open_village", table_name="assistances")
    op.drop_index("ix_visit_days_village_day", table_name="visit_days")
    op.drop_index("ix_households_village_live_visit", table_name="households")
