"""Recognition: the badge catalogue, awards anyone can verify, and staff thanks."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.people import User
from pwa_app.models.visits import Visit


class Badge(db.Model):
    """A badge in the catalogue: an automatic milestone or a staff-awarded 4S badge."""

    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "auto" or "staff"
    rule: Mapped[str | None] = mapped_column(String(40))
    threshold: Mapped[int | None] = mapped_column(Integer)
    name_th: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, locale="th"):
        """Return the badge's name in the given language."""
        return self.name_en if locale == "en" else self.name_th


class Award(db.Model):
    """A badge given to a volunteer, with a public id anyone can verify."""

    __tablename__ = "awards"
    __table_args__ = (Index("ix_awards_volunteer_awarded", "volunteer_id", "awarded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("badges.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    citation: Mapped[str] = mapped_column(Text, default="")
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set for automatic awards only ("badge:volunteer"), so a rule never awards twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    badge: Mapped[Badge] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    awarded_by: Mapped[User | None] = relationship(foreign_keys=[awarded_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])


class Acknowledgement(db.Model):
    """A staff member's thanks to a volunteer, on a visit or for their work."""

    __tablename__ = "acknowledgements"
    __table_args__ = (Index("ix_acknowledgements_volunteer_created", "volunteer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id])
    visit: Mapped[Visit | None] = relationship()
