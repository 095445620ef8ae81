"""Importing households from CSV: check the file, then import its rows chunk by chunk.

The caller commits after each chunk (see `chunks`), so that a large file never holds SQLite's
write lock for long, and re-running a file after an interruption imports only what is missing.
"""

import csv
import io
import time
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from pwa_app.extensions import db
from pwa_app.models import Household, HouseholdTag, Member, MemberTag
from pwa_app.services import audit, bulk, households
from pwa_app.services import progress as progress_display
from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import FORBIDDEN_CHARACTERS, control_problem, normalize_phone

HEADER = ("code", "house_no", "village", "head_name", "phone", "tags", "lat", "lon")
MAX_ROWS = 20_000
# Rows per transaction, from measurement on the 2-core benchmark machine: checking and adding
# a row costs about 1.7 ms, so a chunk of 200 holds the write lock for about 0.35 s. Beside a
# 20,000-row import on an idle machine, syncs took 22 ms at the median and 0.75 s at worst
# (400 rows: 1.9 s; one transaction: most gave up after 5 s; with the load at 10, 200 rows
# gave 2.2 s at worst); docs/benchmarks.md, "A large household import beside syncs". 100 rows
# waits less but imports slower.
CHUNK_ROWS = 200
CHUNK_PAUSE = 0.15  # seconds between chunks on SQLite, longer than its busy handler's retry
SHOWN_CODE = 24  # characters of a rejected row's code shown in the report


@dataclass
class RejectedRow:
    """A row left out, with its line number in the file and why."""

    line: int
    code: str
    reasons: list[str]


@dataclass
class ImportReport:
    """What an import did, gathered over its chunks."""

    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # in the database with the same details
    rejected: list[RejectedRow] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # codes of earlier rows, across chunks

    def reject(self, line, code, reasons):
        """Leave a row out, with its reasons."""
        self.rejected.append(
            RejectedRow(line, shown_code(code), [str(reason) for reason in reasons])
        )


def shown_code(code):
    """Return a code as a report can show it: no hidden characters, not too long."""
    code = FORBIDDEN_CHARACTERS.sub("\ufffd", code)
    return code if len(code) <= SHOWN_CODE else code[:SHOWN_CODE] + "…"


