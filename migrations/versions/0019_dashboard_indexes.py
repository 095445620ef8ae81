"""dashboard indexes: households, cases, case events and visits per day of a few villages,
each read from an index alone; areas by level

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
    op.create_index("ix_areas_level", "areas", ["level", "id"], unique=False)
    op.create_index(
        "ix_households_village_live_visit",
        "households",
        ["village_id", "archived", "last_visit_at"],
        unique=False,
    )
    op.create_index(
        "ix_visit_days_village_day", "visit_days", ["village_id", "day", "visits"], unique=False
    )
    op.create_index("ix_assistances_village_id", "assistances", ["village_id", "id"], unique=False)
    op.create_index(
        "ix_assistance_events_assistance_status",
        "assistance_events",
        ["assistance_id", "to_status", "at"],
        unique=False,
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
    op.drop_index("ix_assistance_events_assistance_status", table_name="assistance_events")
    op.drop_index("ix_assistances_village_id", table_name="assistances")
    op.drop_index("ix_visit_days_village_day", table_name="visit_days")
    op.drop_index("ix_households_village_live_visit", table_name="households")
    op.drop_index("ix_areas_level", table_name="areas")
