"""Realistic demo data for Nong Ian and Ban Lao, from a village's worth to a province's."""

import itertools
import json
import math
import random
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources

from sqlalchemy import func, select, text, update

from pwa_app.extensions import db
from pwa_app.models import (
    Acknowledgement,
    Agency,
    Area,
    Assistance,
    AssistanceEvent,
    Award,
    Badge,
    Encounter,
    EncounterEvent,
    HelpRequest,
    Household,
    HouseholdTag,
    Member,
    MemberTag,
    Organisation,
    User,
    Visit,
    VisitNeed,
    WelfareProgram,
    org_areas,
    user_areas,
)
from pwa_app.models.base import utcnow
from pwa_app.services import (
    accounts,
    demo_country,
    encounters,
    household_days,
    memo,
    passwords,
    visit_days,
)
from pwa_app.services import (
    progress as progress_display,
)
from pwa_app.services.bulk import insert_rows, next_id
from pwa_app.vocab import HELP_CATEGORIES, NEEDS, OPEN_ASSISTANCE_STATUSES

DEMO_PASSWORD = "demo-2569"
HOME_PROVINCE = "MDH"  # the demo centre's province: its people belong to the centre covering it
OBSERVER_PHONE = "0800000004"  # the demo observer, given every province of a grown demo
DEFAULT_HOUSEHOLDS = 120
VISITS_PER_HOUSEHOLD = 6
HOUSEHOLDS_PER_VOLUNTEER = 40
CHUNK = 5000
BULK = 50_000  # from this many new rows on, indexes are built once after the load
HISTORY_DAYS = 180
# Thailand's size, for `demo seed --national`: about one volunteer per village and a half.
NATIONAL = {
    "orgs": 76,
    "villages": 75_000,
    "households": 1_000_000,
    "visits": 10_000_000,
    "volunteers": 180_000,
}

TAG_ODDS = {
    "elderly": 0.45,
    "disability": 0.15,
    "bedridden": 0.06,
    "child": 0.3,
    "low_income": 0.35,
    "chronic_illness": 0.2,
    "single_parent": 0.08,
    "homeless": 0.01,
    "begging": 0.005,
}
PROGRAM_FOR_TAG = {
    "elderly": "old_age_allowance",
    "disability": "disability_allowance",
    "bedridden": "refer_health",
    "child": "child_support_grant",
    "low_income": "state_welfare_card",
    "homeless": "refer_shelter",
    "begging": "refer_shelter",
    "chronic_illness": "refer_health",
    "single_parent": "emergency_assistance",
}
# Paths a case takes, ending where the case stands today.
CASE_PATHS = (
    ("identified",),
    ("identified", "applied"),
    ("identified", "applied", "received"),
    ("identified", "referred"),
    ("identified", "referred", "received"),
    ("identified", "applied", "not_eligible"),
    ("identified", "withdrawn"),
)


@dataclass
class SeedReport:
    """What a seed run added."""

    users: int = 0
    households: int = 0
    visits: int = 0
    cases: int = 0
    organisations: int = 0
    areas: int = 0

    def __str__(self):
        grown = (
            f"{self.organisations} organisations, {self.areas} areas, "
            if self.organisations or self.areas
            else ""
        )
        return (
            f"added {grown}{self.users} users, {self.households} households, "
            f"{self.visits} visits, {self.cases} welfare cases"
        )


def load_words():
    """Return the Thai names and phrases the demo is made of."""
    return json.loads(resources.files("pwa_app").joinpath("data/demo.json").read_text("utf-8"))


def demo_logins():
    """Return (role, phone, name) for the demo accounts, for printing."""
    words = load_words()
    rows = [(p["role"], p["phone"], p["name"]) for p in words["staff"]]
    rows += [("volunteer", p["phone"], p["name"]) for p in words["volunteers"]]
    return rows


