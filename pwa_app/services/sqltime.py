"""Dates in Thailand's calendar, computed by the database, the same on SQLite and PostgreSQL."""

from datetime import date

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

THAILAND_OFFSET_HOURS = 7  # Thailand keeps UTC+7 all year


class local_date(FunctionElement):  # noqa: N801  (used like a SQL function)
    """The calendar date in Thailand of a UTC timestamp column."""

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{THAILAND_OFFSET_HOURS} hours')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(({column} + INTERVAL '{THAILAND_OFFSET_HOURS} hours') AS DATE)"


def as_date(value):
    """Return a date from what the database gave (SQLite answers text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
