"""organisations (centres and provincial offices) covering areas; every user belongs to one

The first organisation is the one the app was configured for (ORG_CODE, ORG_NAME_TH,
ORG_NAME_EN, ORG_PHONE): the Mukdahan centre, covering the province MDH. Every existing user
joins it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DEFAULTS = {
    "ORG_CODE": "MDH",
    "ORG_NAME_TH": "ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร",
    "ORG_NAME_EN": "Protection Center for the Destitute, Mukdahan",
    "ORG_PHONE": "042-611-364",
}
PROVINCE = "MDH"  # migration 0002's province


def setting(name):
    """Return a configured value, or the demo's when migrating without the app."""
    return current_app.config.get(name, DEFAULTS[name]) if has_app_context() else DEFAULTS[name]


def upgrade():
    organisations = op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_th", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
    )
    op.create_table(
        "org_areas",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_org_areas_area_id_areas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_org_areas_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "area_id", name=op.f("pk_org_areas")),
    )
    with op.batch_alter_table("org_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_areas_area_id"), ["area_id"], unique=False)

    bind = op.get_bind()
    bind.execute(
        organisations.insert().values(
            code=setting("ORG_CODE"),
            name_th=setting("ORG_NAME_TH"),
            name_en=setting("ORG_NAME_EN"),
            phone=setting("ORG_PHONE"),
            created_at=sa.func.current_timestamp(),
        )
    )
    org_id = bind.scalar(sa.text("SELECT id FROM organisations"))
    bind.execute(
        sa.text(
            "INSERT INTO org_areas (org_id, area_id) SELECT :org, id FROM areas WHERE code = :code"
        ),
        {"org": org_id, "code": PROVINCE},
    )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE users SET org_id = :org"), {"org": org_id})
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("org_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_users_org_id"), ["org_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_org_id_organisations"), "organisations", ["org_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_org_id_organisations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_org_id"))
        batch_op.drop_column("org_id")
    with op.batch_alter_table("org_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_areas_area_id"))
    op.drop_table("org_areas")
    op.drop_table("organisations")
