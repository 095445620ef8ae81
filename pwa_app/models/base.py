"""Column types and defaults shared by every model."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, event, select
from sqlalchemy.types import TypeDecorator


def utcnow():
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC, so SQLite and PostgreSQL behave alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def village_follows_household(model):
    """Fill a row's village_id from its household when it is first stored."""

    @event.listens_for(model, "before_insert")
    def take_village(mapper, connection, target):
        if target.village_id is not None:
            return
        household = mapper.relationships["household"].mapper.class_
        # Read in the INSERT itself: right even when only household_id was set.
        target.village_id = (
            select(household.village_id)
            .where(household.id == target.household_id)
            .scalar_subquery()
        )

    return model
