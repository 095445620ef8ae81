"""Dates as people in Thailand type them: day/month/year, the year in the Buddhist era or not.

Pure parsing, no request needed: a year of 2400 or more is a Buddhist-era year (2569 is 2026);
Thai digits count as digits. ISO dates (what the phone's outbox sends) parse too.
"""

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

BUDDHIST_ERA_OFFSET = 543
FIRST_BUDDHIST_YEAR = 2400  # no Gregorian date we deal with is this late, no B.E. one this early
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
DAY_FIRST = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
YEAR_FIRST = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
DATE_EXAMPLE = _l("Enter a date as day/month/year, e.g. 31/12/2569.")


def gregorian_year(year):
    """Return the Gregorian year of a year typed in either era."""
    return year - BUDDHIST_ERA_OFFSET if year >= FIRST_BUDDHIST_YEAR else year


def clean(text):
    """Return typed text with Thai digits as ASCII, stripped."""
    return str(text).translate(THAI_DIGITS).strip()


def parse_day(text):
    """Return the date typed ("15/12/2569", "15/12/2026", "2026-12-15"); None if empty.

    Raises ValueError for anything else, including days that do not exist.
    """
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    cleaned = clean(text)
    if not cleaned:
        return None
    if match := DAY_FIRST.match(cleaned):
        day, month, year = (int(part) for part in match.groups())
    elif match := YEAR_FIRST.match(cleaned[:10]):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"not a date: {text!r}")
    return date(gregorian_year(year), month, day)


def parse_local_moment(text):
    """Return the naive local time typed as "30/11/2569 14:30"; None if it is not that shape.

    ISO 8601 times are left to datetime.fromisoformat by the caller.
    """
    cleaned = clean(text)
    day_part, _space, time_part = cleaned.rpartition(" ")
    if not day_part or not (match := TIME.match(time_part)) or not DAY_FIRST.match(day_part):
        return None
    day = parse_day(day_part)
    hour, minute = int(match.group(1)), int(match.group(2))
    return datetime(day.year, day.month, day.day, hour, minute)


def typed_day(value, buddhist):
    """Return a date as it is typed back into a field: "15/12/2569" (or "15/12/2026")."""
    if value is None:
        return ""
    year = value.year + BUDDHIST_ERA_OFFSET if buddhist else value.year
    return f"{value.day:02d}/{value.month:02d}/{year}"


def typed_moment(value, buddhist):
    """Return a local time as it is typed into a field: "30/11/2569 14:30"."""
    return f"{typed_day(value.date(), buddhist)} {value:%H:%M}"
