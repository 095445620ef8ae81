"""Welfare cases (assistance): opening them, moving them along, and what is due."""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from pwa_app.extensions import db
from pwa_app.i18n import current_language, format_day
from pwa_app.models import Assistance, AssistanceEvent, WelfareProgram
from pwa_app.models.base import utcnow
from pwa_app.services import thai_dates
from pwa_app.services.scope import scope_villages
from pwa_app.services.summaries import LOCAL_TZ
from pwa_app.services.validation import control_problem
from pwa_app.vocab import (
    ASSISTANCE_STATUSES,
    ASSISTANCE_TRANSITIONS,
    CLOSED_ASSISTANCE_STATUSES,
    NEXT_STEPS,
    OPEN_ASSISTANCE_STATUSES,
    REFERRAL_NEXT_STEP,
)

NOTE_MAX = 2000
ENTERED_TWICE = _l("This programme is already entered above on this visit: one entry is enough.")


def today():
    """Return today's date in Thailand."""
    return utcnow().astimezone(LOCAL_TZ).date()


def active_programs():
    """Return the welfare programmes a volunteer can choose, in catalogue order."""
    return db.session.scalars(
        select(WelfareProgram)
        .where(WelfareProgram.active.is_(True))
        .order_by(WelfareProgram.sort_order)
    ).all()


def parse_date(value):
    """Return a date typed in either era or ISO; None for empty; raise ValueError if bad."""
    return thai_dates.parse_day(value)


def check_follow_up(value, errors, key):
    """Validate a next follow-up date: a real date, today or later."""
    try:
        follow_up = parse_date(value)
    except ValueError:
        errors[key] = thai_dates.DATE_EXAMPLE
        return None
    if follow_up is not None and follow_up < today():
        errors[key] = _l("The follow-up date is in the past. Choose today or a later day.")
    elif follow_up is not None and follow_up > today() + timedelta(days=366):
        errors[key] = _l("Choose a follow-up date within a year.")
    return follow_up


@dataclass
class NewCase:
    """A welfare-help entry made on a visit."""

    program: str = ""
    status: str = "identified"
    note: str = ""
    next_follow_up: object = None


@dataclass
class CaseChange:
    """A change to an open case, made on a visit."""

    assistance_id: int = 0
    status: str = ""
    note: str = ""
    next_follow_up: object = None


def check_new(entry, prefix, errors):
    """Validate a new case; return (programme, follow-up) or None if it has errors."""
    before = len(errors)
    program = db.session.scalar(
        select(WelfareProgram).where(
            WelfareProgram.code == (entry.program or "").strip(), WelfareProgram.active.is_(True)
        )
    )
    if program is None:
        errors[f"{prefix}-program"] = _l("Choose a welfare programme from the list.")
    if entry.status not in ASSISTANCE_STATUSES:
        errors[f"{prefix}-status"] = _l("Choose a status.")
    _check_note(entry.note, f"{prefix}-note", errors)
    follow_up = check_follow_up(entry.next_follow_up, errors, f"{prefix}-next_follow_up")
    return (program, follow_up) if len(errors) == before else None


def case_key(case_or_program, member_id=None):
    """Return what may be open only once in a household: (programme, member)."""
    if isinstance(case_or_program, Assistance):
        return case_or_program.program_id, case_or_program.member_id
    return case_or_program.id, member_id


def check_not_open(program, open_now, entered, prefix, errors):
    """Refuse a new case of a programme open already, or entered twice on one visit.

    `open_now` maps case_key to the household's open cases; `entered` collects the keys
    of this visit's new entries. Returns whether the entry may be opened.
    """
    key = case_key(program)
    if key in open_now:
        errors[f"{prefix}-program"] = already_open(open_now[key])
    elif key in entered:
        errors[f"{prefix}-program"] = ENTERED_TWICE
    else:
        entered.add(key)
        return True
    return False


def already_open(case):
    """Say that the household has this case open for the programme, naming it."""
    names = {"th": case.program.name_th, "en": case.program.name_en}
    program = LazyString(lambda: names.get(current_language(), names["th"]))
    status = ASSISTANCE_STATUSES[case.status]
    if case.next_follow_up is None:
        return _l(
            "This household already has an open case for %(program)s (%(status)s): "
            "update that case instead.",
            program=program,
            status=status,
        )
    return _l(
        "This household already has an open case for %(program)s (%(status)s, follow-up "
        "%(date)s): update that case instead.",
        program=program,
        status=status,
        date=LazyString(format_day, case.next_follow_up),
    )


