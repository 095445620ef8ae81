"""Know-how pages: the model work process and a referral guide per programme, every version kept.

The search index is the database's own and is not described here: on SQLite an FTS5 table
(trigram tokenizer) kept in step by triggers, on PostgreSQL a pg_trgm GIN index over the
page's titles and text. Migration 0016 makes both; `is_search_index` names them so that the
schema check and autogenerate leave them be.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.people import User
from pwa_app.models.welfare import WelfareProgram

SLUG_MAX = 60
TITLE_MAX = 200
SEARCH_TABLE = "knowledge_fts"  # SQLite: the FTS5 table and its shadow tables start so
SEARCH_INDEX = "ix_knowledge_pages_search"  # PostgreSQL: the GIN trigram index


def is_search_index(name, type_):
    """Tell whether a table or index is the search index the migration made by hand."""
    if type_ == "table":
        return name == SEARCH_TABLE or name.startswith(f"{SEARCH_TABLE}_")
    return type_ == "index" and name == SEARCH_INDEX


class KnowledgePage(db.Model):
    """A page of know-how as it reads now; its versions keep every earlier text."""

    __tablename__ = "knowledge_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    # One guide per programme: the visit form links each case to it.
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("welfare_programs.id", ondelete="SET NULL"), unique=True
    )
    title_th: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body_th: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    # Both bodies as plain text (no Markdown marks between letters): what search reads.
    body_text: Mapped[str] = mapped_column(Text, default="")
    # Pinned pages first (the model work process), then the guides in programme order.
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    program: Mapped[WelfareProgram | None] = relationship()
    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list["KnowledgeVersion"]] = relationship(
        back_populates="page",
        cascade="all, delete-orphan",
        order_by="KnowledgeVersion.number.desc()",
        passive_deletes=True,
    )

    def title(self, language="th"):
        """Return the title in a language, else in the other."""
        return pick(self.title_th, self.title_en, language)


class KnowledgeVersion(db.Model):
    """One saved text of a page: its number, what it said, who saved it and when."""

    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("page_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("knowledge_pages.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("welfare_programs.id", ondelete="SET NULL")
    )
    title_th: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body_th: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    page: Mapped[KnowledgePage] = relationship(back_populates="versions")
    by_user: Mapped[User | None] = relationship()
    program: Mapped[WelfareProgram | None] = relationship()

    def title(self, language="th"):
        """Return the title in a language, else in the other."""
        return pick(self.title_th, self.title_en, language)


class KnowledgeSlug(db.Model):
    """Every address a page ever had: a slug is never given to another page, and an old one
    leads to the page it named."""

    __tablename__ = "knowledge_slugs"
    __table_args__ = (Index("ix_knowledge_slugs_page_id", "page_id"),)

    slug: Mapped[str] = mapped_column(String(SLUG_MAX), primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("knowledge_pages.id", ondelete="CASCADE"))


def pick(thai, english, language):
    """Return the text in the reader's language, falling back to the other."""
    first, second = (english, thai) if language == "en" else (thai, english)
    return first or second or ""
