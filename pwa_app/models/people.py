"""Areas (province to village), the organisations covering them and the people who use the app."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow

user_areas = Table(
    "user_areas",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# Every area with each area at or above it (itself included), and its level: "the villages
# below these areas" is then one index range, however large the country (services/area_paths).
area_paths = Table(
    "area_paths",
    db.metadata,
    Column("ancestor_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
    Column("level", String(12), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
    Column("ancestor_level", String(12), nullable=False),
    # An area's ancestor at a level: one seek (rolling villages up to their provinces).
    Index("ix_area_paths_area_id", "area_id", "ancestor_level", "ancestor_id"),
    # Every village beside its area at a level (the country's map by province).
    Index("ix_area_paths_rollup", "ancestor_level", "level", "ancestor_id", "area_id"),
)


class Area(db.Model):
    """A place in the hierarchy province → district → subdistrict → village."""

    __tablename__ = "areas"
    # The 77 provinces are looked up on every dashboard among 75,000 areas.
    __table_args__ = (Index("ix_areas_level", "level", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    village_no: Mapped[int | None] = mapped_column(Integer)
    name_th: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    # The Department of Provincial Administration's code, where known.
    official_code: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # A retired area keeps its code (never reused) and its history; pickers leave it out.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parent: Mapped["Area | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Area"]] = relationship(back_populates="parent", order_by="Area.code")

    def name(self, locale="th"):
        """Return the area's own name in the given language."""
        return self.name_en if locale == "en" else self.name_th

    @classmethod
    def in_use(cls):
        """Return the condition for areas not retired (what pickers offer)."""
        return cls.retired_at.is_(None)

    @property
    def retired(self):
        """Tell whether the area was retired."""
        return self.retired_at is not None

    def __repr__(self):
        return f"<Area {self.code}>"


class AreaChange(db.Model):
    """One change to an area (created, renamed, moved, located, retired), with before and after."""

    __tablename__ = "area_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)

    area: Mapped[Area] = relationship()
    user: Mapped["User | None"] = relationship()


org_areas = Table(
    "org_areas",
    db.metadata,
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(db.Model):
    """A centre or provincial office: it covers its areas and everything below them."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    areas: Mapped[list[Area]] = relationship(secondary=org_areas, order_by=Area.code)

    def name(self, locale="th"):
        """Return the organisation's name in the given language."""
        return self.name_en if locale == "en" else self.name_th

    def __repr__(self):
        return f"<Organisation {self.code}>"


class User(UserMixin, db.Model):
    """Someone who logs in: a volunteer, a staff member or an administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(15), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    preferred_language: Mapped[str | None] = mapped_column(String(5))
    # Set for a password handed over once (a CSV import): changed at the first login.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Rotated on logout and password change; sessions carry it, so old ones stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The volunteer's latest live visit, kept by the visits service (for "active volunteers").
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    areas: Mapped[list[Area]] = relationship(secondary=user_areas, order_by=Area.code)
    org: Mapped[Organisation] = relationship()

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    @property
    def first_name(self):
        """Return the first word of the display name, the only part households see."""
        return self.display_name.split()[0] if self.display_name.split() else ""

    def has_role(self, *roles):
        """Tell whether the user holds one of the given roles."""
        return self.role in roles

    def __repr__(self):
        return f"<User {self.id} {self.role}>"
