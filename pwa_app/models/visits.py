"""Home visits and what was found on them."""

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.households import Household
from pwa_app.models.people import User


class Visit(db.Model):
    """One home visit by a volunteer; client_uuid makes a replayed sync harmless."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_household_visited", "household_id", "visited_at"),
        Index("ix_visits_volunteer_visited", "volunteer_id", "visited_at"),
        Index("ix_visits_visited_at", "visited_at"),
        Index("ix_visits_updated_at", "updated_at"),
        # The dashboard's period figures read only this index (live visits only).
        Index(
            "ix_visits_live_period",
            "visited_at",
            "village_id",
            "household_id",
            "volunteer_id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_visits_live_village_period",
            "village_id",
            "visited_at",
            "volunteer_id",
            "household_id",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(Uuid(as_uuid=False), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    # Where the visit happened (the household's village then): area figures need no join.
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    wellbeing: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    confirmed_by_household_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A fingerprint of what the client sent, to tell a replay from a reused client_uuid.
    payload_hash: Mapped[str | None] = mapped_column(String(64))

    household: Mapped[Household] = relationship()
    volunteer: Mapped[User] = relationship()
    need_rows = relationship("VisitNeed", cascade="all, delete-orphan", order_by="VisitNeed.need")

    @property
    def needs(self):
        """Return the codes of the needs found on this visit."""
        return [row.need for row in self.need_rows]


class VisitDay(db.Model):
    """How many live visits a village had on a day (Thai calendar), kept by the visits service.

    Period totals, the visits-over-time chart and the per-village chart read this small table
    instead of counting a million visits.
    """

    __tablename__ = "visit_days"
    __table_args__ = (
        # A few villages' days read from this index alone, rather than every village's days.
        Index("ix_visit_days_village_day", "village_id", "day", "visits"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)


class AreaDay(db.Model):
    """How many live visits the villages below a subdistrict, district or province had on a
    day: visit_days rolled up the tree, kept with it (services/visit_days), so that a country's
    figures per province read a few thousand rows instead of every village's."""

    __tablename__ = "area_days"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)


class VisitNeed(db.Model):
    """One need (food, health, ...) found on a visit; a row each so SQL can count them."""

    __tablename__ = "visit_needs"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    need: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)
