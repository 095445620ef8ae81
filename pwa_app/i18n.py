"""Language choice (Thai first) and Buddhist-era dates."""

import os
from datetime import date, datetime, timedelta

from babel.dates import format_date as babel_format_date
from flask import current_app, g, has_request_context, request, session
from flask_babel import format_timedelta, get_locale, to_user_timezone
from flask_login import current_user

from pwa_app.services import thai_dates

BUDDHIST_ERA_OFFSET = 543


def select_locale():
    """Choose th or en: ?lang, then the remembered choice, the user's, the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    chosen = g.get("lang_choice")
    if chosen in languages:
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.preferred_language:
        return current_user.preferred_language
    return request.accept_languages.best_match(languages, default=languages[0])


def select_timezone():
    """Everyone works on Thailand's time."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language():
    """Return the code of the language in use (th or en)."""
    return str(get_locale() or "th")


def format_day(value, style="medium"):
    """Format a date; Thai gets Thai month names and the Buddhist-era year."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    language = current_language()
    if language != "th":
        return babel_format_date(value, format=style, locale="en")
    months = "abbreviated" if style in ("short", "medium") else "wide"
    month = _thai_month(value, months)
    return f"{value.day} {month} {value.year + BUDDHIST_ERA_OFFSET}"


def format_moment(value):
    """Format a date and time in the user's timezone and language."""
    if value is None:
        return ""
    local = to_user_timezone(value)
    return f"{format_day(local.date())} {local:%H:%M}"


def _thai_month(value, width):
    from babel import Locale

    return Locale("th").months["format"][width][value.month]


def buddhist_year(value: date):
    """Return the Buddhist-era year of a date."""
    return value.year + BUDDHIST_ERA_OFFSET


def compile_catalogues(translations_dir):
    """Compile each .po catalogue whose .mo file is missing or older, so any start has Thai."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in Path(translations_dir).glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        temporary = mo_path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            write_mo(handle, catalog)
        temporary.replace(mo_path)


def local_input_value(moment=None):
    """Return a time as typed into a field, in Thailand's time (default: now).

    Thai gets the Buddhist-era year ("30/11/2569 14:30"), as everywhere else on the page.
    """
    from pwa_app.models.base import utcnow

    local = to_user_timezone(moment or utcnow())
    return thai_dates.typed_moment(local, buddhist=current_language() == "th")


def typed_day(value):
    """Return a date as typed into a field: "15/12/2569" in Thai, "15/12/2026" in English."""
    return thai_dates.typed_day(value, buddhist=current_language() == "th")


def format_month(value, short=False):
    """Format a month: "พฤศจิกายน 2569" / "November 2026"; short: "พ.ย." / "Nov"."""
    if current_language() != "th":
        return babel_format_date(value, format="LLL" if short else "LLLL y", locale="en")
    if short:
        return _thai_month(value, "abbreviated")
    return f"{_thai_month(value, 'wide')} {value.year + BUDDHIST_ERA_OFFSET}"


def format_duration(seconds):
    """Say how long a wait was, roughly, in the reader's language ("3 hours", "3 ชั่วโมง")."""
    if seconds is None:
        return "–"
    return format_timedelta(timedelta(seconds=seconds), granularity="minute", threshold=1.1)
