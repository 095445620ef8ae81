"""Notifications: what reaches a user in the app's list and, through the worker, on their phone.

A notification keeps its words as English message ids and the values they name, never as
text: the list shows it in the reader's language of the moment, a push in the recipient's own.
Everything that tells someone something calls `notify()`; the kinds the app has so far have
their own small functions below (an answer to a question and an announcement are kinds in
waiting, for consultations and announcements to call `notify()` with).
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from pwa_app.extensions import db
from pwa_app.models import (
    Assistance,
    Household,
    Notification,
    PushSubscription,
    User,
    org_areas,
)
from pwa_app.models import area_paths as paths
from pwa_app.models.base import utcnow
from pwa_app.services.cases import today
from pwa_app.services.errors import NotFound
from pwa_app.vocab import (
    ANNOUNCEMENT_KINDS,
    ENCOUNTER_CATEGORIES,
    ENCOUNTER_STATUSES,
    HELP_CATEGORIES,
    OPEN_ASSISTANCE_STATUSES,
)

KINDS = (
    "thanks",
    "badge",
    "help_request",
    "follow_ups",
    "answer",
    "announcement",
    "encounter",
)
LANGUAGES = ("th", "en")
PAGE_SIZE = 30
TITLE_MAX = 200
BODY_MAX = 500
URL_MAX = 300
# A path of this app: one slash, then no second slash or backslash (which browsers read as
# another host) and no space.
LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\]*")
# Where notify() leaves what the worker is to push once the transaction commits (worker.py).
TO_PUSH = "notifications_to_push"
# How many households a follow-up reminder names before "…".
HOUSEHOLDS_NAMED = 5


def N_(msgid):
    """Mark an English message id for the catalogues; it is translated each time it is shown."""
    return msgid


def in_both_languages(text):
    """Return a translatable text (a lazy string) as {"th": ..., "en": ...}, for params."""
    shown = {}
    for language in LANGUAGES:
        with force_locale(language):
            shown[language] = str(text)
    return shown


def notify(user, kind, title, body="", params=None, url="/", dedupe_key=None):
    """Tell a user something: a row in their list, and a push to their phones after the commit.

    title and body are English message ids marked with N_(), whose %(name)s placeholders
    params fills; a param given as {"th": ..., "en": ...} shows in the reader's language.
    url is a path of this app, opened from the list or the phone's notification. With a
    dedupe_key, a notification made before under the same key stands and None is returned.
    Flushes only: the caller's transaction decides, and nothing is pushed if it rolls back.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not LOCAL_PATH.fullmatch(url) or len(url) > URL_MAX:
        raise ValueError(f"a notification opens a path of this app, not {url!r}")
    notification = Notification(
        user_id=user.id,
        kind=kind,
        title=title[:TITLE_MAX],
        body=body[:BODY_MAX],
        params=params or {},
        url=url,
        created_at=utcnow(),
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        db.session.add(notification)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(notification)
                db.session.flush()
        except IntegrityError:
            return None  # notified before under the same key
    if has_phones(user.id):
        db.session.info.setdefault(TO_PUSH, []).append(notification)
    return notification


def has_phones(user_id):
    """Tell whether the user has a phone that takes pushes."""
    return db.session.scalar(select(exists().where(PushSubscription.user_id == user_id)))


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A notification's words in one language."""

    title: str
    body: str


def _in_language(value, language):
    if isinstance(value, dict):
        return value.get(language) or value.get("th") or next(iter(value.values()), "")
    return value


def _translate(msgid, params):
    """Translate a message id and fill in its values; a broken translation falls back."""
    if not msgid:
        return ""
    for text in (gettext(msgid), msgid):
        try:
            return text % params if params else text
        except (KeyError, ValueError, TypeError):
            continue
    return msgid


def render(notification, language=None):
    """Return a notification's title and body in a language (default: the current one)."""
    if language is None:
        return _render(notification, None)
    with force_locale(language):
        return _render(notification, language)


def _render(notification, language):
    from pwa_app.i18n import current_language

    language = language or current_language()
    params = {name: _in_language(v, language) for name, v in (notification.params or {}).items()}
    return Shown(_translate(notification.title, params), _translate(notification.body, params))


def unread_count(user):
    """Count the user's unread notifications (one seek in ix_notifications_user_read)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def page_of(user, page=1):
    """Return a page of the user's notifications, newest first, and whether older ones follow."""
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def notification_for(user, notification_id):
    """Return one of the user's own notifications, or raise NotFound (another's is not there)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound()
    return notification


def open_notification(notification):
    """Mark a notification read; return the path it leads to."""
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification.url


def mark_all_read(user):
    """Mark every notification of the user read; return how many were unread."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount


# --- What the app tells people so far ---------------------------------------------------------


def thanks_received(thanks, by, visit=None):
    """Tell a volunteer that a staff member thanked them."""
    if thanks.message:
        body, params = N_("“%(message)s”"), {"message": thanks.message}
    elif visit is not None:
        body, params = N_("For your visit to %(household)s."), {"household": visit.household.code}
    else:
        body, params = N_("For your work as a volunteer."), {}
    return notify(
        thanks.volunteer,
        "thanks",
        N_("%(name)s thanked you"),
        body,
        {"name": by.display_name, **params},
        url=f"/volunteers/{thanks.volunteer_id}",
    )


def badge_awarded(award):
    """Tell a volunteer they received a badge, automatic or given by staff."""
    badge = award.badge
    if award.citation:
        body, params = N_("“%(message)s”"), {"message": award.citation}
    else:
        body, params = N_("Well done! Anyone can verify it on its public page."), {}
    return notify(
        award.volunteer,
        "badge",
        N_("You received the badge “%(badge)s”"),
        body,
        {"badge": {"th": badge.name_th, "en": badge.name_en}, **params},
        url=f"/badges/verify/{award.public_id}",
    )


def answer_received(message):
    """Tell a volunteer that the staff answered their question (not what: the phone's screen
    may be seen by others; the thread holds the answer)."""
    thread = message.thread
    return notify(
        thread.volunteer,
        "answer",
        N_("%(name)s answered your question about %(household)s"),
        N_("Open it to read the answer."),
        {"name": message.author.display_name, "household": thread.household.code},
        url=f"/messages/{thread.id}",
    )


def announced(announcement, volunteers):
    """Tell the volunteers an announcement addresses that it is there."""
    made = []
    for volunteer in volunteers:
        made.append(
            notify(
                volunteer,
                "announcement",
                N_("%(kind)s: %(title)s"),
                N_("From %(name)s"),
                {
                    "kind": in_both_languages(ANNOUNCEMENT_KINDS[announcement.kind]),
                    "title": announcement.title,
                    "name": announcement.author.display_name,
                },
                url=f"/announcements/{announcement.id}",
            )
        )
    return made


def staff_covering(village_id):
    """Return the active staff of every organisation covering a village."""
    covering = select(org_areas.c.org_id).where(
        org_areas.c.area_id.in_(select(paths.c.ancestor_id).where(paths.c.area_id == village_id))
    )
    return db.session.scalars(
        select(User)
        .where(User.role == "staff", User.active.is_(True), User.org_id.in_(covering))
        .order_by(User.id)
    ).all()


def help_requested(request):
    """Tell the household's volunteer and the staff covering its village of a help request.

    The household's own words stay in the app: a phone's lock screen shows only the
    household's code and what kind of help it asked for.
    """
    household = request.household
    params = {
        "household": household.code,
        "category": in_both_languages(HELP_CATEGORIES.get(request.category, request.category)),
    }
    title = N_("Help request from %(household)s")
    sent = []
    volunteer = household.assigned_volunteer
    if volunteer is not None and volunteer.active and volunteer.role == "volunteer":
        sent.append(notify(volunteer, "help_request", title, N_("%(category)s"), params, url="/"))
    for staff in staff_covering(household.village_id):
        sent.append(
            notify(staff, "help_request", title, N_("%(category)s"), params, "/help-requests")
        )
    return sent


def _encounter_words(encounter):
    """The words an encounter's notifications name: its kind and its village, never the
    person (a phone's lock screen may be seen by others)."""
    village = encounter.village
    return {
        "category": in_both_languages(ENCOUNTER_CATEGORIES[encounter.category]),
        "village": {"th": village.name_th, "en": village.name_en},
        "name": encounter.reporter.display_name,
    }


def encounter_reported(encounter):
    """Tell the staff covering the village that someone reported an urgent encounter."""
    return [
        notify(
            staff,
            "encounter",
            N_("Urgent report: %(category)s in %(village)s"),
            N_("From %(name)s. Open it to assign someone."),
            _encounter_words(encounter),
            url=f"/encounters/{encounter.id}",
        )
        for staff in staff_covering(encounter.village_id)
    ]


def encounter_assigned(encounter, by):
    """Tell the person an encounter was assigned to."""
    return notify(
        encounter.assigned_to,
        "encounter",
        N_("%(by)s assigned you a report: %(category)s in %(village)s"),
        N_("Open it to see where and what was seen."),
        {**_encounter_words(encounter), "by": by.display_name},
        url=f"/encounters/{encounter.id}",
    )


def encounter_moved(encounter):
    """Tell the reporter what became of their report."""
    return notify(
        encounter.reporter,
        "encounter",
        N_("Your report (%(category)s) is now: %(status)s"),
        N_("Open it to see what became of it."),
        {
            **_encounter_words(encounter),
            "status": in_both_languages(ENCOUNTER_STATUSES[encounter.status]),
        },
        url=f"/encounters/{encounter.id}",
    )


def follow_ups_due(day):
    """Return {volunteer id: [household codes]} of the open cases due on a day, by the
    households' assigned volunteers."""
    rows = db.session.execute(
        select(Household.assigned_volunteer_id, Household.code)
        .join(Assistance, Assistance.household_id == Household.id)
        .join(User, User.id == Household.assigned_volunteer_id)
        .where(
            Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
            Assistance.next_follow_up == day,
            Household.archived.is_(False),
            User.active.is_(True),
            User.role == "volunteer",
        )
        .order_by(Household.assigned_volunteer_id, Household.code)
    )
    due = defaultdict(list)
    for volunteer_id, code in rows:
        due[volunteer_id].append(code)
    return due


def remind_follow_ups(day=None, commit_every=200):
    """Tell each volunteer of their households' cases due for a follow-up tomorrow (Thai date).

    Once a day per volunteer: running again (by hand, or the worker's later runs that evening)
    finds the day's reminder made and sends nothing twice. Commits in batches, so a run cut
    short keeps what it did; returns how many volunteers were reminded now.
    """
    day = day or today() + timedelta(days=1)
    reminded = 0
    for index, (volunteer_id, codes) in enumerate(sorted(follow_ups_due(day).items()), 1):
        volunteer = db.session.get(User, volunteer_id)
        more = " …" if len(codes) > HOUSEHOLDS_NAMED else ""
        named = ", ".join(codes[:HOUSEHOLDS_NAMED]) + more
        made = notify(
            volunteer,
            "follow_ups",
            N_("Follow-ups due tomorrow"),
            N_("Cases to follow up: %(count)d (%(households)s)"),
            {"count": len(codes), "households": named},
            url="/",
            dedupe_key=f"follow_ups:{volunteer_id}:{day.isoformat()}",
        )
        reminded += made is not None
        if index % commit_every == 0:
            db.session.commit()
    db.session.commit()
    return reminded
