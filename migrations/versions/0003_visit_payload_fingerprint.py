"""visit payload fingerprint, and an index for "what changed since"

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:28:20

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_visits_updated_at", ["updated_at"], unique=False)
    op.execute("UPDATE visits SET updated_at = received_at WHERE updated_at IS NULL")


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_updated_at")
        batch_op.drop_column("payload_hash")
