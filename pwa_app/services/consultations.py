"""Consultations (ปรึกษาเจ้าหน้าที่): a volunteer asks staff about a household or one of its
cases, any staff member of the organisation answers, and the thread shows who answered when.

A message is written on the phone, queued in its outbox and delivered exactly once by its
client_uuid, as a visit is. Who may see a thread follows the household's village: the
volunteer who asked, and the staff and admins of the organisation covering the village.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import Assistance, Household, Message, Thread, ThreadRead
from pwa_app.models.base import utcnow
from pwa_app.services import notifications, scope, visits
from pwa_app.services.errors import Conflict, NotFound, ValidationError
from pwa_app.services.validation import text_problem

BODY_MAX = 2000
CLOCK_SKEW = timedelta(minutes=10)
PAGE_SIZE = 50
SINCE_LIMIT = 500  # messages per GET /api/v1/messages; the phone asks again from the last


@dataclass
class MessageInput:
    """A message as the phone or a form sends it: to a thread, or a new one about a household
    (and maybe one of its cases)."""

    body: str = ""
    household: str | None = None
    case: int | None = None
    thread: int | None = None
    sent_at: object = None
    client_uuid: str | None = None


# --- Who sees what ----------------------------------------------------------------------------


def visible_threads(user, stmt=None):
    """Limit a query over threads to those the user may see (none for an observer)."""
    stmt = select(Thread) if stmt is None else stmt
    if user.role == "volunteer":
        # Their own questions, about households still in their areas.
        return stmt.where(
            Thread.volunteer_id == user.id, Thread.village_id.in_(scope.village_select(user))
        )
    return scope.scope_villages(stmt, user, Thread.village_id)


def thread_for(user, thread_id):
    """Return the thread if the user may see it; else raise NotFound."""
    thread = None
    if isinstance(thread_id, int) and not isinstance(thread_id, bool):
        thread = db.session.scalar(visible_threads(user).where(Thread.id == thread_id))
    if thread is None:
        raise NotFound(_l("No such consultation, or it is not yours to see."))
    return thread


def may_answer(user, thread):
    """Tell whether the user may write in a thread they can see (the volunteer or staff)."""
    return user.id == thread.volunteer_id or user.role in scope.ORG_WIDE_ROLES


# --- Writing ----------------------------------------------------------------------------------


def check(user, data, now=None):
    """Check a message; return (thread or None, household, case, sent_at) or raise.

    A new thread is a volunteer's question about a household in their areas (and one of its
    cases); staff answer in threads.
    """
    now = now or utcnow()
    errors = {}
    if problem := text_problem(data.body, BODY_MAX):
        errors["body"] = problem
    sent_at = _sent_at(data.sent_at, now, errors)
    thread = household = case = None
    if data.thread is not None:
        thread = thread_for(user, data.thread)
        if not may_answer(user, thread):
            raise NotFound(_l("No such consultation, or it is not yours to see."))
        household, case = thread.household, thread.assistance
    elif user.role != "volunteer":
        errors["household"] = _l("Staff answer in a volunteer's consultation: choose one.")
    elif not data.household:
        errors["household"] = _l("Choose the household the question is about.")
    else:
        household = visits.resolve_household(user, data.household)
        if data.case is not None:
            case = _case_of(household, data.case)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return thread, household, case, sent_at


def _sent_at(value, now, errors):
    if value in (None, ""):
        return now
    try:
        moment = (
            value
            if isinstance(value, datetime)
            else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        )
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors["sent_at"] = _l(
            "Give an ISO 8601 time with its offset, e.g. 2026-11-25T14:30:00+07:00."
        )
        return now
    if moment > now + CLOCK_SKEW:
        errors["sent_at"] = _l("The time is in the future. Check the phone's clock.")
        return now
    return moment.astimezone(UTC)


def _case_of(household, case_id):
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise ValidationError(_l("Please correct the highlighted fields."), {"case": _l(
            "Must be a whole number.")})  # fmt: skip
    case = db.session.get(Assistance, case_id)
    if case is None or case.household_id != household.id:
        raise ValidationError(
            _l("Please correct the highlighted fields."),
            {"case": _l("This household has no such case.")},
        )
    return case


def post(user, data, now=None):
    """Record a message; return (message, created). A client_uuid seen before answers the
    first message again, or a conflict if it said something else."""
    now = now or utcnow()
    client_uuid = _client_uuid(data.client_uuid)
    if existing := db.session.scalar(select(Message).where(Message.client_uuid == client_uuid)):
        return _replay(user, existing, data)
    thread, household, case, sent_at = check(user, data, now)
    if thread is None:
        thread = Thread(
            household=household,
            village_id=household.village_id,
            assistance=case,
            volunteer_id=user.id,
            created_at=now,
            last_message_at=now,
        )
        db.session.add(thread)
    message = Message(
        client_uuid=client_uuid,
        thread=thread,
        author_id=user.id,
        body=data.body.strip(),
        sent_at=sent_at,
        received_at=now,
    )
    db.session.add(message)
    _moved_on(thread, user, now)
    db.session.flush()
    mark_read(user, thread, now)
    if user.id != thread.volunteer_id:
        notifications.answer_received(message)
    return message, True


def _client_uuid(value):
    if value is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError(
            _l("Please correct the highlighted fields."), {"client_uuid": _l("Must be a UUID.")}
        ) from None


def _replay(user, existing, data):
    if existing.author_id != user.id or existing.body != (data.body or "").strip():
        raise Conflict(
            _l("This id was already used for a different message; the first one is kept."),
            existing_id=existing.id,
        )
    return existing, False


def _moved_on(thread, author, now):
    """Bring the thread's summary up to a new message: who wrote last, whether it waits."""
    thread.last_message_at = now
    thread.last_author_id = author.id
    if author.id == thread.volunteer_id:
        thread.waiting_since = thread.waiting_since or now
        return
    thread.waiting_since = None
    if thread.first_answer_at is None:
        thread.first_answer_at = now
        thread.first_answer_seconds = max(0, int((now - _aware(thread.created_at)).total_seconds()))


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def mark_read(user, thread, now=None):
    """Note that the user has read the thread up to now."""
    now = now or utcnow()
    read = db.session.get(ThreadRead, (thread.id, user.id))
    if read is None:
        db.session.add(ThreadRead(thread_id=thread.id, user_id=user.id, read_at=now))
    elif _aware(read.read_at) < now:
        read.read_at = now