def seed(
    households=DEFAULT_HOUSEHOLDS,
    visits=None,
    now=None,
    orgs=None,
    villages=None,
    volunteers=None,
    progress=progress_display.silent,
):
    """Top the database up to the given counts; running it again adds nothing.

    `orgs` and `villages` grow the demo to a country's size first: more organisations, each
    over a demo province, and villages spread over them (see demo_country); `volunteers` spreads
    at least that many volunteers over the villages (else one per HOUSEHOLDS_PER_VOLUNTEER
    households). `progress` shows how far the long stages are (see services/progress.py).
    """
    now = now or utcnow()
    visits = households * VISITS_PER_HOUSEHOLD if visits is None else visits
    # Seeded by what is already there: the same run gives the same data, a top-up new data.
    rng = random.Random(f"2569:{next_id(Household)}:{next_id(Visit)}")
    words = load_words()
    report = SeedReport()
    users_before = db.session.scalar(select(func.count(User.id)))
    _ensure_people(words)
    phones = _demo_phones()
    if orgs or villages:
        grown = demo_country.grow(orgs, villages, phones, _shared_hash())
        report.organisations, report.areas = grown.organisations, grown.areas
        if grown.organisations and (observer := accounts.find_by_phone(OBSERVER_PHONE)):
            demo_country.cover_everything(observer)
        db.session.flush()
    _locate_villages(words)
    report.households += _top_up_households(rng, words, households, phones, volunteers, progress)
    report.visits, report.cases = _top_up_visits(rng, words, visits, now, progress)
    report.users = db.session.scalar(select(func.count(User.id))) - users_before
    _ensure_extras(rng, words, now)
    _ensure_encounters(words, now)
    _reset_sequences()
    household_days.rebuild(db.session.connection())
    _analyze()
    return report


def _ensure_people(words):
    """Create the demo staff, admin, observer and volunteers that are missing."""
    home = db.session.scalar(
        select(Organisation.code)
        .join(org_areas, org_areas.c.org_id == Organisation.id)
        .join(Area, Area.id == org_areas.c.area_id)
        .where(Area.code == HOME_PROVINCE)
    )
    for person in words["staff"] + words["volunteers"]:
        if accounts.find_by_phone(person["phone"]) is not None:
            continue
        accounts.create_user(
            accounts.UserInput(
                phone=person["phone"],
                display_name=person["name"],
                role=person.get("role", "volunteer"),
                area_codes=person.get("areas", []),
                password=DEMO_PASSWORD,
                org_code=home,
            )
        )
    db.session.flush()


def _shared_hash(kept={}):  # noqa: B006 - one slow hash per process for thousands of accounts
    if "hash" not in kept:
        kept["hash"] = passwords.hash_password(DEMO_PASSWORD)
    return kept["hash"]


def _locate_villages(words):
    """Put the demo's villages on the map where an admin has not placed them yet."""
    for code, where in words.get("village_locations", {}).items():
        village = db.session.scalar(select(Area).where(Area.code == code))
        if village is not None and village.lat is None and village.lon is None:
            village.lat, village.lon = where


def _village_rows():
    """Return (id, code, parent id) of every village, by code."""
    return db.session.execute(
        select(Area.id, Area.code, Area.parent_id)
        .where(Area.level == "village")
        .order_by(Area.code)
    ).all()


def _volunteers_by_village(rng, words, villages, need_per_village, phones, total=0):
    """Return {village_id: [volunteer ids]}, adding volunteers where a village needs more,
    then more spread evenly until there are at least `total` volunteers.

    One query reads who works where; the volunteers added are written in bulk.
    """
    by_area = {}
    for user_id, area_id in db.session.execute(
        select(user_areas.c.user_id, user_areas.c.area_id)
        .join(User, User.id == user_areas.c.user_id)
        .where(User.role == "volunteer")
        .order_by(user_areas.c.user_id)
    ):
        by_area.setdefault(area_id, []).append(user_id)
    by_village = {
        village_id: sorted(set(by_area.get(village_id, []) + by_area.get(parent_id, [])))
        for village_id, _code, parent_id in villages
    }
    orgs = _organisation_by_village(villages)
    missing = {
        village_id: max(0, need_per_village.get(village_id, 0) - len(by_village[village_id]))
        for village_id, _code, _parent_id in villages
    }
    have = db.session.scalar(select(func.count(User.id)).where(User.role == "volunteer"))
    for village_id, extra in _spread(total - have - sum(missing.values()), villages).items():
        missing[village_id] += extra
    user_id, rows, areas = next_id(User), [], []
    for village_id, _code, _parent_id in villages:
        for _ in range(missing[village_id]):
            rows.append(
                demo_country.volunteer_row(
                    user_id,
                    next(phones),
                    _person_name(rng, words),
                    orgs[village_id],
                    _shared_hash(),
                )  # fmt: skip
            )
            areas.append({"user_id": user_id, "area_id": village_id})
            by_village[village_id].append(user_id)
            user_id += 1
    demo_country.add_volunteers(rows, areas)
    return by_village


