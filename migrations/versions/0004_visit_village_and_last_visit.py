"""visits know their village; households know their last visit; a covering index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_visit_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_households_village_last_visit", ["village_id", "last_visit_at"], unique=False
        )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("village_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE visits SET village_id = "
        "(SELECT village_id FROM households WHERE households.id = visits.household_id)"
    )
    op.execute(
        "UPDATE households SET last_visit_at = (SELECT MAX(visits.visited_at) FROM visits "
        "WHERE visits.household_id = households.id AND visits.deleted_at IS NULL)"
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.alter_column("village_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_visits_village_id_areas"), "areas", ["village_id"], ["id"]
        )
        batch_op.create_index(
            "ix_visits_live_period",
            ["visited_at", "village_id", "household_id", "volunteer_id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_live_period")
        batch_op.drop_constraint(batch_op.f("fk_visits_village_id_areas"), type_="foreignkey")
        batch_op.drop_column("village_id")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_village_last_visit")
        batch_op.drop_column("last_visit_at")
