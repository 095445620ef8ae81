"""The badge catalogue, kept by administrators."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Badge
from pwa_app.services import audit
from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import text_problem

CODE_RE = re.compile(r"[^a-z0-9]+")


@dataclass
class BadgeInput:
    """A badge's editable fields."""

    name_th: str = ""
    name_en: str = ""
    description_th: str = ""
    description_en: str = ""
    image: str = ""
    threshold: str = ""
    active: bool = True


def all_badges():
    """Return the whole catalogue in its order."""
    return db.session.scalars(select(Badge).order_by(Badge.kind, Badge.sort_order)).all()


def save_badge(badge, data, images, by):
    """Create a staff badge (badge None) or change one; raise ValidationError on bad input."""
    errors = {}
    for name, limit, required in (
        ("name_th", 120, True),
        ("name_en", 120, True),
        ("description_th", 500, False),
        ("description_en", 500, False),
    ):
        if problem := text_problem(getattr(data, name), limit, required):
            errors[name] = problem
    if data.image not in images:
        errors["image"] = _l("Choose one of the images.")
    threshold = None
    if badge is not None and badge.kind == "auto":
        try:
            threshold = int(data.threshold)
            if threshold < 1:
                raise ValueError
        except ValueError:
            errors["threshold"] = _l("Enter a whole number of at least 1.")
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    if badge is None:
        code = CODE_RE.sub("_", data.name_en.lower()).strip("_")[:30] or "badge"
        while db.session.scalar(select(Badge.id).where(Badge.code == code)):
            code = f"{code[:27]}_{db.session.scalar(select(func.count(Badge.id)))}"
        badge = Badge(code=code, kind="staff", sort_order=100)
        db.session.add(badge)
    badge.name_th, badge.name_en = data.name_th.strip(), data.name_en.strip()
    badge.description_th = data.description_th.strip()
    badge.description_en = data.description_en.strip()
    badge.image = data.image
    badge.active = data.active
    if threshold is not None:
        badge.threshold = threshold
    db.session.flush()
    audit.record("badge.catalogue", by, badge, code=badge.code)
    return badge
