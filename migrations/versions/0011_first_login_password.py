"""a password given to a new user once (a CSV import) must be changed at the first login

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 13:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as table:
        table.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("users") as table:
        table.drop_column("must_change_password")
