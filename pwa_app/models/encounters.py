"""Encounters: a person in hardship found by a volunteer, with no household card to put it on."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.agencies import Agency
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.households import Household
from pwa_app.models.people import Area, User

CATEGORIES = (
    "homeless",
    "begging",
    "abandoned_elder",
    "child_at_risk",
    "violence",
    "mental_health",
    "other",
)
URGENCIES = ("normal", "urgent")
STATUSES = ("new", "assigned", "contacted", "referred", "closed")
SEXES = ("female", "male", "other")


class Encounter(db.Model):
    """One report of a person found in hardship: where, when, what was seen and done.

    The village is the reporter's village nearest the place (one of their areas), so staff see
    the encounters of their organisation's villages as they see its households.
    """

    __tablename__ = "encounters"
    __table_args__ = (
        Index("ix_encounters_village_status", "village_id", "status", "received_at"),
        Index("ix_encounters_reporter_seen", "reporter_id", "seen_at"),
        Index("ix_encounters_status_urgency", "status", "urgency", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    place: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    # The person, when known: none of it is required.
    person_name: Mapped[str | None] = mapped_column(String(120))
    person_age: Mapped[int | None] = mapped_column(Integer)
    person_sex: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="new")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A fingerprint of what the phone sent, to tell a replay from a reused client_uuid.
    payload_hash: Mapped[str | None] = mapped_column(String(64))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    village: Mapped[Area] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    agency: Mapped[Agency | None] = relationship()
    household: Mapped[Household | None] = relationship()
    events: Mapped[list["EncounterEvent"]] = relationship(
        back_populates="encounter",
        cascade="all, delete-orphan",
        order_by="EncounterEvent.at, EncounterEvent.id",
    )


class EncounterEvent(db.Model):
    """One step in an encounter's history: a status change, an assignment, a note."""

    __tablename__ = "encounter_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status_from: Mapped[str | None] = mapped_column(String(12))
    status_to: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))

    encounter: Mapped[Encounter] = relationship(back_populates="events")
    by: Mapped[User] = relationship(foreign_keys=[by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    agency: Mapped[Agency | None] = relationship()
    household: Mapped[Household | None] = relationship()
