"""Importing households from CSV: validate every row, import the good ones together."""

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Household
from pwa_app.services import audit, households
from pwa_app.services.errors import ValidationError

HEADER = ("code", "house_no", "village", "head_name", "phone", "tags", "lat", "lon")
MAX_ROWS = 20_000


@dataclass
class RejectedRow:
    """A row left out, with its line number in the file and why."""

    line: int
    code: str
    reasons: list[str]


@dataclass
class ImportReport:
    """What an import did."""

    imported: list[str] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def read_rows(raw):
    """Decode a CSV upload (UTF-8, with or without BOM) and check its header."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _l(
                "The file is not UTF-8 text (problem at byte %(at)d). In Excel, save it as "
                "\"CSV UTF-8\".",
                at=error.start,
            )
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in HEADER if name not in header]
    if missing:
        raise ValidationError(
            _l(
                "The header lacks the column(s): %(missing)s. The header must be: %(header)s",
                missing=", ".join(missing),
                header=",".join(HEADER),
            )
        )
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        rows.append((line, dict(zip(header, (v.strip() for v in values), strict=False))))
        if len(rows) > MAX_ROWS:
            raise ValidationError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
    return rows


def import_households(raw, by):
    """Validate every row; add the good ones in the caller's transaction; report the rest."""
    report = ImportReport()
    seen_codes = set()
    existing = set(db.session.scalars(select(Household.code)))
    for line, row in read_rows(raw):
        code = row.get("code", "").upper()
        data = households.HouseholdInput(
            code=code,
            village=row.get("village", ""),
            house_no=row.get("house_no", ""),
            head_name=row.get("head_name", ""),
            phone=row.get("phone", ""),
            tags=[t.strip().lower() for t in row.get("tags", "").split(";") if t.strip()],
            lat=row.get("lat") or None,
            lon=row.get("lon") or None,
        )
        reasons = []
        if not code:
            reasons.append(str(_l("code: This field is required.")))
        elif code in seen_codes:
            reasons.append(str(_l("code: %(code)s appears twice in the file.", code=code)))
        elif code in existing:
            reasons.append(str(_l("code: %(code)s already exists.", code=code)))
        try:
            village, lat, lon = households.check(data)
        except ValidationError as error:
            reasons += [f"{name}: {message}" for name, message in error.fields.items()
                        if not (name == "code" and reasons)]
        if reasons:
            report.rejected.append(RejectedRow(line, code, reasons))
            continue
        seen_codes.add(code)
        household = Household(code=code, qr_token=households.new_qr_token())
        households.apply_fields(household, data, village, lat, lon, by)
        db.session.add(household)
        report.imported.append(code)
    db.session.flush()
    audit.record(
        "household.import", by, imported=len(report.imported), rejected=len(report.rejected)
    )
    return report
