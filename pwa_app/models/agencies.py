"""Agencies: the offices a welfare case is referred to, the areas and programmes they serve."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.people import Area
from pwa_app.models.welfare import WelfareProgram

agency_areas = Table(
    "agency_areas",
    db.metadata,
    Column("agency_id", ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)
agency_programs = Table(
    "agency_programs",
    db.metadata,
    Column("agency_id", ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "program_id",
        ForeignKey("welfare_programs.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Agency(db.Model):
    """An office that handles welfare programmes for the areas it serves (and those below)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_th: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(15))
    address: Mapped[str] = mapped_column(Text, default="")
    # Set by the agencies service on every change, links included: the offline list's ETag.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    areas: Mapped[list[Area]] = relationship(secondary=agency_areas, order_by=Area.code)
    programs: Mapped[list[WelfareProgram]] = relationship(
        secondary=agency_programs, order_by=WelfareProgram.sort_order
    )

    def name(self, locale="th"):
        """Return the agency's name in the given language."""
        return self.name_en if locale == "en" else self.name_th
