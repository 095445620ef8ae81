"""Many accounts from one CSV file: the volunteers of a new subdistrict in one go.

Each new account gets a one-time password, shown once to whoever ran the import, which its
owner must change at the first login. Rows already imported with the same details are
counted, not imported again, so a file can be imported again after an interruption.
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from pwa_app.extensions import db
from pwa_app.models import User, user_areas
from pwa_app.services import accounts, bulk, imports, organisations, passwords
from pwa_app.services import progress as progress_display
from pwa_app.services.errors import ValidationError
from pwa_app.services.imports import RejectedRow
from pwa_app.services.validation import normalize_phone

HEADER = ("phone", "name", "role", "areas", "org")
MAX_ROWS = 5000
AREA_SEPARATORS = re.compile(r"[\s;|]+")


@dataclass
class NewAccount:
    """An account the import created, with the password to hand over once."""

    line: int
    phone: str
    name: str
    role: str
    password: str


@dataclass
class UserImportReport:
    """What an import of users did."""

    created: list[NewAccount] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    seen: dict = field(default_factory=dict)  # phone -> line of its first row

    def reject(self, line, phone, reasons):
        """Leave a row out, with its reasons."""
        self.rejected.append(
            RejectedRow(line, imports.shown_code(phone), [str(r) for r in reasons])
        )


def import_users(raw, by, after_chunk, progress=progress_display.silent):
    """Import a CSV of users chunk by chunk; return the report. Raise for a refused file.

    `progress` shows the rows done (see services/progress.py).
    """
    rows = imports.read_rows(raw, HEADER, MAX_ROWS)
    report = UserImportReport()
    growth = bulk.Growth(User, user_areas)
    with progress("users", len(rows)) as bar:
        for chunk in imports.chunks(rows):
            created = len(report.created)
            for line, row in chunk:
                _import_row(line, row, report, by)
            growth.add(len(report.created) - created)
            after_chunk()
            bar.update(len(chunk))
    return report


def _row_input(row):
    return accounts.UserInput(
        phone=(row.get("phone") or "").strip(),
        display_name=(row.get("name") or "").strip(),
        role=(row.get("role") or "").strip().lower(),
        area_codes=[code for code in AREA_SEPARATORS.split(row.get("areas") or "") if code],
        org_code=(row.get("org") or "").strip().upper() or None,
    )


def _import_row(line, row, report, by):
    data = _row_input(row)
    organisation = data.org_code
    # An admin imports into their own organisation: another one does not exist for them.
    if organisation and (
        organisations.by_code(organisation) is None
        or (by is not None and by.org.code != organisation)
    ):
        report.reject(line, data.phone, [_l("Unknown organisation: %(org)s.", org=organisation)])
        return
    phone = normalize_phone(data.phone)
    if phone in report.seen:
        report.reject(
            line,
            data.phone,
            [_l("This phone number is on line %(n)d already.", n=report.seen[phone])],
        )
        return
    report.seen[phone] = line
    existing = accounts.find_by_phone(data.phone) if phone else None
    if existing is not None:
        if _same_details(existing, data):
            report.already.append(existing.phone)
        else:
            report.reject(line, data.phone, [_l("Another account already uses this phone number.")])
        return
    password = passwords.one_time_password()
    try:
        with db.session.begin_nested():
            user = accounts.create_user(
                accounts.UserInput(**{**data.__dict__, "password": password}), by
            )
            user.must_change_password = True
    except ValidationError as error:
        report.reject(line, data.phone, list(error.fields.values()) or [error.message])
        return
    except IntegrityError:  # the same phone, created a moment ago by another import
        report.reject(line, data.phone, [_l("Another account already uses this phone number.")])
        return
    report.created.append(NewAccount(line, user.phone, user.display_name, user.role, password))


def _same_details(user, data):
    codes = sorted(code.strip().upper() for code in data.area_codes)
    return (
        user.display_name == data.display_name
        and user.role == data.role
        and sorted(area.code for area in user.areas) == codes
    )