def _organisation_by_village(villages):
    """Return {village_id: the id of the organisation covering it (the nearest)}."""
    parents = dict(db.session.execute(select(Area.id, Area.parent_id)).all())
    fallback = db.session.scalar(select(func.min(Organisation.id)))
    covered = {}
    for org_id, area_id in db.session.execute(
        select(org_areas.c.org_id, org_areas.c.area_id).order_by(org_areas.c.org_id.desc())
    ):
        covered[area_id] = org_id  # the lowest id wins among organisations on one area
    found = {}
    for village_id, _code, _parent_id in villages:
        area_id = village_id
        while area_id is not None and area_id not in covered:
            area_id = parents.get(area_id)
        found[village_id] = covered.get(area_id, fallback)
    return found


def _demo_phones():
    """Yield fresh demo phone numbers (09...), after those used already."""
    highest = db.session.scalar(select(func.max(User.phone)).where(User.phone.like("09%")))
    for number in itertools.count(int(highest) + 1 if highest else 900000001):
        yield f"0{number:09d}"


def _person_name(rng, words):
    first = rng.choice(words["first_names_female"] + words["first_names_male"])
    return f"{first} {rng.choice(words['surnames'])}"


def _top_up_households(rng, words, target, phones, volunteers, progress):
    """Add households (with members and tags) until there are `target`; return how many.

    Villages get volunteers first: one per HOUSEHOLDS_PER_VOLUNTEER households, and at least
    their share of `volunteers` (the country's total) when it is given. The rows are written a
    chunk at a time, so a country's million households never sit in memory at once.
    """
    existing = db.session.scalar(select(func.count(Household.id)))
    missing = target - existing
    villages = _village_rows()
    if missing <= 0 and not volunteers:
        return 0
    missing = max(missing, 0)
    shares = _spread(missing, villages)
    have = dict(
        db.session.execute(
            select(Household.village_id, func.count(Household.id)).group_by(Household.village_id)
        ).all()
    )
    need = {
        village_id: math.ceil((share + have.get(village_id, 0)) / HOUSEHOLDS_PER_VOLUNTEER)
        for village_id, share in shares.items()
    }
    by_village = _volunteers_by_village(rng, words, villages, need, phones, volunteers or 0)
    if not missing:
        return 0
    bulk = missing >= BULK and missing >= existing
    with (
        _indexes_built_after(Household, HouseholdTag, Member, MemberTag, when=bulk),
        progress("households", missing) as bar,
    ):
        _add_households(rng, words, villages, shares, by_village, bar)
    return missing


