"""visit reference indexes: the case events and thanks that name a visit, found by it (removing
a visit at national size scanned every case event otherwise)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 23:25:00

"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_assistance_events_visit_id", "assistance_events", ["visit_id"], unique=False
    )
    op.create_index("ix_acknowledgements_visit_id", "acknowledgements", ["visit_id"], unique=False)


def downgrade():
    op.drop_index("ix_acknowledgements_visit_id", table_name="acknowledgements")
    op.drop_index("ix_assistance_events_visit_id", table_name="assistance_events")
