"""Small checks shared by every form and import: phones, names, lengths, hidden characters."""

import math
import re

from flask_babel import lazy_gettext as _l

PHONE_RE = re.compile(r"^0\d{8,9}$")
NAME_MAX = 120

# What no text we store may hold, wherever it comes from (a form, a sync, an import): control
# characters other than tab, newline and carriage return (a NUL is refused by PostgreSQL and
# breaks Excel files), lone surrogates (not text at all) and the non-characters U+FFFE/U+FFFF.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def normalize_phone(raw):
    """Return a Thai phone number as 0XXXXXXXXX, or None when it is not one."""
    digits = re.sub(r"[\s\-().]", "", raw or "")
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    elif digits.startswith("66") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if PHONE_RE.match(digits) else None


def phone_problem(raw, required=True):
    """Return why a phone number is not acceptable, or None."""
    if not (raw or "").strip():
        return _l("Enter a phone number.") if required else None
    if normalize_phone(raw) is None:
        return _l("Enter a Thai phone number of 9 or 10 digits starting with 0, e.g. 0812345678.")
    return None


def control_problem(value):
    """Return why a text holds a character we never store, or None when it is clean."""
    if not isinstance(value, str):
        return None
    found = FORBIDDEN_CHARACTERS.search(value)
    if found is None:
        return None
    where = {"code": "U+%04X" % ord(found.group()), "pos": found.start() + 1}
    if found.group() >= "\ud800":  # a lone surrogate or a non-character: not text at all
        return _l("Remove the invalid character (code %(code)s) at position %(pos)d.", **where)
    return _l("Remove the hidden control character (code %(code)s) at position %(pos)d.", **where)


def without_controls(value):
    """Return the text with the characters we never store taken out."""
    return FORBIDDEN_CHARACTERS.sub("", value)


def location_fix(lat, lon, accuracy, errors):
    """Return a phone's location fix as (lat, lon, accuracy) floats, or three Nones when none
    was given or it cannot be read (then errors["location"] says so). Where it may lie is the
    caller's rule."""
    if lat in (None, "") and lon in (None, ""):
        return None, None, None
    try:
        accuracy = finite_number(accuracy) if accuracy not in (None, "") else None
        return finite_number(lat), finite_number(lon), accuracy
    except (TypeError, ValueError, OverflowError):
        errors["location"] = _l("The location could not be read. Try the button again.")
        return None, None, None


def finite_number(value):
    """Return a value as a finite float; raise ValueError for anything else.

    Booleans are not numbers, and neither are infinity or NaN (however they are spelled).
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number")
    number = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def text_problem(value, max_length, required=True):
    """Return why a text value is empty, too long or holds a control character, or None."""
    if problem := control_problem(value):
        return problem
    value = (value or "").strip()
    if required and not value:
        return _l("This field is required.")
    if len(value) > max_length:
        return _l("Use at most %(n)d characters (you typed %(m)d).", n=max_length, m=len(value))
    return None
