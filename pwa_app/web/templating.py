"""Filters and globals shared by every template."""

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from pwa_app import i18n, vocab
from pwa_app.extensions import db
from pwa_app.models.base import utcnow
from pwa_app.services import consultations, credentials, notifications, organisations
from pwa_app.services.cases import today
from pwa_app.web.js_strings import js_strings, photo_js_strings
from pwa_app.web.pwa import asset, stylesheet


def org_name(household=None, award=None):
    """Return the organisation's name in the current language: the one covering a household's
    village, the issuer of an award, else the user's; the configured centre's otherwise."""
    if household is not None:
        organisation = organisations.for_village(household.village)
    elif award is not None:
        organisation = organisations.by_code(credentials.issuer_code(award))
    elif current_user.is_authenticated:
        organisation = current_user.org
    else:
        organisation = None
    language = i18n.current_language()
    if organisation is not None:
        return organisation.name(language)
    return current_app.config["ORG_NAME_EN" if language == "en" else "ORG_NAME_TH"]


def unread_notifications():
    """Return the logged-in user's unread count for the top bar; None where there is no bell."""
    if not current_user.is_authenticated or current_user.role == "observer":
        return None
    if current_user.must_change_password:
        return None
    try:
        return notifications.unread_count(current_user)
    except OperationalError:  # an error page of a busy database: no bell rather than no page
        db.session.rollback()
        return None


def lang_url(language):
    """Return this page's address in another language, keeping its query string.

    A page rendered by a POST-only route (a form sent back with its errors) has no address
    of its own to reload, so the link goes back to the same-site page the form was sent from.
    """
    path, query = request.path, MultiDict(request.args)
    if request.url_rule is not None and "GET" not in request.url_rule.methods:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc == request.host and referrer.path.startswith("/")
        path = referrer.path if same_site else "/"
        query = MultiDict(parse_qsl(referrer.query) if same_site else [])
    query.setlist("lang", [language])
    return f"{path}?{urlencode(list(query.items(multi=True)))}"


def tel_href(number):
    """Return a tel: link for a phone number as people write it (042-611-364)."""
    return "tel:" + re.sub(r"[^0-9+]", "", number or "")


def rendered_at():
    """Return the time this page is rendered, for "as of" notes on a page shown offline."""
    return utcnow().isoformat(timespec="seconds")


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


def unread_messages():
    """Return how many consultations hold something the logged-in user has not read."""
    if not current_user.is_authenticated:
        return 0
    return consultations.unread_count(current_user)


def register(app):
    """Add the helpers to the Jinja environment."""
    from pwa_app.web.knowledge import guide_url  # (it renders names with `localized`)

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        day=i18n.format_day,
        duration=i18n.format_duration,
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
        photo_js_strings=photo_js_strings,
        lang_url=lang_url,
        tel_href=tel_href,
        rendered_at=rendered_at,
        stylesheet=stylesheet,
        unread_messages=unread_messages,
        guide_url=guide_url,
        unread_notifications=unread_notifications,
    )
