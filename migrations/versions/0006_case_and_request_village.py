"""area figures without joins: cases and help requests know their household's village

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = (
    ("assistances", "ix_assistances_village_opened", ["village_id", "opened_at"]),
    ("help_requests", "ix_help_requests_village_status", ["village_id", "status"]),
)


def upgrade():
    for table, index, columns in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("village_id", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET village_id = "
            f"(SELECT village_id FROM households WHERE households.id = {table}.household_id)"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("village_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_village_id_areas"), "areas", ["village_id"], ["id"]
            )
            batch_op.create_index(index, columns, unique=False)
    # The village's period figures (who visited, which households) read only the index.
    op.drop_index("ix_visits_live_village_period", table_name="visits")
    op.create_index(
        "ix_visits_live_village_period",
        "visits",
        ["village_id", "visited_at", "volunteer_id", "household_id"],
        unique=False,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_visits_live_village_period", table_name="visits")
    op.create_index(
        "ix_visits_live_village_period",
        "visits",
        ["village_id", "visited_at"],
        unique=False,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    for table, index, _columns in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_village_id_areas"), type_="foreignkey")
            batch_op.drop_column("village_id")
