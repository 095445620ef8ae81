"""dashboard speed: volunteers' last visit, visits per village and day, past figures kept

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_visit_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_last_visit_at"), ["last_visit_at"], unique=False)
    op.execute(
        "UPDATE users SET last_visit_at = (SELECT MAX(visits.visited_at) FROM visits "
        "WHERE visits.volunteer_id = users.id AND visits.deleted_at IS NULL)"
    )
    op.create_index(
        "ix_visits_live_village_period",
        "visits",
        ["village_id", "visited_at"],
        unique=False,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "dashboard_cache",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dashboard_cache")),
    )
    op.create_index(
        op.f("ix_dashboard_cache_period_end"), "dashboard_cache", ["period_end"], unique=False
    )
    op.create_index(
        "ix_households_last_visit",
        "households",
        ["last_visit_at", "archived", "village_id"],
        unique=False,
    )
    op.create_index(
        "ix_assistance_events_by_user_status",
        "assistance_events",
        ["by_user_id", "to_status"],
        unique=False,
    )
    op.create_table(
        "visit_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["areas.id"], name=op.f("fk_visit_days_village_id_areas")
        ),
        sa.PrimaryKeyConstraint("day", "village_id", name=op.f("pk_visit_days")),
    )
    local_day = (
        "CAST((visited_at + INTERVAL '7 hours') AS DATE)"
        if op.get_bind().dialect.name == "postgresql"
        else "date(visited_at, '+7 hours')"
    )
    op.execute(
        f"INSERT INTO visit_days (day, village_id, visits) SELECT {local_day}, village_id, "
        f"COUNT(*) FROM visits WHERE deleted_at IS NULL GROUP BY {local_day}, village_id"
    )


def downgrade():
    op.drop_table("visit_days")
    op.drop_index("ix_assistance_events_by_user_status", table_name="assistance_events")
    op.drop_index("ix_households_last_visit", table_name="households")
    op.drop_index(op.f("ix_dashboard_cache_period_end"), table_name="dashboard_cache")
    op.drop_table("dashboard_cache")
    op.drop_index("ix_visits_live_village_period", table_name="visits")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_last_visit_at"))
        batch_op.drop_column("last_visit_at")
