"""consultations: a volunteer's questions about a household or case, staff's answers, reads

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("assistance_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(), nullable=False),
        sa.Column("last_author_id", sa.Integer(), nullable=True),
        sa.Column("waiting_since", sa.DateTime(), nullable=True),
        sa.Column("first_answer_at", sa.DateTime(), nullable=True),
        sa.Column("first_answer_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assistance_id"],
            ["assistances.id"],
            name=op.f("fk_message_threads_assistance_id_assistances"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_message_threads_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["last_author_id"], ["users.id"], name=op.f("fk_message_threads_last_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["areas.id"], name=op.f("fk_message_threads_village_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["users.id"], name=op.f("fk_message_threads_volunteer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_threads")),
    )
    with op.batch_alter_table("message_threads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_threads_village_created", ["village_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_message_threads_village_last", ["village_id", "last_message_at"], unique=False
        )
        batch_op.create_index(
            "ix_message_threads_village_waiting", ["village_id", "waiting_since"], unique=False
        )
        batch_op.create_index(
            "ix_message_threads_volunteer_last", ["volunteer_id", "last_message_at"], unique=False
        )

    op.create_table(
        "message_reads",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["message_threads.id"],
            name=op.f("fk_message_reads_thread_id_message_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "user_id", name=op.f("pk_message_reads")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["message_threads.id"],
            name=op.f("fk_messages_thread_id_message_threads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_messages_client_uuid")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_received_at"), ["received_at"], unique=False)
        batch_op.create_index(
            "ix_messages_thread_received", ["thread_id", "received_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_thread_received")
        batch_op.drop_index(batch_op.f("ix_messages_received_at"))

    op.drop_table("messages")
    op.drop_table("message_reads")
    with op.batch_alter_table("message_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_message_threads_volunteer_last")
        batch_op.drop_index("ix_message_threads_village_waiting")
        batch_op.drop_index("ix_message_threads_village_last")
        batch_op.drop_index("ix_message_threads_village_created")

    op.drop_table("message_threads")
