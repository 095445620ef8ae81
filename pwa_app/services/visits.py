"""Home visits: logging one (with welfare help), editing it for a day, and who sees what."""

import functools
import hashlib
import json
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Integer, bindparam, func, insert, inspect, or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from pwa_app.extensions import db
from pwa_app.models import Household, User, Visit, VisitNeed
from pwa_app.models.base import UTCDateTime, utcnow
from pwa_app.services import (
    audit,
    cases,
    household_days,
    households,
    memo,
    photos,
    recognition,
    thai_dates,
    visit_days,
)
from pwa_app.services.errors import Conflict, NotFound, ValidationError
from pwa_app.services.scope import (
    HOUSEHOLD_ROLES,
    any_users_villages,
    org_wide,
    users_villages_values,
    village_ids,
)
from pwa_app.services.summaries import LOCAL_TZ
from pwa_app.services.validation import control_problem, location_fix, without_controls
from pwa_app.vocab import CLOSED_ASSISTANCE_STATUSES, NEEDS, VISIT_KINDS, WELLBEING

NOTES_MAX = 4000
EDIT_WINDOW = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=10)
OLDEST = timedelta(days=30)
MAX_NEW_CASES = 20
REPEAT_WINDOW = timedelta(minutes=10)  # a second save within this is asked "a new visit?"
CONFIRM_WINDOW = timedelta(days=1)  # a household confirms a visit of today, not of last week


@dataclass
class VisitInput:
    """Everything a visit form or a synced visit carries."""

    household: str = ""
    visited_at: object = None
    kind: str = "routine"
    wellbeing: str = "green"
    needs: list[str] = field(default_factory=list)
    notes: str = ""
    lat: object = None
    lon: object = None
    accuracy: object = None
    new_cases: list[cases.NewCase] = field(default_factory=list)
    case_changes: list[cases.CaseChange] = field(default_factory=list)
    client_uuid: str | None = None


def parse_time(value):
    """Return an aware datetime from an aware datetime or an ISO 8601 string with an offset.

    A time without an offset (a form field, "30/11/2569 14:30" or ISO) is Thailand's local time.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        moment = thai_dates.parse_local_moment(value) or datetime.fromisoformat(
            str(value).strip().replace("Z", "+00:00")
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def _household_key(reference):
    """Return ("code", code) or ("token", token) for a typed household reference, or None."""
    reference = reference.strip() if isinstance(reference, str) else ""
    if code := households.normalize_code(reference):
        return "code", code
    if households.TOKEN_RE.match(reference):
        return "token", reference
    return None


# What recording a plain visit needs to know of its household.
HOUSEHOLD_FACTS = (
    Household.id,
    Household.code,
    Household.qr_token,
    Household.village_id,
    Household.assigned_volunteer_id,
    Household.last_visit_at,
)


@functools.cache
def _households_statement(columns, wide):
    """Build once the query of households by code or card token within a user's areas.

    Every sync asks it; built afresh it cost about as much as running it.
    """
    stmt = select(*columns) if columns else select(Household)
    return stmt.where(
        or_(
            Household.code.in_(bindparam("codes", expanding=True)),
            Household.qr_token.in_(bindparam("tokens", expanding=True)),
        ),
        Household.archived.is_(False),
        Household.village_id.in_(any_users_villages(wide)),
    )


def resolve_households(user, references, columns=None):
    """Find the households (by code or card token) the user may work with, in one query.

    Returns {reference: household}: Household objects, or rows of `columns` (which include
    code and qr_token), much cheaper to load for a batch. A reference that is unknown,
    archived or outside the user's areas is left out.
    """
    keys = {reference: _household_key(reference) for reference in set(references)}
    codes = {key[1] for key in keys.values() if key and key[0] == "code"}
    tokens = {key[1] for key in keys.values() if key and key[0] == "token"}
    if not (codes or tokens) or user.role not in HOUSEHOLD_ROLES:
        return {}
    stmt = _households_statement(columns, org_wide(user))
    values = {"codes": sorted(codes), "tokens": sorted(tokens), **users_villages_values(user)}
    found = {}
    for household in (
        db.session.execute(stmt, values).all() if columns else db.session.scalars(stmt, values)
    ):
        found["code", household.code] = found["token", household.qr_token] = household
    return {reference: found[key] for reference, key in keys.items() if key in found}


def resolve_household(user, reference):
    """Find a household by code or card token that the user may work with."""
    household = resolve_households(user, [reference]).get(reference)
    if household is None:
        raise NotFound(_l("No household with this code in your areas."))
    return household


def _check_time(value, errors, now):
    try:
        moment = parse_time(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        errors["visited_at"] = _l(
            "Enter a date and time as day/month/year hour:minute, e.g. 25/11/2569 14:30."
        )
        return None
    if moment is None:
        errors["visited_at"] = _l("This field is required.")
    elif moment > now + CLOCK_SKEW:
        errors["visited_at"] = _l("The visit time is in the future. Check the phone's clock.")
    elif moment < now - OLDEST:
        errors["visited_at"] = _l("Visits more than 30 days old cannot be logged. Ask staff.")
    return moment


def _check_location(data, errors):
    lat, lon, accuracy = location_fix(data.lat, data.lon, data.accuracy, errors)
    if lat is None:
        return None, None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (accuracy is not None and accuracy < 0):
        errors["location"] = _l("The location is out of range. Try the button again.")
        return None, None, None
    return lat, lon, accuracy


def check_fields(data, now=None):
    """Validate the visit's own fields; return the parsed values and the errors found."""
    now = now or utcnow()
    errors = {}
    visited_at = _check_time(data.visited_at, errors, now)
    if data.kind not in VISIT_KINDS:
        errors["kind"] = _l("Choose the kind of visit.")
    if data.wellbeing not in WELLBEING:
        errors["wellbeing"] = _l("Choose how the household is doing.")
    unknown = [need for need in data.needs if need not in NEEDS]
    if unknown:
        shown = [without_controls(str(need))[:30] for need in unknown[:5]]
        errors["needs"] = _l("Unknown need: %(needs)s", needs=", ".join(shown))
    if problem := control_problem(data.notes):
        errors["notes"] = problem
    elif len(data.notes or "") > NOTES_MAX:
        errors["notes"] = _l(
            "Notes can be at most %(n)d characters (you typed %(m)d).",
            n=NOTES_MAX,
            m=len(data.notes),
        )
    location = _check_location(data, errors)
    if data.client_uuid:
        try:
            uuid.UUID(str(data.client_uuid))
        except ValueError:
            errors["client_uuid"] = _l("Not a valid id.")
    return visited_at, location, errors


