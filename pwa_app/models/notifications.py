"""Notifications a user reads in the app, and the phones their pushes go to."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.people import User


class Notification(db.Model):
    """Something for one user to know: words kept as message ids, shown in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The unread count in every page's top bar: one seek, `read_at IS NULL` inside the index.
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # English message ids (translated when shown) and the values they name.
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(500), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(300), default="/")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set where one event must notify once (a day's follow-ups): a second try finds it taken.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    user: Mapped[User] = relationship()

    @property
    def unread(self):
        """Tell whether the user has not opened it yet."""
        return self.read_at is None


class PushSubscription(db.Model):
    """A phone's browser that takes Web Push messages for a user (its PushSubscription)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # One browser, one endpoint: the user who subscribed it last owns it.
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
