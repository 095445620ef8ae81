"""knowledge: pages of know-how with every version kept, their addresses, and a Thai search

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00

Seeds the model work process of Nong Ian and Ban Lao, a page on coordinating referrals, and a
referral guide for each programme of migration 0002, in Thai and English, from the Markdown
files in migrations/data/knowledge/. They are a starting text for the centre to check and
keep current in the app (amounts and rules change with government policy); the agencies and
their phones are not copied into them: the pages show them from the agencies directory.

The search index is the database's own. SQLite: an FTS5 table with the trigram tokenizer,
kept in step with the pages by triggers (a later migration that rebuilds knowledge_pages in
batch mode must create them again). PostgreSQL: pg_trgm and a GIN trigram index over the
titles and the text. Downgrading leaves the pg_trgm extension installed.
"""

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from markdown_it import MarkdownIt

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CONTENT = Path(__file__).resolve().parent.parent / "data" / "knowledge"

# (slug, programme code, sort order, Thai title, English title)
PAGES = [
    (
        "model-work-process",
        None,
        0,
        "กระบวนการทำงานของ อพม. ต้นแบบ ตำบลหนองเอี่ยนและตำบลบ้านเหล่า",
        "The model work process of the volunteers of Nong Ian and Ban Lao",
    ),
    (
        "how-to-refer",
        None,
        1,
        "การประสานส่งต่อให้ได้ผล",
        "Referrals that work",
    ),
    (
        "old-age-allowance",
        "old_age_allowance",
        10,
        "เบี้ยยังชีพผู้สูงอายุ: ใครมีสิทธิ์และวิธีลงทะเบียน",
        "Old-age allowance: who qualifies and how to register",
    ),
    (
        "disability-allowance",
        "disability_allowance",
        10,
        "เบี้ยความพิการ: ใครมีสิทธิ์และวิธีลงทะเบียน",
        "Disability allowance: who qualifies and how to register",
    ),
    (
        "disability-card",
        "disability_card",
        10,
        "บัตรประจำตัวคนพิการ: วิธีทำบัตร",
        "Disability ID card: how to get one",
    ),
    (
        "child-support-grant",
        "child_support_grant",
        10,
        "เงินอุดหนุนเพื่อการเลี้ยงดูเด็กแรกเกิด: วิธีลงทะเบียน",
        "Child support grant: how to register",
    ),
    (
        "state-welfare-card",
        "state_welfare_card",
        10,
        "บัตรสวัสดิการแห่งรัฐ: ใครมีสิทธิ์และลงทะเบียนเมื่อไร",
        "State welfare card: who qualifies and when to register",
    ),
    (
        "emergency-assistance",
        "emergency_assistance",
        10,
        "เงินสงเคราะห์ผู้ประสบปัญหาทางสังคม: วิธีขอความช่วยเหลือ",
        "Emergency assistance for people in social hardship: how to ask",
    ),
    (
        "home-repair",
        "home_repair",
        10,
        "ปรับสภาพที่อยู่อาศัย: วิธีขอรับความช่วยเหลือ",
        "Home repair and adaptation: how to ask",
    ),
    (
        "refer-shelter",
        "refer_shelter",
        10,
        "ส่งต่อศูนย์คุ้มครองคนไร้ที่พึ่ง: วิธีประสานส่งต่อ",
        "Referral to the Protection Center for the Destitute: how to refer",
    ),
    (
        "refer-health",
        "refer_health",
        10,
        "ส่งต่อหน่วยบริการสาธารณสุข: วิธีประสานส่งต่อ",
        "Referral to health services: how to refer",
    ),
    (
        "refer-local-gov",
        "refer_local_gov",
        10,
        "ส่งต่อองค์กรปกครองส่วนท้องถิ่น: วิธีประสานส่งต่อ",
        "Referral to local government: how to refer",
    ),
]

FTS_TRIGGERS = {
    "knowledge_fts_insert": """
        CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_pages BEGIN
          INSERT INTO knowledge_fts (rowid, title, body)
          VALUES (new.id, new.title_th || ' ' || new.title_en, new.body_text);
        END""",
    "knowledge_fts_update": """
        CREATE TRIGGER knowledge_fts_update
        AFTER UPDATE OF title_th, title_en, body_text ON knowledge_pages BEGIN
          DELETE FROM knowledge_fts WHERE rowid = old.id;
          INSERT INTO knowledge_fts (rowid, title, body)
          VALUES (new.id, new.title_th || ' ' || new.title_en, new.body_text);
        END""",
    "knowledge_fts_delete": """
        CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_pages BEGIN
          DELETE FROM knowledge_fts WHERE rowid = old.id;
        END""",
}


