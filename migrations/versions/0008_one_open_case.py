"""one open case per household, programme and member: merge duplicates, then a unique index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
OPEN_CASE = "status IN ('identified', 'applied', 'referred')"
# (index, columns, rows): a case for the household as a whole, and a case for one member.
INDEXES = (
    (
        "uq_assistances_one_open",
        ["household_id", "program_id"],
        f"member_id IS NULL AND {OPEN_CASE}",
    ),
    ("uq_assistances_one_open_member", ["household_id", "program_id", "member_id"], OPEN_CASE),
)
NOTE = "Merged into case #{kept}: a second open case of the same programme. / รวมเข้ากับเรื่อง #{kept}"

assistances = sa.table(
    "assistances",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("next_follow_up", sa.Date),
    sa.column("updated_at", sa.DateTime),
    sa.column("closed_at", sa.DateTime),
)
events = sa.table(
    "assistance_events",
    sa.column("assistance_id", sa.Integer),
    sa.column("from_status", sa.String),
    sa.column("to_status", sa.String),
    sa.column("note", sa.Text),
    sa.column("at", sa.DateTime),
)


def duplicates(connection):
    """Return (id, status, id of the case kept) for each open case but the one kept of its kind.

    The case kept is the furthest along (referred, then applied, then identified), then the
    one changed last: it is the one a volunteer is following up.
    """
    rows = connection.execute(
        sa.text(
            "SELECT id, household_id, program_id, COALESCE(member_id, 0), status "
            f"FROM assistances WHERE {OPEN_CASE} ORDER BY "
            "CASE status WHEN 'referred' THEN 0 WHEN 'applied' THEN 1 ELSE 2 END, "
            "updated_at DESC, id DESC"
        )
    ).all()
    kept, found = {}, []
    for case_id, household_id, program_id, member_id, status in rows:
        key = (household_id, program_id, member_id)
        if key in kept:
            found.append((case_id, status, kept[key]))
        else:
            kept[key] = case_id
    return found


def merge_duplicates(connection):
    """Withdraw every later duplicate open case, its history saying which case it joined."""
    now = datetime.now(UTC).replace(tzinfo=None)  # (times are stored as naive UTC)
    for case_id, status, kept in duplicates(connection):
        connection.execute(
            assistances.update()
            .where(assistances.c.id == case_id)
            .values(status="withdrawn", next_follow_up=None, updated_at=now, closed_at=now)
        )
        connection.execute(
            events.insert().values(
                assistance_id=case_id,
                from_status=status,
                to_status="withdrawn",
                note=NOTE.format(kept=kept),
                at=now,
            )
        )


def upgrade():
    merge_duplicates(op.get_bind())
    for name, columns, rows in INDEXES:
        op.create_index(
            name,
            "assistances",
            columns,
            unique=True,
            sqlite_where=sa.text(rows),
            postgresql_where=sa.text(rows),
        )


def downgrade():
    # The merged cases stay withdrawn: their history says where they went.
    for name, _columns, _rows in INDEXES:
        op.drop_index(name, table_name="assistances")