def _check_note(note, name, errors):
    if problem := control_problem(note):
        errors[name] = problem
    elif len(note or "") > NOTE_MAX:
        errors[name] = _l("Use at most %(n)d characters.", n=NOTE_MAX)


def check_change(case, change, prefix, errors):
    """Validate a change to an open case; return the follow-up date."""
    if change.status and change.status != case.status:
        if change.status not in ASSISTANCE_TRANSITIONS.get(case.status, set()):
            errors[f"{prefix}-status"] = _l(
                "A case that is %(status)s cannot become that.",
                status=ASSISTANCE_STATUSES[case.status],
            )
    _check_note(change.note, f"{prefix}-note", errors)
    return check_follow_up(change.next_follow_up, errors, f"{prefix}-next_follow_up")


def open_case(household, program, entry, follow_up, by, visit=None):
    """Open a case for a household, with its first history entry."""
    case = Assistance(
        household=household,
        program=program,
        status=entry.status,
        note=(entry.note or "").strip(),
        next_follow_up=None if entry.status in CLOSED_ASSISTANCE_STATUSES else follow_up,
        opened_by_id=by.id,
        closed_at=utcnow() if entry.status in CLOSED_ASSISTANCE_STATUSES else None,
    )
    case.events.append(
        AssistanceEvent(
            to_status=entry.status, note=case.note, by_user_id=by.id, visit=visit, at=utcnow()
        )
    )
    db.session.add(case)
    return case


def apply_change(case, change, follow_up, by, visit=None):
    """Move a case to a new status (or note progress), keeping its history."""
    new_status = change.status or case.status
    note = (change.note or "").strip()
    if new_status == case.status and not note and follow_up == case.next_follow_up:
        return False
    case.events.append(
        AssistanceEvent(
            from_status=case.status,
            to_status=new_status,
            note=note,
            by_user_id=by.id,
            visit=visit,
            at=utcnow(),
        )
    )
    case.status = new_status
    if note:
        case.note = note
    case.next_follow_up = None if new_status in CLOSED_ASSISTANCE_STATUSES else follow_up
    case.closed_at = utcnow() if new_status in CLOSED_ASSISTANCE_STATUSES else None
    case.updated_at = utcnow()
    return True


def next_step(case):
    """Return the model work process's next step for a case."""
    if case.status == "identified" and case.program.is_referral:
        return REFERRAL_NEXT_STEP
    return NEXT_STEPS[case.status]


def open_cases(household):
    """Return a household's open cases with their history, oldest first."""
    return db.session.scalars(
        select(Assistance)
        .options(selectinload(Assistance.events), selectinload(Assistance.program))
        .where(
            Assistance.household_id == household.id,
            Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
        )
        .order_by(Assistance.opened_at)
    ).all()


def open_cases_of(household_ids):
    """Return the open cases of many households with their programmes and members, oldest first."""
    if not household_ids:
        return []
    return db.session.scalars(
        select(Assistance)
        .options(joinedload(Assistance.program), joinedload(Assistance.member))
        .where(
            Assistance.household_id.in_(household_ids),
            Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
        )
        .order_by(Assistance.opened_at, Assistance.id)
    ).all()


def closed_cases(household, limit=20):
    """Return a household's most recently closed cases."""
    return db.session.scalars(
        select(Assistance)
        .options(selectinload(Assistance.events), selectinload(Assistance.program))
        .where(
            Assistance.household_id == household.id,
            Assistance.status.in_(CLOSED_ASSISTANCE_STATUSES),
        )
        .order_by(Assistance.closed_at.desc())
        .limit(limit)
    ).all()


def follow_ups_due(user, within_days=7, limit=20):
    """Return the open cases of the user's households due within the days, overdue first."""
    due = select(Assistance).where(
        Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
        Assistance.next_follow_up.is_not(None),
        Assistance.next_follow_up <= today() + timedelta(days=within_days),
    )
    return db.session.scalars(
        scope_villages(due, user, Assistance.village_id)
        .options(
            selectinload(Assistance.program),
            selectinload(Assistance.household),
            selectinload(Assistance.member),
        )
        .order_by(Assistance.next_follow_up, Assistance.id)
        .limit(limit)
    ).all()