def _spread(count, villages):
    """Return {village_id: its share of `count`}, as even as whole numbers allow."""
    count = max(count, 0)
    shares = {village_id: count // len(villages) for village_id, _c, _p in villages}
    for village_id, _code, _parent_id in villages[: count % len(villages)]:
        shares[village_id] += 1
    return shares


def _add_households(rng, words, villages, shares, volunteers, bar):
    """Generate and insert the households, their tags, members and members' tags."""
    sequences = _last_sequences()
    household_id = next_id(Household)
    member_id = next_id(Member)
    chunk = HouseholdChunk()
    for village_id, village_code, _parent_id in villages:
        sequence = sequences.get(village_id, 0)
        for _ in range(shares[village_id]):
            sequence += 1
            household_tags = [tag for tag, odds in TAG_ODDS.items() if rng.random() < odds]
            chunk.households.append(
                _household_row(
                    rng,
                    words,
                    household_id,
                    village_id,
                    f"{village_code}-{sequence:04d}",
                    volunteers[village_id],
                )  # fmt: skip
            )
            chunk.tags += [{"household_id": household_id, "tag": tag} for tag in household_tags]
            for member in _member_rows(rng, words, household_id, household_tags):
                member["id"] = member_id
                chunk.member_tags += [
                    {"member_id": member_id, "tag": tag} for tag in member.pop("tags")
                ]
                chunk.members.append(member)
                member_id += 1
            household_id += 1
            if len(chunk.households) >= CHUNK:
                bar.update(chunk.write())
    bar.update(chunk.write())


@dataclass
class HouseholdChunk:
    """Households (and what hangs on them) waiting to be written together."""

    households: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    members: list = field(default_factory=list)
    member_tags: list = field(default_factory=list)

    def write(self):
        """Insert the rows, empty the chunk and return how many households it held."""
        insert_rows(Household, self.households)
        insert_rows(HouseholdTag, self.tags)
        insert_rows(Member, self.members)
        insert_rows(MemberTag, self.member_tags)
        written = len(self.households)
        for rows in (self.households, self.tags, self.members, self.member_tags):
            rows.clear()
        return written


def _household_row(rng, words, household_id, village_id, code, volunteers):
    first = rng.choice(words["first_names_female"] + words["first_names_male"])
    return {
        "id": household_id,
        "code": code,
        "qr_token": secrets.token_urlsafe(16),
        "house_no": f"{rng.randint(1, 250)}"
        + (f"/{rng.randint(1, 9)}" if rng.random() < 0.1 else ""),
        "village_id": village_id,
        "lat": round(16.55 + rng.uniform(-0.05, 0.05), 6),
        "lon": round(104.45 + rng.uniform(-0.05, 0.05), 6),
        "head_name": f"{first} {rng.choice(words['surnames'])}",
        "phone": f"08{rng.randint(10000000, 99999999)}" if rng.random() < 0.7 else None,
        "consent_at": date(2026, 1, 1) + timedelta(days=rng.randint(0, 200)),
        "consent_scope": "visits+welfare",
        # Two homes in three also agreed to photographs (without drawing on rng: the rest of
        # the demo stays as it was).
        "consent_photos": household_id % 3 != 0,
        "assigned_volunteer_id": rng.choice(volunteers),
        "archived": False,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def _member_rows(rng, words, household_id, household_tags):
    surname = rng.choice(words["surnames"])
    rows = []
    for index in range(rng.randint(1, 5)):
        sex = rng.choice(("female", "male"))
        pool = words["first_names_female" if sex == "female" else "first_names_male"]
        elderly = index == 0 and "elderly" in household_tags
        born = rng.randint(1936, 1960) if elderly else rng.randint(1965, 2024)
        tags = [t for t in ("disability", "bedridden", "chronic_illness") if t in household_tags]
        rows.append(
            {
                "household_id": household_id,
                "name": f"{rng.choice(pool)} {surname}",
                "birth_year": born,
                "sex": sex,
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                "tags": (["elderly"] if born < 1966 else [])
                + (["child"] if born > 2008 else [])
                + (tags[:1] if index == 0 else []),
            }
        )
    return rows


def _last_sequences():
    """Return {village_id: the highest household number used there}."""
    highest = {}
    for village_id, code in db.session.execute(select(Household.village_id, Household.code)):
        number = int(code.rsplit("-", 1)[1])
        if number > highest.get(village_id, 0):
            highest[village_id] = number
    return highest


def _top_up_visits(rng, words, target, now, progress):
    """Add visits (with needs and some welfare cases) until there are `target`."""
    existing = db.session.scalar(select(func.count(Visit.id)))
    missing = target - existing
    if missing <= 0:
        return 0, 0
    households = db.session.execute(
        select(Household.id, Household.assigned_volunteer_id, Household.village_id).where(
            Household.assigned_volunteer_id.is_not(None)
        )
    ).all()
    if not households:
        return 0, 0
    tags = {}
    for household_id, tag in db.session.execute(
        select(HouseholdTag.household_id, HouseholdTag.tag)
    ):
        tags.setdefault(household_id, []).append(tag)
    programs = dict(db.session.execute(select(WelfareProgram.code, WelfareProgram.id)).all())
    visit_id, case_id = next_id(Visit), next_id(Assistance)
    added_cases = 0
    bulk = missing >= BULK and missing >= existing
    with (
        _indexes_built_after(Visit, VisitNeed, Assistance, AssistanceEvent, when=bulk),
        progress("visits", missing) as bar,
    ):
        added_cases = _add_visits(
            rng, words, missing, now, households, tags, programs, visit_id, case_id, bar
        )
    refresh_last_visits()
    visit_days.rebuild()
    memo.forget_all()
    return missing, added_cases


def _add_visits(rng, words, missing, now, households, tags, programs, visit_id, case_id, bar):
    """Generate and insert the visits, their needs and cases; return the cases added.

    A household has one open case per programme (as the app keeps it): a case that would
    open a programme open already is left out.
    """
    added_cases = 0
    open_now = set(
        db.session.execute(
            select(Assistance.household_id, Assistance.program_id).where(
                Assistance.status.in_(OPEN_ASSISTANCE_STATUSES), Assistance.member_id.is_(None)
            )
        ).tuples()
    )
    for start in range(0, missing, CHUNK):
        visits, needs, cases, events = [], [], [], []
        for _ in range(min(CHUNK, missing - start)):
            household_id, volunteer_id, village_id = rng.choice(households)
            visit = _visit_row(rng, words, visit_id, household_id, volunteer_id, now)
            visit["village_id"] = village_id
            visits.append(visit)
            needs += [{"visit_id": visit_id, "need": n} for n in visit.pop("needs")]
            if visit["wellbeing"] != "green" and rng.random() < 0.25:
                tag = rng.choice(tags.get(household_id) or ["low_income"])
                program_id = programs[PROGRAM_FOR_TAG.get(tag, "state_welfare_card")]
                case, case_events = _case_rows(rng, words, case_id, visit, program_id, now)
                opens = case["status"] in OPEN_ASSISTANCE_STATUSES
                if not (opens and (household_id, program_id) in open_now):
                    if opens:
                        open_now.add((household_id, program_id))
                    cases.append(case)
                    events += case_events
                    case_id += 1
            visit_id += 1
        insert_rows(Visit, visits)
        insert_rows(VisitNeed, needs)
        insert_rows(Assistance, cases)
        insert_rows(AssistanceEvent, events)
        added_cases += len(cases)
        bar.update(len(visits))
    return added_cases


@contextmanager
def _indexes_built_after(*models, when=True):
    """Drop the tables' secondary indexes for a bulk load and build each once afterwards.

    Building an index over a million sorted keys is far quicker than updating it a million
    times; unique constraints stay, so the load is checked as usual.
    """
    indexes = [i for m in models for i in m.__table__.indexes if not i.unique] if when else []
    connection = db.session.connection()
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)


def refresh_last_visits():
    """Set every household's and volunteer's last visit in two set-based updates."""
    for model, column in ((Household, Visit.household_id), (User, Visit.volunteer_id)):
        latest = (
            select(column.label("owner_id"), func.max(Visit.visited_at).label("latest"))
            .where(Visit.deleted_at.is_(None))
            .group_by(column)
            .subquery()
        )
        db.session.execute(
            update(model)
            .where(model.id == latest.c.owner_id)
            .values(last_visit_at=latest.c.latest)
            .execution_options(synchronize_session=False)
        )


NEED_CODES = sorted(NEEDS)
KINDS = ("routine",) * 70 + ("follow_up",) * 20 + ("first_contact",) * 7 + ("urgent",) * 3


def _visit_row(rng, words, visit_id, household_id, volunteer_id, now):
    # A million of these make a province's database: few random draws each.
    visited = now - timedelta(days=rng.random() * HISTORY_DAYS)
    minute = int(rng.random() * 600)
    visited = visited.replace(hour=1 + minute // 60, minute=minute % 60)  # 08-17 in Thailand
    if visited > now:
        visited -= timedelta(days=1)
    draw = rng.random()
    wellbeing = "green" if draw < 0.70 else "yellow" if draw < 0.94 else "red"
    need_count = {"green": 0, "yellow": 1, "red": 2}[wellbeing] + (rng.random() < 0.3)
    bits = f"{rng.getrandbits(128):032x}"
    return {
        "id": visit_id,
        "client_uuid": f"{bits[:8]}-{bits[8:12]}-4{bits[13:16]}-{'89ab'[int(bits[16], 16) % 4]}"
        f"{bits[17:20]}-{bits[20:]}",
        "household_id": household_id,
        "volunteer_id": volunteer_id,
        "visited_at": visited,
        "received_at": visited + timedelta(minutes=5),
        "updated_at": visited + timedelta(minutes=5),
        "kind": KINDS[int(rng.random() * 100)],
        "wellbeing": wellbeing,
        "notes": rng.choice(words["visit_notes"][wellbeing]),
        "needs": rng.sample(NEED_CODES, need_count) if need_count else [],
        "confirmed_by_household_at": visited + timedelta(hours=2) if rng.random() < 0.2 else None,
    }


def _case_rows(rng, words, case_id, visit, program_id, now):
    path = rng.choice(CASE_PATHS)
    at = visit["visited_at"]
    events, previous = [], None
    for status in path:
        events.append(
            {
                "assistance_id": case_id,
                "visit_id": visit["id"] if previous is None else None,
                "from_status": previous,
                "to_status": status,
                "note": rng.choice(words["case_notes"]),
                "by_user_id": visit["volunteer_id"],
                "at": at,
            }
        )
        previous = status
        at = min(at + timedelta(days=rng.randint(3, 30)), now)
    open_case = path[-1] in ("identified", "applied", "referred")
    follow_up = (now + timedelta(days=rng.randint(-20, 30))).date() if open_case else None
    case = {
        "id": case_id,
        "household_id": visit["household_id"],
        "village_id": visit["village_id"],
        "program_id": program_id,
        "status": path[-1],
        "next_follow_up": follow_up,
        "note": events[-1]["note"],
        "opened_at": visit["visited_at"],
        "opened_by_id": visit["volunteer_id"],
        "updated_at": events[-1]["at"],
        "closed_at": None if open_case else events[-1]["at"],
    }
    return case, events


def _ensure_extras(rng, words, now):
    """Add a few help requests, thanks and awards once, so every page has something."""
    if db.session.scalar(select(func.count(HelpRequest.id))):
        return
    households = db.session.scalars(select(Household).order_by(Household.id).limit(12)).all()
    staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
    if not households or staff is None:
        return
    for index, household in enumerate(households[:6]):
        status = ("new", "new", "seen", "resolved", "new", "seen")[index]
        created = now - timedelta(days=index * 2, hours=3)
        db.session.add(
            HelpRequest(
                household=household,
                category=sorted(HELP_CATEGORIES)[index % len(HELP_CATEGORIES)],
                message=words["help_messages"][index % len(words["help_messages"])],
                status=status,
                created_at=created,
                seen_at=created + timedelta(hours=5) if status != "new" else None,
                seen_by_id=staff.id if status != "new" else None,
                resolved_at=created + timedelta(days=1) if status == "resolved" else None,
                resolved_by_id=staff.id if status == "resolved" else None,
            )
        )
    recent = db.session.scalars(select(Visit).order_by(Visit.visited_at.desc()).limit(3)).all()
    for visit, message in zip(recent, words["thanks"], strict=False):
        db.session.add(
            Acknowledgement(
                volunteer_id=visit.volunteer_id,
                from_user_id=staff.id,
                visit_id=visit.id,
                message=message,
                created_at=now - timedelta(hours=1),
            )
        )
    _demo_awards(words, staff, now)
    db.session.flush()
    from pwa_app.services import recognition

    for person in words["volunteers"]:
        if (volunteer := accounts.find_by_phone(person["phone"])) is not None:
            recognition.evaluate(volunteer)


def _ensure_encounters(words, now):
    """Add the demo's people in hardship once, each as far along as its story goes (new,
    assigned, referred, closed), with their history."""
    if db.session.scalar(select(func.count(Encounter.id))):
        return
    staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
    agency = db.session.scalar(
        select(Agency).order_by((Agency.kind != "protection_centre"), Agency.id).limit(1)
    )
    if staff is None:
        return
    for index, story in enumerate(words.get("encounters", [])):
        village = db.session.scalar(select(Area).where(Area.code == story["village"]))
        reporter = db.session.scalar(
            select(User)
            .join(user_areas, user_areas.c.user_id == User.id)
            .where(User.role == "volunteer", user_areas.c.area_id == village.id)
            .order_by(User.id)
        ) if village else None  # fmt: skip
        if reporter is None:
            continue
        at = now - timedelta(hours=story["hours_ago"])
        person = story["person"]
        encounter = Encounter(
            client_uuid=str(uuid.UUID(int=index + 1)),
            reporter_id=reporter.id,
            village_id=village.id,
            seen_at=at - timedelta(minutes=20),
            received_at=at,
            updated_at=at,
            category=story["category"],
            urgency=story["urgency"],
            place=story["place"],
            description=story["description"],
            person_name=person["name"],
            person_age=person["age"],
            person_sex=person["sex"],
            status="new",
        )
        encounter.events.append(
            EncounterEvent(at=at, by_id=reporter.id, status_from=None, status_to="new")
        )
        for hours, (step, note) in enumerate(story["steps"], 1):
            status = encounters.STEPS[step]
            event = EncounterEvent(
                at=at + timedelta(hours=hours),
                by_id=staff.id,
                status_from=encounter.status,
                status_to=status,
                note=note,
                assigned_to_id=reporter.id if step == "assign" else None,
                agency_id=agency.id if step == "refer" and agency else None,
            )
            encounter.events.append(event)
            encounter.status = status
            encounter.assigned_to_id = encounter.assigned_to_id or event.assigned_to_id
            encounter.agency_id = encounter.agency_id or event.agency_id
            encounter.updated_at = event.at
            if status == "closed":
                encounter.closed_at = event.at
        db.session.add(encounter)
    db.session.flush()


def _demo_awards(words, staff, now):
    badges = {b.code: b for b in db.session.scalars(select(Badge))}
    volunteers = db.session.scalars(
        select(User).where(User.role == "volunteer").order_by(User.id).limit(6)
    ).all()
    for volunteer in volunteers:
        if "first_visit" in badges:
            db.session.add(
                Award(
                    public_id=secrets.token_urlsafe(12),
                    badge=badges["first_visit"],
                    volunteer=volunteer,
                    dedupe_key=f"first_visit:{volunteer.id}",
                    awarded_at=now - timedelta(days=150),
                )
            )
    if "smile" in badges and volunteers:
        db.session.add(
            Award(
                public_id=secrets.token_urlsafe(12),
                badge=badges["smile"],
                volunteer=volunteers[0],
                awarded_by_id=staff.id,
                citation=words["staff_citation"],
                awarded_at=now - timedelta(days=10),
            )
        )


def _analyze():
    """Refresh the planner's statistics after a bulk load (PostgreSQL plans badly without)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))


def tidy():
    """After a seed is committed: PostgreSQL's VACUUM ANALYZE, so that the dashboard's
    index-only scans need not visit the freshly loaded tables (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _reset_sequences():
    """After explicit ids, move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (Area, Organisation, Household, Member, Visit, Assistance, AssistanceEvent, User):
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )
