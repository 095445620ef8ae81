"""The welfare programme catalogue, kept by administrators.

One catalogue shared by every organisation for now: the programmes are national ones.
"""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Assistance, WelfareProgram
from pwa_app.services import audit
from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import text_problem

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
SORT_MAX = 9999


@dataclass
class ProgramInput:
    """A programme's editable fields, as typed."""

    code: str = ""
    name_th: str = ""
    name_en: str = ""
    is_referral: bool = False
    sort_order: str = "0"


def all_programs():
    """Return every programme, retired ones included, in catalogue order."""
    return db.session.scalars(
        select(WelfareProgram).order_by(WelfareProgram.sort_order, WelfareProgram.id)
    ).all()


def in_use(program):
    """Tell whether any case names the programme (its code is then fixed)."""
    if program is None or program.id is None:
        return False
    found = select(Assistance.id).where(Assistance.program_id == program.id).limit(1)
    return db.session.scalar(found) is not None


def _code_problem(program, code):
    """Return why a code cannot be given to the programme, or None."""
    if program is not None and code == program.code:
        return None
    if in_use(program):
        return _l("Cases already use this programme, so its code cannot change.")
    if not CODE_RE.match(code):
        return _l(
            "Use 2 to 30 lowercase Latin letters, digits or _, starting with a letter, "
            "e.g. elderly_fund."
        )
    if db.session.scalar(select(WelfareProgram.id).where(WelfareProgram.code == code)):
        return _l("Another programme already has this code.")
    return None


def _sort_order(raw, errors):
    """Return the typed sort order as a number, or note why it is not one."""
    try:
        number = int((raw or "0").strip())
        if not 0 <= number <= SORT_MAX:
            raise ValueError
    except ValueError:
        errors["sort_order"] = _l("Enter a whole number from 0 to %(n)d.", n=SORT_MAX)
        return None
    return number


def save_program(program, data, by):
    """Add a programme (program None) or change one; raise ValidationError on bad input."""
    errors = {}
    code = (data.code or "").strip()
    if problem := text_problem(code, 30) or _code_problem(program, code):
        errors["code"] = problem
    for name in ("name_th", "name_en"):
        if problem := text_problem(getattr(data, name), 200):
            errors[name] = problem
    sort_order = _sort_order(data.sort_order, errors)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    if program is None:
        program = WelfareProgram(active=True, agency_th="", agency_en="")
        db.session.add(program)
    program.code = code
    program.name_th, program.name_en = data.name_th.strip(), data.name_en.strip()
    program.is_referral = bool(data.is_referral)
    program.sort_order = sort_order
    db.session.flush()
    audit.record("program.save", by, program, code=program.code)
    return program


def set_active(program, active, by):
    """Retire a programme (gone from the visit form, kept by its cases) or bring it back."""
    program.active = active
    db.session.flush()
    audit.record("program.active" if active else "program.retire", by, program, code=program.code)
