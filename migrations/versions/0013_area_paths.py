"""area_paths: each area with every area at or above it, so that scoping is an index range

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# An area is its own path's first step; a tree of four levels has at most three above it.
FILL = """
INSERT INTO area_paths (ancestor_id, level, area_id)
SELECT a.id, a.level, a.id FROM areas a
UNION ALL
SELECT a.parent_id, a.level, a.id FROM areas a WHERE a.parent_id IS NOT NULL
UNION ALL
SELECT p.parent_id, a.level, a.id FROM areas a JOIN areas p ON p.id = a.parent_id
WHERE p.parent_id IS NOT NULL
UNION ALL
SELECT g.parent_id, a.level, a.id FROM areas a JOIN areas p ON p.id = a.parent_id
JOIN areas g ON g.id = p.parent_id WHERE g.parent_id IS NOT NULL
"""


def upgrade():
    op.create_table(
        "area_paths",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["areas.id"],
            name=op.f("fk_area_paths_ancestor_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_area_paths_area_id_areas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "level", "area_id", name=op.f("pk_area_paths")),
    )
    with op.batch_alter_table("area_paths", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_paths_area_id"), ["area_id"], unique=False)
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table("area_paths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_paths_area_id"))
    op.drop_table("area_paths")
