"""cases opened index: the cases opened in a period counted by programme and status from an
index alone (the country's quarter read every case's row otherwise)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 06:10:00

"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_assistances_opened",
        "assistances",
        ["opened_at", "program_id", "status", "village_id"],
        unique=False,
    )
    op.drop_index("ix_assistances_opened_at", table_name="assistances")


def downgrade():
    op.create_index("ix_assistances_opened_at", "assistances", ["opened_at"], unique=False)
    op.drop_index("ix_assistances_opened", table_name="assistances")