def _check_cases(household, data, errors):
    """Validate new cases and changes to open ones; return what to apply.

    A programme the household has open already cannot be opened again (unless this visit
    closes the open case): the volunteer updates that case instead.
    """
    if len(data.new_cases) > MAX_NEW_CASES:
        errors["new_cases"] = _l("At most %(n)d welfare entries per visit.", n=MAX_NEW_CASES)
        return [], []
    open_now = cases.open_cases(household) if data.new_cases or data.case_changes else []
    closing = {
        change.assistance_id
        for change in data.case_changes
        if change.status in CLOSED_ASSISTANCE_STATUSES
    }
    staying_open = {cases.case_key(case): case for case in open_now if case.id not in closing}
    new, entered = [], set()
    for index, entry in enumerate(data.new_cases):
        prefix = f"new_cases-{index}"
        checked = cases.check_new(entry, prefix, errors)
        if checked and cases.check_not_open(checked[0], staying_open, entered, prefix, errors):
            new.append((entry, *checked))
    open_by_id = {case.id: case for case in open_now}
    changes = []
    for change in data.case_changes:
        case = open_by_id.get(change.assistance_id)
        prefix = f"case-{change.assistance_id}"
        if case is None:
            errors[f"{prefix}-status"] = _l("This case is not open for this household.")
            continue
        follow_up = cases.check_change(case, change, prefix, errors)
        changes.append((case, change, follow_up))
    return new, changes


def _normal_time(value):
    try:
        return parse_time(value).astimezone(UTC).replace(microsecond=0).isoformat()
    except (TypeError, ValueError):
        return str(value)


def _household_code(reference):
    reference = (reference or "").strip() if isinstance(reference, str) else ""
    if code := households.normalize_code(reference):
        return code
    if households.TOKEN_RE.match(reference):
        code = db.session.scalar(select(Household.code).where(Household.qr_token == reference))
        return code or reference
    return reference.upper()


