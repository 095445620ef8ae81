"""areas managed by admins: official codes, coordinates, retirement and a history of changes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("official_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(), nullable=True))
    op.create_table(
        "area_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_area_changes_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_area_changes_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_changes")),
    )
    with op.batch_alter_table("area_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_changes_area_id"), ["area_id"], unique=False)


def downgrade():
    with op.batch_alter_table("area_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_changes_area_id"))
    op.drop_table("area_changes")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("lon")
        batch_op.drop_column("lat")
        batch_op.drop_column("official_code")
