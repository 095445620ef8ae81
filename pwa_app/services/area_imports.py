"""Importing areas from CSV: check every row against the file and the database, then add.

Rows are resolved level by level (provinces first), so a parent may come later in the file
than its children. A row whose parent is left out is left out too, with its line named. Rows
already in the database with the same details are counted, not added again, so importing a
file twice changes nothing. The caller commits after each chunk.
"""

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from pwa_app.extensions import db
from pwa_app.models import Area, AreaChange
from pwa_app.models import area_paths as path_rows
from pwa_app.models.base import utcnow
from pwa_app.services import area_paths, audit, bulk, memo, scope
from pwa_app.services import progress as progress_display
from pwa_app.services.areas import (
    LEVELS,
    PARENT_LEVEL,
    AreaInput,
    check_details,
    code_problem,
    level_problem,
    managed,
    taken_problem,
)
from pwa_app.services.errors import ValidationError
from pwa_app.services.imports import ImportReport, _csv_problem

HEADER = ("code", "level", "parent", "name_th", "name_en", "official_code")
OPTIONAL = ("lat", "lon")
MAX_ROWS = 100_000
CHUNK_ROWS = 1_000  # one INSERT of areas and one of their history per chunk
COMPARED = ("level", "parent", "name_th", "name_en", "official_code")


@dataclass
class Row:
    """A row of the file, checked on its own."""

    line: int
    code: str
    level: str
    parent: str
    values: dict
    problems: list = field(default_factory=list)


def decode(raw):
    """Return the file's text: UTF-8 (with or without BOM), else Windows-874 (TIS-620)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp874")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _l(
                "The file is neither UTF-8 nor Windows-874 (Thai) text (problem at byte "
                '%(at)d). In Excel, save it as "CSV UTF-8".',
                at=error.start,
            )
        ) from error


def read_rows(raw):
    """Decode and parse the upload; raise ValidationError for a file-level problem."""
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        unknown = [name for name in header if name not in HEADER + OPTIONAL]
        if [name for name in HEADER if name not in header] or unknown:
            raise ValidationError(
                _l(
                    "The header must be: %(header)s (optionally followed by ,lat,lon). "
                    "Nothing was imported.",
                    header=",".join(HEADER),
                )
            )
        rows, line = [], reader.line_num + 1
        for values in reader:
            if any(value.strip() for value in values):
                rows.append(_row(line, dict(zip(header, values, strict=False))))
                if len(rows) > MAX_ROWS:
                    raise ValidationError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ValidationError(_csv_problem(error, reader.line_num)) from error
    return rows


def _row(line, values):
    """Check a row's own fields (not yet its parent)."""
    row = Row(
        line=line,
        code=(values.get("code") or "").strip().upper(),
        level=(values.get("level") or "").strip().lower(),
        parent=(values.get("parent") or "").strip().upper(),
        values=values,
    )
    errors = {}
    details = AreaInput(
        name_th=values.get("name_th") or "",
        name_en=values.get("name_en") or "",
        official_code=values.get("official_code") or "",
        lat=(values.get("lat") or "").strip(),
        lon=(values.get("lon") or "").strip(),
    )
    official, lat, lon = check_details(details, errors)
    row.values = {
        "code": row.code,
        "level": row.level,
        "parent": row.parent or None,
        "name_th": details.name_th.strip(),
        "name_en": details.name_en.strip(),
        "official_code": official,
        "lat": lat,
        "lon": lon,
    }
    if row.level not in LEVELS:
        errors["level"] = _l("level must be one of: %(levels)s.", levels=", ".join(LEVELS))
    elif problem := code_problem(row.code, row.level, row.parent):
        errors["code"] = problem
    elif row.level == "province" and row.parent:
        errors["parent"] = _l("A province has no parent area.")
    elif row.level != "province" and not row.parent:
        errors["parent"] = _l("Give the parent area's code.")
    row.problems = [f"{name}: {message}" for name, message in errors.items()]
    return row


def existing_areas():
    """Return {code: (id, details, retired)} for every area, in one query."""
    parent = Area.__table__.alias("parent")
    rows = db.session.execute(
        select(
            Area.id,
            Area.code,
            Area.level,
            parent.c.code,
            Area.name_th,
            Area.name_en,
            Area.official_code,
            Area.lat,
            Area.lon,
            Area.retired_at,
        ).outerjoin(parent, parent.c.id == Area.parent_id)
    ).all()
    found = {}
    for id_, code, level, parent_code, th, en, official, lat, lon, retired in rows:
        details = {
            "level": level,
            "parent": parent_code,
            "name_th": th,
            "name_en": en,
            "official_code": official,
            "lat": lat,
            "lon": lon,
        }
        found[code] = (id_, details, retired is not None)
    return found


def _same(row, details):
    """Tell whether a row says what the database already holds (coordinates when given)."""
    if any(row.values[name] != details[name] for name in COMPARED):
        return False
    return row.values["lat"] is None or (row.values["lat"], row.values["lon"]) == (
        details["lat"],
        details["lon"],
    )


