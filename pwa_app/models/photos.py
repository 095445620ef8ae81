"""Photos of a home visit or an encounter: the row here, the image file in the photo store."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.people import User

ITEM_KINDS = ("visit", "encounter")


class Photo(db.Model):
    """One photo, uploaded exactly once by its client_uuid.

    The phone may upload it before its visit or encounter reaches the server: item_kind and
    item_uuid name the item, and visit_id or encounter_id is set once the item is here. A photo
    whose item never arrives is an orphan, removed (file too) by a daily job.
    Files are stored by the SHA-256 of their re-encoded bytes; rows may share a file.
    """

    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_item", "item_kind", "item_uuid"),
        Index("ix_photos_pending", "received_at", "visit_id", "encounter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    item_kind: Mapped[str] = mapped_column(String(10))
    item_uuid: Mapped[str] = mapped_column(String(36))
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    encounter_id: Mapped[int | None] = mapped_column(
        ForeignKey("encounters.id", ondelete="SET NULL"), index=True
    )
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    uploaded_by: Mapped[User] = relationship()
