"""area_paths: each area beside every area at or above it (scoping as an index range), and
area_days: visits per day rolled up to subdistricts, districts and provinces

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

# An area is its own path's first step; a tree of four levels has at most three areas above.
FILL_PATHS = """
INSERT INTO area_paths (ancestor_id, level, area_id, ancestor_level)
SELECT a.id, a.level, a.id, a.level FROM areas a
UNION ALL
SELECT p.id, a.level, a.id, p.level FROM areas a JOIN areas p ON p.id = a.parent_id
UNION ALL
SELECT g.id, a.level, a.id, g.level FROM areas a JOIN areas p ON p.id = a.parent_id
JOIN areas g ON g.id = p.parent_id
UNION ALL
SELECT t.id, a.level, a.id, t.level FROM areas a JOIN areas p ON p.id = a.parent_id
JOIN areas g ON g.id = p.parent_id JOIN areas t ON t.id = g.parent_id
"""
FILL_DAYS = """
INSERT INTO area_days (area_id, day, visits)
SELECT p.ancestor_id, d.day, SUM(d.visits) FROM visit_days d
JOIN area_paths p ON p.area_id = d.village_id AND p.ancestor_id <> d.village_id
GROUP BY p.ancestor_id, d.day
"""


def upgrade():
    op.create_table(
        "area_paths",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("ancestor_level", sa.String(length=12), nullable=False),
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
        batch_op.create_index(
            "ix_area_paths_area_id", ["area_id", "ancestor_level", "ancestor_id"], unique=False
        )
        batch_op.create_index(
            "ix_area_paths_rollup",
            ["ancestor_level", "level", "ancestor_id", "area_id"],
            unique=False,
        )
    op.execute(FILL_PATHS)
    op.create_table(
        "area_days",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_area_days_area_id_areas")),
        sa.PrimaryKeyConstraint("area_id", "day", name=op.f("pk_area_days")),
    )
    op.execute(FILL_DAYS)


def downgrade():
    op.drop_table("area_days")
    with op.batch_alter_table("area_paths", schema=None) as batch_op:
        batch_op.drop_index("ix_area_paths_rollup")
        batch_op.drop_index("ix_area_paths_area_id")
    op.drop_table("area_paths")