def fingerprint(data, code=None):
    """Return a hash of what a visit says, the same however the client spelled it.

    `code` is the household's code when the caller has found it already (saving a query
    when the visit names its household by card token).
    """

    def number(value):
        try:
            return round(float(value), 6)
        except (TypeError, ValueError):
            return None

    content = {
        "household": code or _household_code(data.household),
        "visited_at": _normal_time(data.visited_at),
        "kind": data.kind,
        "wellbeing": data.wellbeing,
        "needs": sorted(set(map(str, data.needs))),
        "notes": (data.notes or "").strip(),
        "location": [number(data.lat), number(data.lon), number(data.accuracy)],
        "new_cases": [asdict(entry) for entry in data.new_cases],
        "case_changes": [asdict(change) for change in data.case_changes],
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    # (surrogatepass: a hash must never fail, whatever a malformed item holds)
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def _replay(existing, data, code=None):
    """Answer a client_uuid seen before: the same visit again, or a conflict."""
    if existing.payload_hash and existing.payload_hash != fingerprint(data, code):
        raise Conflict(
            _l("This id was already used for a different visit; the first one is kept."),
            existing_id=existing.id,
        )
    return existing, False


def find_by_uuid(client_uuid):
    """Return the visit with this client id, or None."""
    if not client_uuid:
        return None
    return db.session.scalar(select(Visit).where(Visit.client_uuid == str(client_uuid)))


@dataclass
class Tally:
    """What new visits change in the running figures, written once for a whole batch.

    The visits per village and day, the kept figures of past periods and the households' and
    volunteer's last visits move with every visit; a sync of twenty visits writes each of them
    with one statement. Rows are updated in a fixed order (households by id, then the
    volunteer, then days), so two batches sharing households queue instead of deadlocking. The
    day counts go last, just before the request commits: every sync of a province writes the
    same rows of its areas' day, so they are held for the shortest time.
    """

    days: Counter = field(default_factory=Counter)
    households: dict = field(default_factory=dict)  # id -> latest visit
    volunteers: dict = field(default_factory=dict)  # id -> latest visit
    places: dict = field(default_factory=dict)  # id -> a household's place, as the batch read it

    def add(self, visit):
        """Count a new visit in."""
        return self.count(
            visit.visited_at, visit.village_id, visit.household_id, visit.volunteer_id
        )

    def count(self, visited_at, village_id, household_id, volunteer_id, place=None):
        """Count in a new visit given by its time, village, household and volunteer (and the
        household's place in household_days, when the batch read it)."""
        self.days[(visited_at.astimezone(LOCAL_TZ).date(), village_id)] += 1
        if place is not None:
            self.places.setdefault(household_id, place)
        for latest, owner_id in ((self.households, household_id), (self.volunteers, volunteer_id)):
            if owner_id not in latest or visited_at > latest[owner_id]:
                latest[owner_id] = visited_at
        return self

    def write(self):
        """Write what was counted (in the visits' transaction) and start again."""
        moved = advance_households(self.households, self.places)
        advance_last_visits(User, self.volunteers)
        if self.days:
            memo.forget_since(min(day for day, _village in self.days))
        visit_days.add_many(self.days)
        household_days.move(db.session.connection(), moved)
        self.days.clear()
        self.households.clear()
        self.volunteers.clear()
        self.places.clear()


def normal_uuid(value):
    """Return a client_uuid in its one spelling; raise ValidationError if it is none."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError(
            _l("Please correct the highlighted fields."), {"client_uuid": _l("Not a valid id.")}
        ) from None


def log_visit(data, user, tally=None):
    """Record a visit with its welfare help; return (visit, created).

    A client_uuid already recorded returns the first visit with created=False, so a
    replayed or double-submitted visit is counted once; the same id with other content
    raises Conflict. With a tally, the running figures are left to tally.write(); nothing
    is written before the visit is known to be good, so a rejected one needs no rollback.
    """
    if data.client_uuid:
        data.client_uuid = normal_uuid(data.client_uuid)
    if (existing := find_by_uuid(data.client_uuid)) is not None:
        return _replay(existing, data)
    household = resolve_household(user, data.household)
    visited_at, (lat, lon, accuracy), errors = check_fields(data)
    new, changes = _check_cases(household, data, errors)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    visit = Visit(
        client_uuid=str(data.client_uuid or uuid.uuid4()),
        household=household,
        village_id=household.village_id,
        volunteer=user,
        visited_at=visited_at,
        received_at=utcnow(),
        updated_at=utcnow(),
        kind=data.kind,
        wellbeing=data.wellbeing,
        notes=(data.notes or "").strip(),
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        payload_hash=fingerprint(data, household.code),
    )
    visit.need_rows = [VisitNeed(need=need) for need in sorted(set(data.needs))]
    try:
        with db.session.begin_nested():
            db.session.add(visit)
            db.session.flush()
            # Closing a case first lets the same visit open the programme anew.
            for case, change, follow_up in changes:
                cases.apply_change(case, change, follow_up, user, visit)
            db.session.flush()
            for entry, program, follow_up in new:
                cases.open_case(household, program, entry, follow_up, user, visit)
            db.session.flush()
    except IntegrityError:
        # Another request recorded the same client_uuid a moment ago: that one counts.
        if (existing := find_by_uuid(data.client_uuid)) is not None:
            return _replay(existing, data)
        # Another request opened one of these programmes a moment ago (the database keeps
        # one open case per programme): refuse the entry, naming that case.
        _check_cases(household, data, errors)
        if errors:
            raise ValidationError(_l("Please correct the highlighted fields."), errors) from None
        raise
    if tally is None:
        Tally().add(visit).write()
    else:
        tally.add(visit)
    after_visits_inserted([_row_of(visit)], user)
    return visit, True


def _row_of(visit):
    """Return a visit's columns as a mapping, as the set path has its new rows."""
    return {column.key: getattr(visit, column.key) for column in Visit.__table__.columns}


def after_visits_inserted(visit_rows, user, photos_waiting=True):
    """Do what every newly inserted visit needs besides its own row: its audit event, and
    the photos the phone sent before the visit, linked to it.

    Both ways of saving visits call this: one at a time through the ORM (visits carrying
    welfare cases) and many at once with multi-row statements, which no ORM event sees. So
    work hooked on inserted visits belongs here, not in mapper events on Visit. Each row is a
    mapping of the visit's columns, id included. photos_waiting=False: the caller knows that
    no photo waits for these visits (the set insert asks on the way), so none is looked for.
    """
    audit.record_each(
        "visit.create",
        user,
        [("visit", row["id"], row["household_id"]) for row in visit_rows],
    )
    if photos_waiting:
        photos.link_arrived_items(db.session, [("visit", row["client_uuid"]) for row in visit_rows])


@dataclass
class Outcome:
    """What became of one visit sent: saved (now or the first time it came) or refused."""

    client_uuid: str
    visit_id: int | None = None
    created: bool = False
    error: Exception | None = None  # a domain error, or a bug that refused this visit alone


@dataclass
class _Prepared:
    """A plain visit checked and ready to insert, with what its answer needs."""

    index: int
    household: object  # a row of HOUSEHOLD_FACTS
    row: dict


# The columns a plain visit is inserted with, in the insert's order.
INSERTED_COLUMNS = (
    "client_uuid",
    "household_id",
    "village_id",
    "volunteer_id",
    "visited_at",
    "received_at",
    "updated_at",
    "kind",
    "wellbeing",
    "notes",
    "lat",
    "lon",
    "accuracy_m",
    "payload_hash",
)


@functools.cache
def _insert_statement(size):
    """Build once per number of rows the plain visits' INSERT ... ON CONFLICT DO NOTHING.

    Written out, as the day counts' upserts are: SQLAlchemy compiles a dialect's upsert anew on
    every execution, which cost a sync of one visit more than the statement itself. Its
    RETURNING gives each new visit's id and answers two questions for the batch on the way,
    each saving a statement when the answer is no, as it nearly always is: does a photo wait
    for one of these visits, and does the volunteer lack a badge these visits can move. The SQL
    is the same on SQLite and PostgreSQL.
    """
    table = Visit.__table__
    values = ", ".join(
        "(" + ", ".join(f":{name}_{n}" for name in INSERTED_COLUMNS) + ")" for n in range(size)
    )
    sql = (
        f"INSERT INTO visits ({', '.join(INSERTED_COLUMNS)}) VALUES {values} "
        "ON CONFLICT (client_uuid) DO NOTHING RETURNING visits.client_uuid, visits.id, "
        f"{photos.PHOTO_WAITING_SQL} AS photos_waiting, "
        f"{recognition.UNHELD_BADGE_SQL} AS badge_to_earn"
    )
    return (
        text(sql)
        .bindparams(
            *(
                bindparam(f"{name}_{n}", type_=table.c[name].type)
                for n in range(size)
                for name in INSERTED_COLUMNS
            ),
            bindparam("waiting_uuids", expanding=True),
            bindparam("badge_rules", expanding=True),
            bindparam("badge_volunteer", type_=Integer),
        )
        .columns(
            table.c.client_uuid,
            table.c.id,
            photos_waiting=Boolean,
            badge_to_earn=Boolean,
        )
    )


@dataclass
class _Inserted:
    """What the plain visits' insert wrote, and what it found on the way."""

    ids: dict  # client_uuid -> id of each visit inserted
    photos_waiting: bool = True
    badge_to_earn: bool = True


class Recording:
    """Visits recorded together (one form, one sync batch), then the badges they earned.

    The one way visits are saved: `add_many()` the visits, then `finish()`, which writes the
    running figures once and checks the badges last, in a savepoint, so that a badge check
    that fails never takes a visit with it. The request commits.

    Plain visits (no welfare cases) are written as sets: one query finds their households,
    one multi-row INSERT ... ON CONFLICT (client_uuid) DO NOTHING writes them (in client_uuid
    order, so two batches sharing ids queue instead of deadlocking), one statement each their
    needs and audit events, and a client_uuid the insert skipped is looked up with the others
    in one query and answered as a replay. Visits with welfare cases go one at a time
    (`log_visit`), since each case is checked against the cases the ones before changed.
    """

    def __init__(self, user):
        self.user = user
        self.tally = Tally()
        self.rules = set()
        self.settled_rules = set()  # rules under which the volunteer holds every badge

    def add(self, data):
        """Record one visit (with its welfare cases); return (visit, created).

        Raises the visit's domain errors.
        """
        visit, created = log_visit(data, self.user, self.tally)
        # A duplicate of the caller's own visit counts too: its first send may have been cut
        # off before its badges were checked.
        if created or visit.volunteer_id == self.user.id:
            with_cases = bool(data.new_cases or data.case_changes)
            self.rules.update(
                recognition.rules_moved_by(
                    visit.volunteer_id, visit.household.assigned_volunteer_id, with_cases
                )
            )
        return visit, created

    def add_many(self, inputs):
        """Record visits sent together; return one Outcome per input, in order.

        A refused visit writes nothing and costs the others nothing. A client_uuid sent twice
        in one batch is answered the second time as a replay of the first (the same visit, or
        a conflict); if the first was refused, the second is recorded as if sent alone.
        """
        outcomes, waiting = [None] * len(inputs), []
        for index, data in enumerate(inputs):
            try:
                data.client_uuid = normal_uuid(data.client_uuid or uuid.uuid4())
            except ValidationError as error:
                outcomes[index] = Outcome(str(data.client_uuid), error=error)
            else:
                waiting.append(index)
        while waiting:
            now, seen, later = [], set(), []
            for index in waiting:
                (later if inputs[index].client_uuid in seen else now).append(index)
                seen.add(inputs[index].client_uuid)
            self._record_round(inputs, now, outcomes)
            waiting = later
        return outcomes

    def _record_round(self, inputs, indexes, outcomes):
        """Record visits whose client_uuids differ: plain ones as a set, then the others."""
        plain = [i for i in indexes if not (inputs[i].new_cases or inputs[i].case_changes)]
        self._record_plain(inputs, plain, outcomes)
        for index in indexes:
            if outcomes[index] is None:
                outcomes[index] = self._record_one(inputs[index])

    def _record_one(self, data):
        """Record a visit with welfare cases on its own; return its Outcome."""
        try:
            visit, created = self.add(data)
        except OperationalError:
            raise  # busy or lost: the whole batch is sent again
        except Exception as error:  # noqa: BLE001  (one visit's bug must not cost the others)
            return Outcome(data.client_uuid, error=error)
        return Outcome(visit.client_uuid, visit.id, created)

    def _record_plain(self, inputs, indexes, outcomes):
        """Record plain visits with set statements; fill in their outcomes."""
        if not indexes:
            return
        references = [inputs[i].household for i in indexes]
        found = resolve_households(self.user, references, HOUSEHOLD_FACTS)
        now = utcnow()
        ready, refused = [], {}
        for index in indexes:
            try:
                ready.append(self._prepare(index, inputs[index], found, now))
            except OperationalError:
                raise
            except Exception as error:  # noqa: BLE001  (one visit's bug must not cost the others)
                refused[index] = error
        rules = {
            rule
            for prepared in ready
            for rule in recognition.rules_moved_by(
                self.user.id, prepared.household.assigned_volunteer_id
            )
        }
        inserted = self._insert(ready, rules)
        new = [prepared for prepared in ready if prepared.row["client_uuid"] in inserted.ids]
        for prepared in new:
            row = prepared.row
            row["id"] = inserted.ids[row["client_uuid"]]
            outcomes[prepared.index] = Outcome(row["client_uuid"], row["id"], True)
            household = prepared.household  # its place in household_days, as read
            self.tally.count(
                row["visited_at"],
                row["village_id"],
                row["household_id"],
                self.user.id,
                household_days.place_of(household.village_id, False, household.last_visit_at),
            )
            assigned = prepared.household.assigned_volunteer_id
            self.rules.update(recognition.rules_moved_by(self.user.id, assigned))
        if new:
            if not inserted.badge_to_earn:
                self.settled_rules.update(rules)
            self._insert_needs(inputs, new)
            after_visits_inserted(
                [prepared.row for prepared in new], self.user, inserted.photos_waiting
            )
        # Ids the insert skipped, and refused visits, may have been recorded before.
        skipped = [prepared.index for prepared in ready if "id" not in prepared.row]
        self._answer_replays(inputs, [*skipped, *refused], found, outcomes)
        for index, error in refused.items():
            if outcomes[index] is None:
                outcomes[index] = Outcome(inputs[index].client_uuid, error=error)

    def _prepare(self, index, data, found, now):
        """Check a plain visit; return it ready to insert, or raise its domain error."""
        household = found.get(data.household)
        if household is None:
            raise NotFound(_l("No household with this code in your areas."))
        visited_at, (lat, lon, accuracy), errors = check_fields(data, now)
        if errors:
            raise ValidationError(_l("Please correct the highlighted fields."), errors)
        row = {
            "client_uuid": data.client_uuid,
            "household_id": household.id,
            "village_id": household.village_id,
            "volunteer_id": self.user.id,
            "visited_at": visited_at,
            "received_at": now,
            "updated_at": now,
            "kind": data.kind,
            "wellbeing": data.wellbeing,
            "notes": (data.notes or "").strip(),
            "lat": lat,
            "lon": lon,
            "accuracy_m": accuracy,
            "payload_hash": fingerprint(data, household.code),
        }
        return _Prepared(index, household, row)

    def _insert(self, ready, rules):
        """Insert the visits whose client_uuid is new, in one statement; return an _Inserted.

        It also tells whether a photo waits for one of them and whether the volunteer lacks
        an automatic badge of `rules`; when nothing was inserted, both are taken as yes.
        """
        if not ready:
            return _Inserted({})
        rows = sorted((prepared.row for prepared in ready), key=lambda row: row["client_uuid"])
        values = {
            f"{name}_{n}": row[name] for n, row in enumerate(rows) for name in INSERTED_COLUMNS
        }
        values.update(
            waiting_uuids=[row["client_uuid"] for row in rows],
            badge_rules=sorted(rules),
            badge_volunteer=self.user.id,
        )
        returned = db.session.execute(_insert_statement(len(rows)), values).all()
        if not returned:
            return _Inserted({})
        return _Inserted(
            {row.client_uuid: row.id for row in returned},
            photos_waiting=returned[0].photos_waiting,
            badge_to_earn=returned[0].badge_to_earn,
        )

    def _insert_needs(self, inputs, prepared):
        """Insert the needs found on new visits, in one statement."""
        needs = [
            {"visit_id": p.row["id"], "need": need}
            for p in prepared
            for need in sorted(set(inputs[p.index].needs))
        ]
        if needs:
            db.session.execute(insert(VisitNeed.__table__), needs)

    def _answer_replays(self, inputs, indexes, found, outcomes):
        """Answer visits whose client_uuid was recorded before, in one query."""
        if not indexes:
            return
        first_times = {
            row.client_uuid: row
            for row in db.session.execute(
                select(
                    Visit.id,
                    Visit.client_uuid,
                    Visit.payload_hash,
                    Visit.volunteer_id,
                    Household.assigned_volunteer_id,
                )
                .join(Household, Household.id == Visit.household_id)
                .where(Visit.client_uuid.in_({inputs[i].client_uuid for i in indexes}))
            )
        }
        for index in indexes:
            data = inputs[index]
            if (first := first_times.get(data.client_uuid)) is None:
                continue
            household = found.get(data.household)
            try:
                _replay(first, data, household.code if household else None)
            except Conflict as error:
                outcomes[index] = Outcome(data.client_uuid, error=error)
                continue
            outcomes[index] = Outcome(data.client_uuid, first.id, False)
            # The first send may have been cut off before its badges were checked.
            if first.volunteer_id == self.user.id:
                self.rules.update(
                    recognition.rules_moved_by(first.volunteer_id, first.assigned_volunteer_id)
                )

    def finish(self):
        """Write the running figures and award the badges earned; return the new awards.

        Rules under which the insert found every badge held are not looked at again.
        """
        self.tally.write()
        return recognition.award_earned(self.user, sorted(self.rules - self.settled_rules))


def record_visit(data, user):
    """Record one visit and award what it earned; return (visit, created, new awards).

    Raises the visit's domain error if it is refused.
    """
    recording = Recording(user)
    (outcome,) = recording.add_many([data])
    if outcome.error is not None:
        raise outcome.error
    return db.session.get(Visit, outcome.visit_id), outcome.created, recording.finish()


@functools.cache
def _advance_statement(table):
    """Build once the UPDATE that moves a row's last visit forward (households, users)."""
    return (
        update(table)
        .where(
            table.c.id == bindparam("owner_id"),
            or_(table.c.last_visit_at.is_(None), table.c.last_visit_at < bindparam("latest")),
        )
        .values(last_visit_at=bindparam("latest"))
    )


def advance_last_visits(model, latest):
    """Move households' or volunteers' last visits forward to {id: visited_at}, never back.

    One conditional UPDATE, run for every row in id order: two requests logging visits at
    once cannot put an older time over a newer one, whatever each had read before, and two
    batches sharing households lock them in the same order instead of deadlocking. Objects
    the session holds are given the new time too.
    """
    if not latest:
        return
    db.session.execute(
        _advance_statement(model.__table__),
        [{"owner_id": owner_id, "latest": latest[owner_id]} for owner_id in sorted(latest)],
    )
    follow_held(model, latest)


def follow_held(model, latest):
    """Give the objects the session holds their new last visits ({id: visited_at})."""
    for owner_id, visited_at in latest.items():
        owner = db.session.identity_map.get(identity_key(model, owner_id))
        if owner is None or "last_visit_at" not in inspect(owner).dict:
            continue  # not held, or read afresh when next used
        if owner.last_visit_at is None or visited_at > owner.last_visit_at:
            set_committed_value(owner, "last_visit_at", visited_at)


@functools.lru_cache(maxsize=32)
def _advance_returning(count):
    """Build once, for a number of households, PostgreSQL's statement that locks them (in id
    order), moves their last visits forward and returns the places they left.

    Written out: PostgreSQL's UPDATE returns only the new row, so the old one is read by a
    locking SELECT in the same statement, which waits for any other writer of the household
    and then reads what it committed.
    """
    values = ", ".join(f"(:id{i}, :latest{i})" for i in range(count))
    statement = text(
        f"WITH sent (id, latest) AS (VALUES {values}), "
        "old AS (SELECT h.id, h.village_id, h.archived, h.last_visit_at FROM households h "
        "JOIN sent ON sent.id = h.id ORDER BY h.id FOR NO KEY UPDATE OF h) "
        "UPDATE households SET last_visit_at = sent.latest, updated_at = :now "
        "FROM old JOIN sent ON sent.id = old.id WHERE households.id = old.id "
        "AND (old.last_visit_at IS NULL OR old.last_visit_at < sent.latest) "
        "RETURNING households.id, old.village_id, old.archived, old.last_visit_at"
    )
    return statement.bindparams(
        bindparam("now", type_=UTCDateTime()),
        *(bindparam(f"id{i}", type_=Integer()) for i in range(count)),
        *(bindparam(f"latest{i}", type_=UTCDateTime()) for i in range(count)),
    ).columns(last_visit_at=UTCDateTime())


def advance_households(latest, known=None):
    """Move households' last visits forward to {id: visited_at}; return the changes of their
    places in household_days (written last, with the day counts: they are shared rows).

    The places they leave are the database's, whatever the session held. On PostgreSQL one
    statement locks the households, reads and moves them (the lock lasts from there to the
    commit, as the update's would). SQLite lets one writer in at a time from the start of the
    transaction, so what the batch read (`known`: {id: place}) still holds; households not
    read yet are read here.
    """
    if not latest:
        return {}
    if db.session.get_bind().dialect.name == "postgresql":
        ids = sorted(latest)
        values = {"now": utcnow()}
        for i, household_id in enumerate(ids):
            values.update({f"id{i}": household_id, f"latest{i}": latest[household_id]})
        left = {
            row.id: household_days.place_of(row.village_id, row.archived, row.last_visit_at)
            for row in db.session.execute(_advance_returning(len(ids)), values)
        }
        follow_held(Household, latest)
        return household_days.moves(
            left,
            {key: (*left[key][:2], household_days.day_of(latest[key])) for key in left},
        )
    known = known or {}
    before = {key: known[key] for key in latest if key in known}
    if unknown := latest.keys() - before.keys():
        before.update(household_days.places(db.session.connection(), unknown))
    after = {
        household_id: (village_id, archived, household_days.day_of(latest[household_id]))
        for household_id, (village_id, archived, day) in before.items()
        if day == household_days.NEVER or latest[household_id].astimezone(LOCAL_TZ).date() > day
    }
    advance_last_visits(Household, latest)
    return household_days.moves({key: before[key] for key in after}, after)


def recent_visit_by(user, household, now=None):
    """Return the user's latest visit to the household saved within REPEAT_WINDOW, or None."""
    now = now or utcnow()
    return db.session.scalar(
        select(Visit)
        .where(
            Visit.household_id == household.id,
            Visit.volunteer_id == user.id,
            Visit.deleted_at.is_(None),
            Visit.received_at >= now - REPEAT_WINDOW,
        )
        .order_by(Visit.received_at.desc())
        .limit(1)
    )


def may_change(user, visit, now=None):
    """Tell whether the user may still edit or delete this visit."""
    if org_wide(user):
        return visit.village_id in village_ids(user)
    now = now or utcnow()
    return visit.volunteer_id == user.id and now - visit.received_at <= EDIT_WINDOW


def visit_for(user, visit_id):
    """Return a visit the user may see, or raise NotFound."""
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise NotFound()
    # Staff see their organisation's visits; a volunteer only their own.
    mine = (
        visit.village_id in village_ids(user) if org_wide(user) else visit.volunteer_id == user.id
    )
    if not mine:
        raise NotFound()
    return visit


def update_visit(visit, data, user):
    """Change a visit's own fields (its welfare history stays as it was)."""
    if not may_change(user, visit):
        raise ValidationError(_l("Visits can be changed for 24 hours only. Ask staff."))
    visited_at, (lat, lon, accuracy), errors = check_fields(data, now=visit.received_at)
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    memo.forget_since(min(visited_at, visit.visited_at).astimezone(LOCAL_TZ).date())
    visit_days.add(visit.visited_at, visit.village_id, -1)
    visit_days.add(visited_at, visit.village_id)
    visit.visited_at = visited_at
    visit.kind, visit.wellbeing = data.kind, data.wellbeing
    visit.notes = (data.notes or "").strip()
    visit.lat, visit.lon, visit.accuracy_m = lat, lon, accuracy
    wanted = sorted(set(data.needs))
    if visit.needs != wanted:
        visit.need_rows = [VisitNeed(need=need) for need in wanted]
    visit.updated_at = utcnow()
    db.session.flush()
    refresh_last_visit(visit.household, visit.volunteer)
    audit.record("visit.update", user, visit, visit.household)


def delete_visit(visit, user):
    """Remove a visit from every count; it stays in the database for the audit trail."""
    if not may_change(user, visit):
        raise ValidationError(_l("Visits can be deleted for 24 hours only. Ask staff."))
    visit.deleted_at = visit.updated_at = utcnow()
    db.session.flush()
    memo.forget_since(visit.visited_at.astimezone(LOCAL_TZ).date())
    visit_days.add(visit.visited_at, visit.village_id, -1)
    refresh_last_visit(visit.household, visit.volunteer)
    audit.record("visit.delete", user, visit, visit.household)


def refresh_last_visit(household, volunteer=None):
    """Recompute the last visit of a household (and a volunteer) after a change."""
    household.last_visit_at = db.session.scalar(
        select(func.max(Visit.visited_at)).where(
            Visit.household_id == household.id, Visit.deleted_at.is_(None)
        )
    )
    if volunteer is not None:
        volunteer.last_visit_at = db.session.scalar(
            select(func.max(Visit.visited_at)).where(
                Visit.volunteer_id == volunteer.id, Visit.deleted_at.is_(None)
            )
        )


def timeline(household, limit=50):
    """Return a household's visits, newest first."""
    return db.session.scalars(
        select(Visit)
        .where(Visit.household_id == household.id, Visit.deleted_at.is_(None))
        .order_by(Visit.visited_at.desc())
        .limit(limit)
    ).all()


def visible_visits(user, household, limit=100):
    """Return the visits of a household the user may read in full, newest first."""
    stmt = select(Visit).where(Visit.household_id == household.id, Visit.deleted_at.is_(None))
    if not org_wide(user):
        stmt = stmt.where(Visit.volunteer_id == user.id)
    return db.session.scalars(stmt.order_by(Visit.visited_at.desc()).limit(limit)).all()


def confirm_recent(household, now=None, **details):
    """Confirm the household's latest unconfirmed visit of the last day; award what it earned.

    Returns the visit, or None when there is none to confirm. `details` (where the
    confirmation came from) go to the audit log, where staff look for patterns.
    """
    now = now or utcnow()
    visit = recent_unconfirmed(household, now)
    if visit is None:
        return None
    visit.confirmed_by_household_at = now
    audit.record(
        "visit.confirm",
        None,
        visit,
        household,
        volunteer=visit.volunteer_id,
        seconds_after_sync=int((now - visit.received_at).total_seconds()),
        **details,
    )
    recognition.award_earned(visit.volunteer, ("confirmed_visits",))
    return visit


def recent_unconfirmed(household, now=None):
    """Return the latest visit not yet confirmed that happened, and reached us, within a day."""
    now = now or utcnow()
    return db.session.scalar(
        select(Visit)
        .where(
            Visit.household_id == household.id,
            Visit.deleted_at.is_(None),
            Visit.visited_at >= now - CONFIRM_WINDOW,
            Visit.received_at >= now - CONFIRM_WINDOW,
            Visit.confirmed_by_household_at.is_(None),
        )
        .order_by(Visit.visited_at.desc())
        .limit(1)
    )
