"""Households on a QR card, their members, and the help they ask for from the card."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow, village_follows_household
from pwa_app.models.people import Area, User


class Household(db.Model):
    """A home a volunteer visits, identified by a human code and a secret QR token."""

    __tablename__ = "households"
    __table_args__ = (
        Index("ix_households_village_archived", "village_id", "archived"),
        Index("ix_households_volunteer", "assigned_volunteer_id"),
        Index("ix_households_village_last_visit", "village_id", "last_visit_at"),
        Index("ix_households_last_visit", "last_visit_at", "archived", "village_id"),
        # The dashboard counts households per village from this index alone, in village order.
        Index("ix_households_village_live_visit", "village_id", "archived", "last_visit_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    qr_token: Mapped[str] = mapped_column(String(64), unique=True)
    qr_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    house_no: Mapped[str] = mapped_column(String(20))
    address_extra: Mapped[str | None] = mapped_column(String(200))
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    head_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(15))
    consent_at: Mapped[date | None] = mapped_column(Date)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_scope: Mapped[str | None] = mapped_column(String(200))
    # Photos on a visit to this home need its consent to photography, recorded apart.
    consent_photos: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The latest live visit, kept by the visits service: lists and coverage read it directly.
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    village: Mapped[Area] = relationship()
    assigned_volunteer: Mapped[User | None] = relationship(foreign_keys=[assigned_volunteer_id])
    consent_recorded_by: Mapped[User | None] = relationship(foreign_keys=[consent_recorded_by_id])
    members: Mapped[list["Member"]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Member.id"
    )
    tag_rows = relationship(
        "HouseholdTag", cascade="all, delete-orphan", order_by="HouseholdTag.tag"
    )

    @property
    def tags(self):
        """Return the household's tag codes."""
        return [row.tag for row in self.tag_rows]

    def __repr__(self):
        return f"<Household {self.code}>"


class HouseholdDay(db.Model):
    """How many households below a subdistrict, district or province had their last visit on a
    Thai day, archived or not (never visited: on NEVER), kept with the households by
    services/household_days, so that a country's coverage figures and map add up tens of
    thousands of these rows instead of counting a million households."""

    __tablename__ = "household_days"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    archived: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)


class HouseholdTag(db.Model):
    """One tag (elderly, disability, ...) on a household."""

    __tablename__ = "household_tags"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


class Member(db.Model):
    """A person living in a household."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household] = relationship(back_populates="members")
    tag_rows = relationship("MemberTag", cascade="all, delete-orphan", order_by="MemberTag.tag")

    @property
    def tags(self):
        """Return the member's tag codes."""
        return [row.tag for row in self.tag_rows]


class MemberTag(db.Model):
    """One tag on a household member."""

    __tablename__ = "member_tags"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


@village_follows_household
class HelpRequest(db.Model):
    """A request for help sent from a household's public card page."""

    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_status_created", "status", "created_at"),
        Index("ix_help_requests_household_created", "household_id", "created_at"),
        Index("ix_help_requests_village_status", "village_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    # The household's village, kept in step with it: area figures need no join.
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    category: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(String(15))
    status: Mapped[str] = mapped_column(String(10), default="new")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    household: Mapped[Household] = relationship()
    seen_by: Mapped[User | None] = relationship(foreign_keys=[seen_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
