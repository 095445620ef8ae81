"""Small checks shared by every form and import: phone numbers, names, lengths."""

import re

from flask_babel import lazy_gettext as _l

PHONE_RE = re.compile(r"^0\d{8,9}$")
NAME_MAX = 120


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


def text_problem(value, max_length, required=True):
    """Return why a text value is empty or too long, or None."""
    value = (value or "").strip()
    if required and not value:
        return _l("This field is required.")
    if len(value) > max_length:
        return _l("Use at most %(n)d characters (you typed %(m)d).", n=max_length, m=len(value))
    return None
