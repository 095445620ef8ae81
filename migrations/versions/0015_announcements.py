"""announcements: news, trainings and meetings for the volunteers of chosen areas, and who read them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=True),
        sa.Column("event_time", sa.String(length=5), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_announcements_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_announcements_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_announcements_org_created", ["org_id", "created_at"], unique=False
        )

    op.create_table(
        "announcement_areas",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_areas_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_announcement_areas_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", "area_id", name=op.f("pk_announcement_areas")),
    )
    with op.batch_alter_table("announcement_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcement_areas_area_id"), ["area_id"], unique=False
        )

    op.create_table(
        "announcement_reads",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_reads_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_announcement_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", "user_id", name=op.f("pk_announcement_reads")),
    )
    with op.batch_alter_table("announcement_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcement_reads_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("announcement_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_reads_user_id"))

    op.drop_table("announcement_reads")
    with op.batch_alter_table("announcement_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_areas_area_id"))

    op.drop_table("announcement_areas")
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index("ix_announcements_org_created")

    op.drop_table("announcements")
