"""Announcements: news, trainings and meetings staff send to the volunteers of chosen areas."""

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.people import Area, Organisation, User

announcement_areas = Table(
    "announcement_areas",
    db.metadata,
    Column(
        "announcement_id",
        ForeignKey("announcements.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Announcement(db.Model):
    """One announcement to the volunteers of some of an organisation's areas."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_org_created", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12))  # news, training, meeting
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    event_on: Mapped[date | None] = mapped_column(Date)  # a training's or meeting's day
    event_time: Mapped[str | None] = mapped_column(String(5))  # "09:30", Thailand's time
    place: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organisation] = relationship()
    author: Mapped[User] = relationship()
    areas: Mapped[list[Area]] = relationship(secondary=announcement_areas, order_by=Area.code)


class AnnouncementRead(db.Model):
    """When a volunteer first opened an announcement."""

    __tablename__ = "announcement_reads"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
