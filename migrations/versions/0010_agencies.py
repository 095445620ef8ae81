"""agencies: the offices cases are referred to, the areas they serve, the programmes they handle

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00

The agencies seeded here are a starting list for administrators to correct at
/admin/agencies: the names are those of the real offices of Mukdahan and Khamcha-i, but the
phone numbers only follow the province's 042 landline format and are not verified; the
addresses are left for the centre to fill in. The programmes' old agency_th/agency_en text
stays readable; the agencies linked here replace its use.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# (name_th, name_en, kind, phone, areas served, programmes handled). Written out, not
# imported: a migration keeps meaning what it meant when it was written.
AGENCIES = [
    (
        "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดมุกดาหาร",
        "Mukdahan Provincial Office of Social Development and Human Security",
        "social_development",
        "042611001",
        ["MDH"],
        ["disability_card", "emergency_assistance", "home_repair"],
    ),
    (
        "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร",
        "Mukdahan Protection Centre for the Destitute",
        "protection_centre",
        "042611002",
        ["MDH"],
        ["refer_shelter"],
    ),
    (
        "ที่ว่าการอำเภอคำชะอี",
        "Khamcha-i District Office",
        "district_office",
        "042691001",
        ["MDH-KCI"],
        ["state_welfare_card"],
    ),
    (
        "โรงพยาบาลคำชะอี",
        "Khamcha-i Hospital",
        "hospital",
        "042691002",
        ["MDH-KCI"],
        ["refer_health"],
    ),
    (
        "สถานีตำรวจภูธรคำชะอี",
        "Khamcha-i Police Station",
        "police",
        "042691003",
        ["MDH-KCI"],
        [],
    ),
    (
        "องค์การบริหารส่วนตำบลหนองเอี่ยน (อบต.หนองเอี่ยน)",
        "Nong Ian Subdistrict Administrative Organisation",
        "subdistrict_admin",
        "042691101",
        ["NI"],
        ["old_age_allowance", "disability_allowance", "child_support_grant", "refer_local_gov"],
    ),
    (
        "องค์การบริหารส่วนตำบลบ้านเหล่า (อบต.บ้านเหล่า)",
        "Ban Lao Subdistrict Administrative Organisation",
        "subdistrict_admin",
        "042691201",
        ["BL"],
        ["old_age_allowance", "disability_allowance", "child_support_grant", "refer_local_gov"],
    ),
    (
        "โรงพยาบาลส่งเสริมสุขภาพตำบลหนองเอี่ยน (รพ.สต.หนองเอี่ยน)",
        "Nong Ian Subdistrict Health Promoting Hospital",
        "health_centre",
        "042691102",
        ["NI"],
        ["refer_health"],
    ),
    (
        "โรงพยาบาลส่งเสริมสุขภาพตำบลบ้านเหล่า (รพ.สต.บ้านเหล่า)",
        "Ban Lao Subdistrict Health Promoting Hospital",
        "health_centre",
        "042691202",
        ["BL"],
        ["refer_health"],
    ),
]


def upgrade():
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_th", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=15), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_th"),
    )
    op.create_table(
        "agency_areas",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agency_id", "area_id"),
    )
    op.create_index("ix_agency_areas_area_id", "agency_areas", ["area_id"])
    op.create_table(
        "agency_programs",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["program_id"], ["welfare_programs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agency_id", "program_id"),
    )
    op.create_index("ix_agency_programs_program_id", "agency_programs", ["program_id"])
    seed(op.get_bind())


def seed(bind):
    """Insert the starting agencies, linked to the areas and programmes that exist."""
    from datetime import UTC, datetime

    area_ids = dict(bind.execute(sa.text("SELECT code, id FROM areas")).all())
    program_ids = dict(bind.execute(sa.text("SELECT code, id FROM welfare_programs")).all())
    agencies = sa.table(
        "agencies",
        sa.column("name_th"),
        sa.column("name_en"),
        sa.column("kind"),
        sa.column("phone"),
        sa.column("address"),
        sa.column("updated_at", sa.DateTime()),
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC, like every time
    for name_th, name_en, kind, phone, areas, programs in AGENCIES:
        bind.execute(
            agencies.insert().values(
                name_th=name_th, name_en=name_en, kind=kind, phone=phone, address="",
                updated_at=now,
            )
        )  # fmt: skip
        agency_id = bind.execute(
            sa.text("SELECT id FROM agencies WHERE name_th = :name"), {"name": name_th}
        ).scalar_one()
        links = [("agency_areas", "area_id", area_ids.get(code)) for code in areas] + [
            ("agency_programs", "program_id", program_ids.get(code)) for code in programs
        ]
        for table, column, target in links:
            if target is not None:  # a database whose areas were changed before this ran
                bind.execute(
                    sa.text(f"INSERT INTO {table} (agency_id, {column}) VALUES (:a, :t)"),
                    {"a": agency_id, "t": target},
                )


def downgrade():
    op.drop_index("ix_agency_programs_program_id", table_name="agency_programs")
    op.drop_table("agency_programs")
    op.drop_index("ix_agency_areas_area_id", table_name="agency_areas")
    op.drop_table("agency_areas")
    op.drop_table("agencies")
