"""Consultations: a volunteer's question about a household or case, and the staff's answers."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pwa_app.extensions import db
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.models.households import Household
from pwa_app.models.people import User
from pwa_app.models.welfare import Assistance


class Thread(db.Model):
    """One consultation: a volunteer asks about a household (or one of its cases)."""

    __tablename__ = "message_threads"
    __table_args__ = (
        Index("ix_message_threads_village_last", "village_id", "last_message_at"),
        Index("ix_message_threads_volunteer_last", "volunteer_id", "last_message_at"),
        Index("ix_message_threads_village_waiting", "village_id", "waiting_since"),
        Index("ix_message_threads_village_created", "village_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    # The household's village when asked: staff see the threads of their organisation's
    # villages, as they see its cases.
    village_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    assistance_id: Mapped[int | None] = mapped_column(ForeignKey("assistances.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Since when the volunteer has waited for an answer (None: answered, or nothing asked).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How long the volunteer waited for the first answer, so the dashboard's median is one
    # ordered read on any database.
    first_answer_seconds: Mapped[int | None] = mapped_column(Integer)

    household: Mapped[Household] = relationship()
    assistance: Mapped[Assistance | None] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    messages: Mapped[list["Message"]] = relationship(
        back_populates="thread", order_by="Message.received_at, Message.id"
    )


class Message(db.Model):
    """One message of a consultation, delivered exactly once by its client_uuid."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_received", "thread_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)  # on the phone
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    thread: Mapped[Thread] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()


class ThreadRead(db.Model):
    """When a user last read a thread: what came after it is unread for them."""

    __tablename__ = "message_reads"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("message_threads.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