def resolve(rows, existing, parents=None):
    """Split rows into (accepted rows in level order, already there, rejected with reasons).

    `parents`: the codes of the existing areas rows may go under (None: any); an admin's
    import reaches only their organisation's areas, as another's answer "no such area".
    """
    by_code, accepted, already, rejected = {}, [], [], []
    for row in rows:
        if row.problems:
            continue
        if row.code in by_code:
            row.problems.append(
                str(_l("The code %(code)s is already on line %(line)d.", code=row.code,
                       line=by_code[row.code].line))
            )  # fmt: skip
        elif row.code in existing:
            _id, details, retired = existing[row.code]
            if retired:
                row.problems.append(str(taken_problem(row.code, retired=True)))
            elif _same(row, details):
                already.append(row)
            else:
                row.problems.append(
                    str(
                        _l(
                            "The area %(code)s already exists with other details; change it "
                            "on its page in Areas.",
                            code=row.code,
                        )
                    )
                )
        else:
            by_code[row.code] = row
    for row in _in_cycles(by_code):
        row.problems.append(
            str(_l("%(code)s is (through its parents) under itself: a cycle.", code=row.code))
        )
    first = {}  # code -> the first row of the file with it, for "its parent (line n)"
    for row in rows:
        first.setdefault(row.code, row)
    placed = {
        code: (d["level"], r)
        for code, (_i, d, r) in existing.items()
        if parents is None or code in parents
    }
    for level in LEVELS:
        for row in by_code.values():
            if row.level != level or row.problems:
                continue
            if problem := _parent_problem(row, placed, first):
                row.problems.append(str(problem))
            else:
                placed[row.code] = (row.level, False)
                accepted.append(row)
    rejected = sorted((row for row in rows if row.problems), key=lambda row: row.line)
    return accepted, already, rejected


def _parent_problem(row, placed, first):
    """Return why the row's parent cannot take it, or None."""
    if row.level == "province":
        return None
    if row.parent not in placed:
        waiting = first.get(row.parent)
        if waiting is not None:
            return _l(
                "Its parent %(code)s (line %(line)d) was not imported.",
                code=row.parent,
                line=waiting.line,
            )
        return _l("There is no area with the code %(code)s.", code=row.parent[:20])
    level, retired = placed[row.parent]
    wanted = PARENT_LEVEL[row.level]
    if level != wanted:
        return level_problem(row.level, wanted, row.parent, level)
    if retired:
        return _l("The area %(code)s is retired: choose another.", code=row.parent)
    return None


def _in_cycles(by_code):
    """Return the rows whose chain of parents (within the file) comes back to them."""
    state, found = {}, []  # code -> "walking" | "done"
    for start in by_code:
        path, code = [], start
        while code in by_code and code not in state:
            state[code] = "walking"
            path.append(code)
            code = by_code[code].parent
        if state.get(code) == "walking":  # the walk met itself: the loop starts at code
            found.extend(by_code[c] for c in path[path.index(code) :])
        for c in path:
            state[c] = "done"
    return found


def import_areas(raw, by, after_chunk=None, progress=progress_display.silent):
    """Import the areas of a CSV file; return an ImportReport (rows by line).

    `progress` shows the new areas written (see services/progress.py).
    """
    rows = read_rows(raw)
    existing = existing_areas()
    parents = None if by is None else set(db.session.scalars(managed(by, select(Area.code))))
    accepted, already, rejected = resolve(rows, existing, parents)
    ids = {code: id_ for code, (id_, _d, _r) in existing.items()}
    report = ImportReport()
    report.already = [row.code for row in already]
    for row in rejected:
        report.reject(row.line, row.code, row.problems)
    growth = bulk.Growth(Area, path_rows, AreaChange)
    with progress("areas", len(accepted)) as bar:
        for start in range(0, len(accepted), CHUNK_ROWS):
            chunk = accepted[start : start + CHUNK_ROWS]
            _insert(chunk, ids, by, growth)
            report.imported.extend(row.code for row in chunk)
            if after_chunk is not None:
                after_chunk()
            bar.update(len(chunk))
    if accepted:
        memo.forget_all()
        scope.forget_village_ids()
    audit.record(
        "area.import", by, imported=len(accepted), already=len(already), rejected=len(rejected)
    )
    return report


def _insert(chunk, ids, by, growth):
    """Add a chunk of rows (parents before children) and their history, in two statements a
    level; `growth` (bulk.Growth) sees the areas before their paths are checked against them."""
    # Rows are in level order, so a row's parent is in an earlier chunk or earlier in this one.
    for level in LEVELS:
        rows = [row for row in chunk if row.level == level]
        if not rows:
            continue
        db.session.execute(
            insert(Area),
            [
                {
                    "code": row.code,
                    "level": row.level,
                    "parent_id": ids.get(row.parent),
                    "village_no": int(row.code[-2:]) if row.level == "village" else None,
                    "name_th": row.values["name_th"],
                    "name_en": row.values["name_en"],
                    "official_code": row.values["official_code"],
                    "lat": row.values["lat"],
                    "lon": row.values["lon"],
                }
                for row in rows
            ],
        )
        growth.add(len(rows))
        codes = [row.code for row in rows]
        ids.update(db.session.execute(select(Area.code, Area.id).where(Area.code.in_(codes))).all())
        area_paths.link([ids[code] for code in codes])
        now = utcnow()
        db.session.execute(
            insert(AreaChange),
            [
                {
                    "area_id": ids[row.code],
                    "at": now,
                    "user_id": getattr(by, "id", None),
                    "kind": "created",
                    "old": None,
                    "new": row.values,
                }
                for row in rows
            ],
        )