# --- Reading ----------------------------------------------------------------------------------


def _unread_condition(user):
    read = (
        select(ThreadRead.read_at)
        .where(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id)
        .scalar_subquery()
    )
    return and_(
        Thread.last_author_id != user.id,
        or_(read.is_(None), read < Thread.last_message_at),
    )


def unread_count(user):
    """How many threads hold something the user has not read."""
    if user.role not in scope.HOUSEHOLD_ROLES:
        return 0
    stmt = visible_threads(user, select(func.count(Thread.id))).where(_unread_condition(user))
    return db.session.scalar(stmt)


def waiting_count(user):
    """How many of the user's organisation's questions wait for an answer (staff)."""
    if user.role not in scope.ORG_WIDE_ROLES:
        return 0
    stmt = visible_threads(user, select(func.count(Thread.id)))
    return db.session.scalar(stmt.where(Thread.waiting_since.is_not(None)))


@dataclass
class ThreadRow:
    """A thread in a list, with whether the reader has read all of it."""

    thread: Thread
    unread: bool
    last: Message | None


def threads_page(user, page=1, waiting_only=False):
    """Return (rows, total): the user's threads, those waiting for an answer first for staff,
    then the most recent."""
    unread = _unread_condition(user)
    stmt = visible_threads(user, select(Thread, unread.label("unread")))
    if waiting_only:
        stmt = stmt.where(Thread.waiting_since.is_not(None))
    total = db.session.scalar(
        select(func.count()).select_from(visible_threads(user, select(Thread.id)).subquery())
        if not waiting_only
        else visible_threads(user, select(func.count(Thread.id))).where(
            Thread.waiting_since.is_not(None)
        )
    )
    if user.role in scope.ORG_WIDE_ROLES:
        order = (
            Thread.waiting_since.is_(None),
            Thread.waiting_since,
            Thread.last_message_at.desc(),
        )
    else:
        order = (Thread.last_message_at.desc(),)
    rows = db.session.execute(
        stmt.options(
            selectinload(Thread.household).selectinload(Household.village),
            selectinload(Thread.volunteer),
            selectinload(Thread.assistance).selectinload(Assistance.program),
        )
        .order_by(*order, Thread.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    lasts = _last_messages([thread.id for thread, _ in rows])
    return [ThreadRow(thread, bool(flag), lasts.get(thread.id)) for thread, flag in rows], total


def _last_messages(thread_ids):
    if not thread_ids:
        return {}
    newest = (
        select(func.max(Message.id))
        .where(Message.thread_id.in_(thread_ids))
        .group_by(Message.thread_id)  # fmt: skip
    )
    found = db.session.scalars(
        select(Message).options(selectinload(Message.author)).where(Message.id.in_(newest))
    )
    return {message.thread_id: message for message in found}


def messages_since(user, since=None, limit=SINCE_LIMIT):
    """Return the messages of the user's threads received after `since`, oldest first."""
    stmt = (
        select(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .options(
            selectinload(Message.author),
            selectinload(Message.thread).selectinload(Thread.household),
        )
    )
    stmt = visible_threads(user, stmt)
    if since is not None:
        stmt = stmt.where(Message.received_at > since)
    return db.session.scalars(stmt.order_by(Message.received_at, Message.id).limit(limit)).all()


def threads_of_household(user, household, limit=10):
    """The consultations about a household the user may see, newest first."""
    stmt = visible_threads(user).where(Thread.household_id == household.id)
    return db.session.scalars(stmt.order_by(Thread.last_message_at.desc()).limit(limit)).all()


# --- Waiting times, for the dashboard ----------------------------------------------------------


@dataclass
class WaitTimes:
    """How long volunteers waited for a first answer to questions asked in a period."""

    asked: int = 0
    answered: int = 0
    median_seconds: int | None = None
    slowest_seconds: int | None = None
    waiting_now: int = 0


def wait_times(start, end, villages_condition):
    """Count questions asked in [start, end) in some villages and how long the answers took.

    `villages_condition(column)` limits a village column (the dashboard's scope). The median is
    read as the middle row of the answered ones in order: one indexed read on any database.
    """
    asked = (
        Thread.created_at >= start,
        Thread.created_at < end,
        villages_condition(Thread.village_id),
    )
    answered = (*asked, Thread.first_answer_seconds.is_not(None))
    found = WaitTimes()
    found.asked, found.answered, found.slowest_seconds = db.session.execute(
        select(
            func.count(Thread.id),
            func.count(Thread.first_answer_seconds),
            func.max(Thread.first_answer_seconds),
        ).where(*asked)
    ).one()
    if found.answered:
        found.median_seconds = db.session.scalar(
            select(Thread.first_answer_seconds)
            .where(*answered)
            .order_by(Thread.first_answer_seconds)
            .offset((found.answered - 1) // 2)
            .limit(1)
        )
    found.waiting_now = db.session.scalar(
        select(func.count(Thread.id)).where(
            Thread.waiting_since.is_not(None), villages_condition(Thread.village_id)
        )
    )
    return found