def upgrade():
    op.create_table(
        "knowledge_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("title_th", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_th", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["welfare_programs.id"],
            name=op.f("fk_knowledge_pages_program_id_welfare_programs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_knowledge_pages_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_pages")),
        sa.UniqueConstraint("program_id", name=op.f("uq_knowledge_pages_program_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_knowledge_pages_slug")),
    )
    op.create_table(
        "knowledge_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("title_th", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_th", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["users.id"],
            name=op.f("fk_knowledge_versions_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["knowledge_pages.id"],
            name=op.f("fk_knowledge_versions_page_id_knowledge_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["welfare_programs.id"],
            name=op.f("fk_knowledge_versions_program_id_welfare_programs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_versions")),
        sa.UniqueConstraint("page_id", "number", name=op.f("uq_knowledge_versions_page_id")),
    )
    op.create_table(
        "knowledge_slugs",
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["knowledge_pages.id"],
            name=op.f("fk_knowledge_slugs_page_id_knowledge_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_knowledge_slugs")),
    )
    op.create_index("ix_knowledge_slugs_page_id", "knowledge_slugs", ["page_id"])
    bind = op.get_bind()
    create_search_index(bind)
    seed(bind)


def create_search_index(bind):
    """The trigram index: FTS5 and its triggers on SQLite, pg_trgm's GIN on PostgreSQL."""
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_knowledge_pages_search ON knowledge_pages USING gin "
            "(title_th gin_trgm_ops, title_en gin_trgm_ops, body_text gin_trgm_ops)"
        )
        return
    op.execute("CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, body, tokenize='trigram')")
    for statement in FTS_TRIGGERS.values():
        op.execute(statement)


BLOCK_TAG = re.compile(r"</?(?:p|li|h\d|tr|td|th|br|div|pre|blockquote|ul|ol|table)\b[^>]*>")
ANY_TAG = re.compile(r"<[^>]+>")


def plain_text(markdown):
    """Return a Markdown text's words as search reads them (marks out, blocks apart)."""
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return " ".join(unescape(ANY_TAG.sub("", BLOCK_TAG.sub(" ", html))).split())


def seed(bind):
    """Insert the starting pages as their first versions, linked to the programmes there are."""
    program_ids = dict(bind.execute(sa.text("SELECT code, id FROM welfare_programs")).all())
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC, like every time
    pages = sa.table(
        "knowledge_pages",
        *(sa.column(name) for name in ("slug", "program_id", "title_th", "title_en", "body_th")),
        *(sa.column(name) for name in ("body_en", "body_text", "sort_order", "version")),
        sa.column("created_at", sa.DateTime()),
        sa.column("updated_at", sa.DateTime()),
    )
    versions = sa.table(
        "knowledge_versions",
        *(sa.column(name) for name in ("page_id", "number", "slug", "program_id", "title_th")),
        *(sa.column(name) for name in ("title_en", "body_th", "body_en")),
        sa.column("at", sa.DateTime()),
    )
    for slug, program, order, title_th, title_en in PAGES:
        body_th = (CONTENT / f"{slug}.th.md").read_text("utf-8").strip()
        body_en = (CONTENT / f"{slug}.en.md").read_text("utf-8").strip()
        texts = {"title_th": title_th, "title_en": title_en, "body_th": body_th, "body_en": body_en}
        program_id = program_ids.get(program)
        bind.execute(
            pages.insert().values(
                slug=slug, program_id=program_id, sort_order=order, version=1, created_at=now,
                updated_at=now, body_text=f"{plain_text(body_th)} {plain_text(body_en)}", **texts,
            )
        )  # fmt: skip
        page_id = bind.execute(
            sa.text("SELECT id FROM knowledge_pages WHERE slug = :slug"), {"slug": slug}
        ).scalar_one()
        bind.execute(
            versions.insert().values(
                page_id=page_id, number=1, slug=slug, program_id=program_id, at=now, **texts
            )
        )
        bind.execute(
            sa.text("INSERT INTO knowledge_slugs (slug, page_id) VALUES (:slug, :page)"),
            {"slug": slug, "page": page_id},
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_knowledge_pages_search")
    else:
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    op.drop_index("ix_knowledge_slugs_page_id", table_name="knowledge_slugs")
    op.drop_table("knowledge_slugs")
    op.drop_table("knowledge_versions")
    op.drop_table("knowledge_pages")
