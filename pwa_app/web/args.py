"""Numbers from the address: ids and page numbers that the database can hold."""

from flask import request
from werkzeug.routing import IntegerConverter

# Every id is a database integer (32 bits on PostgreSQL): a larger one cannot exist.
MAX_ID = 2**31 - 1
# Far past any real list, and its offset still fits a database integer.
MAX_PAGE = 1_000_000


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: a whole number from 0 to MAX_ID; anything larger is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_or_none(value, low=0, high=MAX_ID):
    """Return a text of ASCII digits as an int within [low, high], or None."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    number = int(value)
    return number if low <= number <= high else None


def page_arg(name="page"):
    """Return the page number asked for: 1 when missing or unreadable, at most MAX_PAGE."""
    number = int_or_none(request.args.get(name), low=1, high=MAX_PAGE * 1000)
    return min(number or 1, MAX_PAGE)
