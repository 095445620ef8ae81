"""Filters and globals shared by every template."""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from pwa_app import i18n, vocab
from pwa_app.services.cases import today
from pwa_app.web.js_strings import js_strings
from pwa_app.web.pwa import asset


def org_name():
    """Return the centre's name in the current language."""
    key = "ORG_NAME_EN" if i18n.current_language() == "en" else "ORG_NAME_TH"
    return current_app.config[key]


def localized(obj):
    """Return an object's name (area, programme, badge) in the current language."""
    if obj is None:
        return ""
    name = obj.name(i18n.current_language())
    if getattr(obj, "level", None) == "village" and obj.village_no:
        return _("Moo %(number)d %(name)s", number=obj.village_no, name=name)
    return name


def label(vocabulary, code):
    """Return the translated label of a vocabulary code, or the code itself."""
    return str(getattr(vocab, vocabulary).get(code, code))


def day_example():
    """Return a follow-up date two weeks ahead, typed as this language types dates."""
    return i18n.typed_day(today() + timedelta(days=14))


def register(app):
    """Add the helpers to the Jinja environment."""
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        day=i18n.format_day,
        moment=i18n.format_moment,
        month=i18n.format_month,
        typed_day=i18n.typed_day,
        localized=localized,
    )
    app.jinja_env.globals.update(
        vocab=vocab,
        label=label,
        org_name=org_name,
        current_language=i18n.current_language,
        csrf_token=generate_csrf,
        today_date=today,
        day_example=day_example,
        asset=asset,
        js_strings=js_strings,
    )