def read_rows(raw, header=HEADER, max_rows=MAX_ROWS):
    """Decode and parse a whole CSV upload; raise ValidationError for a file-level problem.

    Return [(line, {column: text})] for the non-empty rows. Nothing is written, so a refused
    file leaves the database as it was.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _l(
                "The file is not UTF-8 text (problem at byte %(at)d). In Excel, save it as "
                '"CSV UTF-8".',
                at=error.start,
            )
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(reader, header, max_rows)
    except csv.Error as error:
        raise ValidationError(_csv_problem(error, reader.line_num)) from error


def _parse(reader, expected, max_rows):
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in expected if name not in header]
    if missing:
        raise ValidationError(
            _l(
                "The header lacks the column(s): %(missing)s. The header must be: %(header)s",
                missing=", ".join(missing),
                header=",".join(expected),
            )
        )
    rows, line = [], reader.line_num + 1
    for values in reader:
        if any(value.strip() for value in values):
            rows.append((line, dict(zip(header, values, strict=False))))
            if len(rows) > max_rows:
                raise ValidationError(_l("At most %(n)d rows per file.", n=max_rows))
        line = reader.line_num + 1  # a quoted value may span lines
    return rows


def _csv_problem(error, line):
    if "field larger than field limit" in str(error):
        limit = f"{csv.field_size_limit():,}"
        return _l(
            "Line %(line)d has a value longer than %(n)s characters. Check that the file is a "
            "CSV file of households.",
            line=line,
            n=limit,
        )
    return _l("Line %(line)d cannot be read as CSV: %(error)s", line=line, error=str(error))


def chunks(rows):
    """Yield checked rows CHUNK_ROWS at a time, each to be imported in its own transaction.

    The caller imports and commits one chunk at a time:

        for chunk in imports.chunks(rows):
            imports.import_chunk(chunk, report, by)
            db.session.commit()

    On SQLite it pauses between chunks: a sync waiting for the write lock retries only every
    100 ms or so, and would never find the lock free if the next chunk took it at once.
    """
    pause = CHUNK_PAUSE if db.engine.dialect.name == "sqlite" else 0
    for start in range(0, len(rows), CHUNK_ROWS):
        if start and pause:
            time.sleep(pause)
        yield rows[start : start + CHUNK_ROWS]


def import_households(raw, by, after_chunk, progress=progress_display.silent):
    """Import a whole CSV upload chunk by chunk; return the report.

    The file is read and checked first (a ValidationError before anything is written). The
    caller owns the transactions: `after_chunk()` (a commit) runs after each chunk, so other
    writers wait for one chunk at most, never for the whole file. `progress` shows the rows
    done (see services/progress.py).
    """
    rows = read_rows(raw)
    report = ImportReport()
    growth = bulk.Growth(Household, HouseholdTag, Member, MemberTag)
    with progress("households", len(rows)) as bar:
        for chunk in chunks(rows):
            imported = len(report.imported)
            import_chunk(chunk, report, by)
            growth.add(len(report.imported) - imported)
            after_chunk()
            bar.update(len(chunk))
    return report


def import_chunk(chunk, report, by):
    """Check a chunk's rows and add the new households; flush; the caller commits.

    A row whose household is already there with the same details counts as already imported,
    so importing a file again adds only what is missing.
    """
    imported, rejected = len(report.imported), len(report.rejected)
    rows = [(line, _household_input(row), _hidden_characters(row)) for line, row in chunk]
    # Found before any query: PostgreSQL refuses a NUL even in a WHERE clause.
    existing = _existing({data.code for _, data, hidden in rows if data.code and not hidden})
    # One flush for the chunk, not one before each row's queries; codes repeated within the
    # file are caught by report.seen, not by the database.
    with db.session.no_autoflush:
        for line, data, hidden in rows:
            if hidden:
                report.reject(line, data.code, hidden)
            else:
                _import_row(line, data, existing.get(data.code), report, by)
    db.session.flush()
    if len(report.imported) > imported:
        audit.record(
            "household.import",
            by,
            imported=len(report.imported) - imported,
            rejected=len(report.rejected) - rejected,
            lines=f"{chunk[0][0]}-{chunk[-1][0]}",
        )


def _existing(codes):
    """Return {code: household} for the codes already in the database."""
    if not codes:
        return {}
    query = (
        select(Household)
        .where(Household.code.in_(codes))
        .options(joinedload(Household.village), selectinload(Household.tag_rows))
    )
    return {household.code: household for household in db.session.scalars(query)}


def _hidden_characters(row):
    return [f"{name}: {problem}" for name in HEADER if (problem := control_problem(row.get(name)))]


def _household_input(row):
    def value(name):
        return (row.get(name) or "").strip()

    return households.HouseholdInput(
        code=value("code").upper(),
        village=value("village"),
        house_no=value("house_no"),
        head_name=value("head_name"),
        phone=value("phone"),
        tags=[t.strip().lower() for t in value("tags").split(";") if t.strip()],
        lat=value("lat") or None,
        lon=value("lon") or None,
    )


def _import_row(line, data, household, report, by):
    code = data.code
    if code in report.seen:
        message = _l("code: %(code)s appears twice in the file.", code=shown_code(code))
        report.reject(line, code, [message])
        return
    if code:
        report.seen.add(code)
    if household is not None:
        if _same_details(household, data):
            report.already.append(code)
        else:
            message = _l(
                "code: %(code)s already exists with other details; change it on the "
                "household's page.",
                code=code,
            )
            report.reject(line, code, [message])
        return
    reasons = [] if code else [_l("code: This field is required.")]
    try:
        village, lat, lon = households.check(data, by=by)
    except ValidationError as error:
        reasons += [
            f"{name}: {message}"
            for name, message in error.fields.items()
            if not (name == "code" and reasons)
        ]
    if reasons:
        report.reject(line, code, reasons)
        return
    household = Household(code=code, qr_token=households.new_qr_token())
    households.apply_fields(household, data, village, lat, lon, by)
    db.session.add(household)
    report.imported.append(code)


def _same_details(household, data):
    """Tell whether a household in the database has exactly a row's details."""
    return (
        household.village.code == data.village.upper()
        and household.house_no == data.house_no
        and household.head_name == data.head_name
        and household.phone == _stored_phone(data.phone)
        and household.tags == sorted(set(data.tags))
        and (household.lat, household.lon) == (_stored_number(data.lat), _stored_number(data.lon))
    )


def _stored_phone(value):
    return (normalize_phone(value) or value) if value else None


def _stored_number(value):
    try:
        return float(value) if value else None
    except ValueError:
        return value  # never equal to a stored number
