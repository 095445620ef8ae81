"""Welfare programmes and the cases of help (assistance) that follow a household."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow, village_follows_household
from pwa_app.models.households import Household, Member
from pwa_app.models.people import User
from pwa_app.models.visits import Visit
from pwa_app.vocab import OPEN_ASSISTANCE_STATUSES

# Open cases, for the partial indexes below (migration 0008 spells out the same).
OPEN_CASE = text("status IN (" + ", ".join(f"'{s}'" for s in OPEN_ASSISTANCE_STATUSES) + ")")
OPEN_HOUSEHOLD_CASE = text(f"member_id IS NULL AND {OPEN_CASE.text}")


class WelfareProgram(db.Model):
    """A kind of state welfare or referral a volunteer can help a household reach."""

    __tablename__ = "welfare_programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    agency_th: Mapped[str] = mapped_column(String(200), default="")
    agency_en: Mapped[str] = mapped_column(String(200), default="")
    is_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, locale="th"):
        """Return the programme's name in the given language."""
        return self.name_en if locale == "en" else self.name_th


@village_follows_household
class Assistance(db.Model):
    """A case of welfare help for a household, from identified to a closed outcome."""

    __tablename__ = "assistances"
    __table_args__ = (
        Index("ix_assistances_status_follow_up", "status", "next_follow_up"),
        Index("ix_assistances_program_status", "program_id", "status"),
        Index("ix_assistances_household", "household_id"),
        # The cases opened in a period, by programme and status, read from the index alone.
        Index("ix_assistances_opened", "opened_at", "program_id", "status", "village_id"),
        Index("ix_assistances_village_opened", "village_id", "opened_at"),
        # A few villages' cases by id, from this index alone (their events: AssistanceEvent).
        Index("ix_assistances_village_id", "village_id", "id"),
        # The dashboard's open referrals, counted from this index alone (a few of 700,000).
        Index(
            "ix_assistances_open_village",
            "village_id",
            "status",
            "program_id",
            "next_follow_up",
            sqlite_where=OPEN_CASE,
            postgresql_where=OPEN_CASE,
        ),
        # One open case per household, programme and member, so that two phones syncing at
        # once cannot both open it. Two plain partial indexes (a case for the household, a
        # case for one member) rather than one over coalesce(member_id, 0): SQLite cannot
        # reflect an index on an expression, and the schema check must see this one.
        Index(
            "uq_assistances_one_open",
            "household_id",
            "program_id",
            unique=True,
            sqlite_where=OPEN_HOUSEHOLD_CASE,
            postgresql_where=OPEN_HOUSEHOLD_CASE,
        ),
        Index(
            "uq_assistances_one_open_member",
            "household_id",
            "program_id",
            "member_id",
            unique=True,
            sqlite_where=OPEN_CASE,
            postgresql_where=OPEN_CASE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    # The household's village, kept in step with it: area figures need no join.
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    program_id: Mapped[int] = mapped_column(ForeignKey("welfare_programs.id"))
    status: Mapped[str] = mapped_column(String(15))
    next_follow_up: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()
    member: Mapped[Member | None] = relationship()
    program: Mapped[WelfareProgram] = relationship()
    opened_by: Mapped[User | None] = relationship()
    events: Mapped[list["AssistanceEvent"]] = relationship(
        back_populates="assistance", cascade="all, delete-orphan", order_by="AssistanceEvent.at"
    )


class AssistanceEvent(db.Model):
    """One status change of an assistance case: who, when, and from which visit."""

    __tablename__ = "assistance_events"
    __table_args__ = (
        Index("ix_assistance_events_assistance_at", "assistance_id", "at"),
        Index("ix_assistance_events_to_status_at", "to_status", "at"),
        # A few villages' cases reaching a status in a period, from the indexes alone.
        Index("ix_assistance_events_assistance_status", "assistance_id", "to_status", "at"),
        Index("ix_assistance_events_by_user_status", "by_user_id", "to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assistance_id: Mapped[int] = mapped_column(ForeignKey("assistances.id", ondelete="CASCADE"))
    # Indexed: removing a visit looks here for the events to unlink (a scan of every event
    # for each visit otherwise).
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(15))
    to_status: Mapped[str] = mapped_column(String(15))
    note: Mapped[str] = mapped_column(Text, default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assistance: Mapped[Assistance] = relationship(back_populates="events")
    by_user: Mapped[User | None] = relationship()
    visit: Mapped[Visit | None] = relationship()
