"""The staff dashboard: figures for a period and an area, each beside the period before.

Every figure is one SQL aggregate over indexed columns; Python only arranges the few rows
that come back.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, or_, select, true
from sqlalchemy.orm import aliased, selectinload

from pwa_app.extensions import db
from pwa_app.models import (
    Acknowledgement,
    Area,
    AreaDay,
    Assistance,
    AssistanceEvent,
    HelpRequest,
    Household,
    HouseholdDay,
    User,
    Visit,
    VisitDay,
    WelfareProgram,
    area_paths,
)
from pwa_app.services import consultations, encounters, memo, scope, thai_dates
from pwa_app.services.areas import LEVELS as AREA_LEVELS
from pwa_app.services.cases import today
from pwa_app.services.errors import ValidationError
from pwa_app.services.sqltime import as_date
from pwa_app.services.summaries import LOCAL_TZ
from pwa_app.vocab import ASSISTANCE_STATUSES, OPEN_ASSISTANCE_STATUSES

PRESETS = ("week", "month", "quarter", "custom")
EARLIEST = date(2020, 1, 1)
LONGEST = timedelta(days=3 * 366)
LIST_SIZE = 10
STALE_DAYS = 60  # a household not visited in this many days is listed for staff
# The most areas the per-area chart and the map show: past it they count by the level above,
# so a country of 75,000 villages draws its provinces and a province its districts.
BREAKDOWN_LIMIT = 60
MAP_LIMIT = 400


@dataclass(frozen=True)
class Period:
    """A run of whole days in Thailand, both ends included."""

    start: date
    end: date
    preset: str = "custom"

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def previous(self):
        """Return the period of the same length just before this one."""
        return Period(
            self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.preset
        )

    def bounds(self):
        """Return the period as aware datetimes [from, to)."""
        return (
            datetime.combine(self.start, time(), LOCAL_TZ),
            datetime.combine(self.end + timedelta(days=1), time(), LOCAL_TZ),
        )


def parse_period(preset="month", start="", end="", now=None):
    """Turn the filter's choice into a Period; raise ValidationError with field messages."""
    current = now or today()
    preset = preset if preset in PRESETS else "month"
    if preset == "week":
        return Period(current - timedelta(days=current.weekday()), current, preset)
    if preset == "month":
        return Period(current.replace(day=1), current, preset)
    if preset == "quarter":
        first_month = 3 * ((current.month - 1) // 3) + 1
        return Period(current.replace(month=first_month, day=1), current, preset)
    errors = {}
    parsed = {}
    for name, value in (("from", start), ("to", end)):
        try:
            parsed[name] = thai_dates.parse_day(value)
            if parsed[name] is None:
                raise ValueError("empty")
        except ValueError:
            errors[name] = thai_dates.DATE_EXAMPLE
            continue
        if not EARLIEST <= parsed[name] <= current + timedelta(days=366):
            errors[name] = _l(
                "Choose a date between %(first)s and a year from today.", first=EARLIEST.isoformat()
            )
    if not errors and parsed["to"] < parsed["from"]:
        errors["to"] = _l("The end of the period is before its start.")
    if not errors and parsed["to"] - parsed["from"] > LONGEST:
        errors["to"] = _l("Choose a period of at most three years.")
    if errors:
        raise ValidationError(_l("Please correct the period."), errors)
    return Period(parsed["from"], parsed["to"], preset)


def parse_area(code):
    """Return the area (province to village) with this code (None for everywhere)."""
    code = (code or "").strip().upper()
    if not code:
        return None
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise ValidationError(
            _l("Please correct the area."),
            {"area": _l("There is no area with the code %(code)s.", code=code[:20])},
        )
    return area


@dataclass(frozen=True)
class Villages:
    """The villages a board counts: their ids as a SQL selection, and a name for kept figures.

    `roots`, when set, selects areas whose villages are exactly these: the figures of an area
    at or below them may then be read from the roll-ups (area_days).
    """

    ids: object
    key: str
    roots: object = None


def villages_in(area):
    """Return the villages at or below an area (None: every village)."""
    if area is None:
        return None
    root = select(Area.id).where(Area.id == area.id)
    return Villages(scope.villages_below(root), f"a{area.id}", root)


def villages_for(viewer, area=None):
    """Return the viewer's villages (within an area, if one is chosen); None: every village.

    Staff count their organisation's villages, an observer those of its areas; the names of
    kept figures say which, so two organisations never share one. Where the viewer's areas
    hold the whole chosen area (or, with none chosen, every province), the villages are that
    area's (or no filter at all): every figure then reads one index range, not an
    intersection rebuilt for each query.
    """
    roots = scope.roots(viewer)
    if area is None and _holds_every_province(roots):
        return None
    if area is not None and _holds_area(roots, area):
        return villages_in(area)
    if scope.org_wide(viewer):
        key = f"org{viewer.org_id}"
    else:
        key = "areas" + ",".join(str(a.id) for a in viewer.areas)
    ids = scope.village_select(viewer)
    if area is not None:  # an area partly the viewer's: only the villages of both
        ids = select(Area.id).where(Area.id.in_(ids), Area.id.in_(villages_in(area).ids))
        key += f"/{area.id}"
        roots = None
    return Villages(ids, hashlib.sha256(key.encode()).hexdigest()[:24], roots)


def _holds_area(roots, area):
    """Tell whether the area lies at or below one of the root areas."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(area_paths)
            .where(area_paths.c.area_id == area.id, area_paths.c.ancestor_id.in_(roots))
        )
        > 0
    )


def _holds_every_province(roots):
    """Tell whether the root areas include every province (so every village)."""
    return not db.session.scalar(
        select(func.count(Area.id)).where(Area.level == "province", Area.id.not_in(roots))
    )


@dataclass
class Figure:
    """One number on the dashboard, with the previous period's for comparison."""

    key: str
    label: object
    value: float
    previous: float | None = None
    unit: str = ""

    @property
    def change(self):
        """Return the difference from the previous period, or None."""
        return None if self.previous is None else self.value - self.previous


@dataclass
class Dashboard:
    """Everything the dashboard page shows."""

    period: Period
    area: Area | None
    figures: list[Figure] = field(default_factory=list)
    weekly: list = field(default_factory=list)
    level: str = "village"  # what the per-area chart counts by
    by_area: list = field(default_factory=list)  # (area, visits) at that level
    map_level: str = "village"  # what a circle on the map is
    coverage: list = field(default_factory=list)  # [AreaCoverage] at that level
    funnel: list = field(default_factory=list)
    stale_households: list = field(default_factory=list)
    stale_count: int = 0
    overdue_cases: list = field(default_factory=list)
    new_requests: list = field(default_factory=list)
    recent_visits: list = field(default_factory=list)
    thanked_visit_ids: set = field(default_factory=set)
    with_lists: bool = True
    waits: object = None  # consultations: how long volunteers waited for a first answer
    encounters: object = None  # open reports of people in hardship, by age and category


def in_villages(column, villages):
    """Return the condition that a village column lies in the villages (None: anywhere)."""
    return column.in_(villages.ids) if villages is not None else true()


def live_visits_between(start, end, villages):
    """Return the conditions for live visits in [start, end) in the villages."""
    return (
        Visit.visited_at >= start,
        Visit.visited_at < end,
        Visit.deleted_at.is_(None),
        in_villages(Visit.village_id, villages),
    )


def days_filter(period, villages):
    """Return the conditions on visit_days for a period's days in the villages."""
    return (
        VisitDay.day >= period.start,
        VisitDay.day <= period.end,
        in_villages(VisitDay.village_id, villages),
    )


def count_visits(period, villages):
    """Count live visits in a period, from the visits-per-day table (every village's: from the
    provinces' roll-ups, a few rows a day)."""
    if villages is None:
        return db.session.scalar(
            select(func.coalesce(func.sum(AreaDay.visits), 0)).where(*province_days(period))
        )
    return db.session.scalar(
        select(func.coalesce(func.sum(VisitDay.visits), 0)).where(*days_filter(period, villages))
    )


def province_days(period):
    """Return the conditions on area_days for a period's days in every province."""
    return (
        AreaDay.day >= period.start,
        AreaDay.day <= period.end,
        AreaDay.area_id.in_(select(Area.id).where(Area.level == "province")),
    )


def scan_visit_counts(period, villages):
    """Return [visits, households reached, active volunteers] by scanning the period's visits."""
    start, end = period.bounds()
    return list(
        db.session.execute(
            select(
                func.count(Visit.id),
                func.count(distinct(Visit.household_id)),
                func.count(distinct(Visit.volunteer_id)),
            ).where(*live_visits_between(start, end, villages))
        ).one()
    )


def memo_key(name, period, villages):
    """Name a kept figure by what it counts, its period and its villages."""
    where = "all" if villages is None else villages.key
    return f"{name}:{period.start}:{period.end}:{where}"[:200]


@dataclass(frozen=True)
class HouseholdsNow:
    """The households of a period that runs to today, counted in one pass."""

    total: int  # not archived
    reached: int  # last visited since the period's start (archived since too)
    visited: dict  # days -> households (not archived) visited in the days to the period's end


def households_now(period, villages, days=(30, 90)):
    """Count a live period's households once, for every figure that needs them."""
    start, end = period.bounds()
    live = Household.archived.is_(False)
    row = db.session.execute(
        select(
            func.count().filter(live),
            func.count().filter(Household.last_visit_at >= start),
            *(
                func.count().filter(live, Household.last_visit_at >= end - timedelta(days=n))
                for n in days
            ),
        )
        .select_from(Household)
        .where(in_villages(Household.village_id, villages))
    ).one()
    return HouseholdsNow(row[0], row[1], dict(zip(days, row[2:], strict=True)))


@dataclass(frozen=True)
class AreaHouseholds:
    """The households of the areas at one level, counted in one pass for the figures and the
    map alike."""

    now: HouseholdsNow  # every area's together (those of villages above no area there too)
    per_area: dict  # area id -> (households, visited since the period's start), not archived


def households_per_area(period, villages, level, days=(30, 90)):
    """Count the households once, per area at a level: every figure and the map read them.

    Whole areas above the villages (every province, an organisation's, an area chosen) add
    up their kept households per day of last visit (household_days); other scopes count the
    households, each meeting its area through its village's path (one index seek a village);
    its village has no area at the level only in a broken tree, and counts then for the
    figures alone.
    """
    if level != "village" and (tops := top_areas(villages)) is not None:
        if rolled_up(villages, level):
            return households_per_area_rolled(period, villages, level, tops, days)
    return households_per_area_counted(period, villages, level, days)


def households_per_area_counted(period, villages, level, days=(30, 90)):
    """households_per_area counted from the households themselves (villages, and scopes
    that are not whole areas)."""
    start, end = period.bounds()
    live = Household.archived.is_(False)
    to_area = select(
        area_paths.c.ancestor_id.label("area_id"), area_paths.c.area_id.label("village_id")
    ).where(area_paths.c.ancestor_level == level)
    if villages is None:
        to_area = to_area.where(area_paths.c.level == "village")
    else:
        to_area = to_area.where(area_paths.c.area_id.in_(villages.ids))
    to_area = to_area.subquery()
    rows = db.session.execute(
        select(
            to_area.c.area_id,
            func.count().filter(live),
            func.count().filter(live, Household.last_visit_at >= start),
            func.count().filter(Household.last_visit_at >= start),
            *(
                func.count().filter(live, Household.last_visit_at >= end - timedelta(days=n))
                for n in days
            ),
        )
        .select_from(Household)
        .outerjoin(to_area, to_area.c.village_id == Household.village_id)
        .where(in_villages(Household.village_id, villages))
        .group_by(to_area.c.area_id)
    ).all()
    now = HouseholdsNow(
        sum(row[1] for row in rows),
        sum(row[3] for row in rows),
        {n: sum(row[4 + i] for row in rows) for i, n in enumerate(days)},
    )
    per_area = {row[0]: (row[1], row[2]) for row in rows if row[0] is not None}
    return AreaHouseholds(now, per_area)


def top_areas(villages):
    """Return the ids of the areas above villages whose households are exactly the villages'
    (every province; else the roots not below another root), or None when a root is a
    village: the households of these areas are kept per day in household_days."""
    if villages is None:
        return db.session.scalars(select(Area.id).where(Area.level == "province")).all()
    if villages.roots is None:
        return None
    roots = db.session.execute(select(Area.id, Area.level).where(Area.id.in_(villages.roots)))
    roots = dict(roots.all())
    if "village" in roots.values():
        return None
    inner = db.session.scalars(
        select(area_paths.c.area_id).where(
            area_paths.c.area_id.in_(roots),
            area_paths.c.ancestor_id.in_(roots),
            area_paths.c.ancestor_id != area_paths.c.area_id,
        )
    )
    return sorted(roots.keys() - set(inner))


def households_per_area_rolled(period, villages, level, tops, days=(30, 90)):
    """households_per_area from the kept households per area and day of last visit: a few
    rows per area and day, whatever the number of households.

    The figures add up the top areas' rows (`tops`, see top_areas), the map the rows of the
    areas at the level.
    """
    if villages is None:
        holding = select(Area.id).where(Area.level == level)
    else:
        holding = select(area_paths.c.area_id).where(
            area_paths.c.ancestor_id.in_(villages.roots), area_paths.c.level == level
        )
    live = HouseholdDay.archived.is_(False)
    since = HouseholdDay.day >= period.start

    def households(*conditions):
        return func.coalesce(func.sum(HouseholdDay.households).filter(*conditions), 0)

    columns = (
        households(live),
        households(live, since),
        households(since),
        *(households(live, HouseholdDay.day > period.end - timedelta(days=n)) for n in days),
    )
    per_area = {
        area_id: (total, reached)
        for area_id, total, reached, *_rest in db.session.execute(
            select(HouseholdDay.area_id, *columns)
            .where(HouseholdDay.area_id.in_(holding))
            .group_by(HouseholdDay.area_id)
        )
    }
    row = db.session.execute(select(*columns).where(HouseholdDay.area_id.in_(tops))).one()
    now = HouseholdsNow(row[0], row[2], dict(zip(days, row[3:], strict=True)))
    return AreaHouseholds(now, per_area)


def visit_counts(period, villages, now=None):
    """Return (visits, households reached, active volunteers) in a period.

    For a period that runs to today, the households' and volunteers' last visits answer
    without scanning (`now`: those households, counted already); an ended period is counted
    once and kept.
    """
    if period.end < today():
        key = memo_key("visit_counts", period, villages)
        return tuple(memo.remembered(key, period.end, lambda: scan_visit_counts(period, villages)))
    start, end = period.bounds()
    reached = (now or households_now(period, villages)).reached
    if villages is None:
        volunteers = db.session.scalar(
            select(func.count()).select_from(User).where(User.last_visit_at >= start)
        )
    else:
        volunteers = db.session.scalar(
            select(func.count(distinct(Visit.volunteer_id))).where(
                *live_visits_between(start, end, villages)
            )
        )
    return count_visits(period, villages), reached, volunteers


def household_total(villages):
    """Return how many households (not archived) the area has."""
    if (tops := top_areas(villages)) is not None:
        return db.session.scalar(
            select(func.coalesce(func.sum(HouseholdDay.households), 0)).where(
                HouseholdDay.area_id.in_(tops), HouseholdDay.archived.is_(False)
            )
        )
    return db.session.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.archived.is_(False), in_villages(Household.village_id, villages))
    )


def coverage(at_end, days, villages, total, now=None):
    """Return the share (0-100) of households visited in the `days` before a day's end.

    `now`: the live period's households (ending on at_end), counted already.
    """
    if not total:
        return 0
    end = datetime.combine(at_end + timedelta(days=1), time(), LOCAL_TZ)
    since = end - timedelta(days=days)
    if at_end >= today():
        # Up to now: each household's last visit says it.
        if now is None:
            now = households_now(Period(at_end, at_end), villages, (days,))
        visited = now.visited[days]
    else:
        visited = memo.remembered(
            memo_key(f"visited_{days}", Period(at_end, at_end), villages),
            at_end,
            lambda: db.session.scalar(
                select(func.count(distinct(Visit.household_id))).where(
                    *live_visits_between(since, end, villages)
                )
            ),
        )
    return round(100 * visited / total, 1)


def new_cases(period, villages):
    """Return how many welfare cases were opened in the period (an ended period's is kept: a
    case is opened at the time it is recorded)."""
    start, end = period.bounds()
    return memo.remembered(
        memo_key("new_cases", period, villages),
        period.end,
        lambda: db.session.scalar(
            select(func.count())
            .select_from(Assistance)
            .where(
                Assistance.opened_at >= start,
                Assistance.opened_at < end,
                in_villages(Assistance.village_id, villages),
            )
        ),
    )


def cases_received(period, villages):
    """Return how many cases reached "received" in the period (an ended period's is kept: a
    case's steps are dated when they are recorded)."""
    return memo.remembered(
        memo_key("cases_received", period, villages),
        period.end,
        lambda: count_cases_received(period, villages),
    )


def count_cases_received(period, villages):
    """Count the cases that reached "received" in the period."""
    start, end = period.bounds()
    stmt = (
        select(func.count())
        .select_from(AssistanceEvent)
        .where(
            AssistanceEvent.to_status == "received",
            AssistanceEvent.at >= start,
            AssistanceEvent.at < end,
        )
    )
    if villages is not None:
        stmt = stmt.join(Assistance, Assistance.id == AssistanceEvent.assistance_id).where(
            in_villages(Assistance.village_id, villages)
        )
    return db.session.scalar(stmt)


def open_referrals(villages):
    """Return (open referrals, overdue ones) now."""
    referral_programs = select(WelfareProgram.id).where(WelfareProgram.is_referral.is_(True))
    referral = or_(Assistance.status == "referred", Assistance.program_id.in_(referral_programs))
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(Assistance.next_follow_up < today()),
        )
        .select_from(Assistance)
        .where(
            Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
            referral,
            in_villages(Assistance.village_id, villages),
        )
    ).one()
    return row[0], row[1]


def waiting_help_requests(villages):
    """Return how many help requests are new or seen but not resolved."""
    return db.session.scalar(
        select(func.count())
        .select_from(HelpRequest)
        .where(
            HelpRequest.status.in_(("new", "seen")), in_villages(HelpRequest.village_id, villages)
        )
    )


def figures(period, villages, households=None):
    """Return the dashboard's figures for a period and an area.

    `households`: the period's households (a HouseholdsNow), counted already.
    """
    previous = period.previous()
    if households is None and period.end >= today():
        households = households_now(period, villages)
    now = households if period.end >= today() else None
    visits, reached, volunteers = visit_counts(period, villages, now)
    before_visits, before_reached, before_volunteers = visit_counts(previous, villages)
    total = households.total if households else household_total(villages)
    referrals, overdue = open_referrals(villages)
    return [
        Figure("visits", _l("Visits"), visits, before_visits),
        Figure("households_reached", _l("Households reached"), reached, before_reached),
        Figure(
            "coverage_30",
            _l("Visited in the last 30 days"),
            coverage(period.end, 30, villages, total, now),
            coverage(previous.end, 30, villages, total),
            "%",
        ),
        Figure(
            "coverage_90",
            _l("Visited in the last 90 days"),
            coverage(period.end, 90, villages, total, now),
            coverage(previous.end, 90, villages, total),
            "%",
        ),
        Figure(
            "new_cases",
            _l("New welfare cases"),
            new_cases(period, villages),
            new_cases(previous, villages),
        ),
        Figure(
            "cases_received",
            _l("Cases received"),
            cases_received(period, villages),
            cases_received(previous, villages),
        ),
        Figure("referrals_open", _l("Referrals open"), referrals),
        Figure("referrals_overdue", _l("Referrals overdue"), overdue),
        Figure("help_waiting", _l("Help requests waiting"), waiting_help_requests(villages)),
        Figure("active_volunteers", _l("Active volunteers"), volunteers, before_volunteers),
    ]


def buckets(period):
    """Return the first days of the chart's bars: days, weeks (Mondays) or months."""
    if period.days <= 14:
        return [period.start + timedelta(days=i) for i in range(period.days)]
    if period.days <= 190:
        first = period.start - timedelta(days=period.start.weekday())
        return [first + timedelta(weeks=i) for i in range((period.end - first).days // 7 + 1)]
    firsts, month = [], period.start.replace(day=1)
    while month <= period.end:
        firsts.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return firsts


def visits_over_time(period, villages):
    """Return [(first day, visits)] per day, week or month of the period."""
    if villages is None:
        per_day = select(AreaDay.day, func.sum(AreaDay.visits)).where(*province_days(period))
        per_day = per_day.group_by(AreaDay.day)
    else:
        per_day = select(VisitDay.day, func.sum(VisitDay.visits)).where(
            *days_filter(period, villages)
        )
        per_day = per_day.group_by(VisitDay.day)
    per_day = dict(db.session.execute(per_day).all())
    firsts = buckets(period)
    totals = dict.fromkeys(firsts, 0)
    for day, count in per_day.items():
        day = as_date(day)
        totals[max(first for first in firsts if first <= day)] += count
    return list(totals.items())


def areas_per_level(villages):
    """Count the areas at each level that hold the villages, in one query: {level: count}.

    Every village: the areas of each level. Whole areas (roots): those at or below the roots,
    read off the tree's paths, and those above them.
    """
    if villages is None or villages.roots is not None:
        if villages is None:
            rows = select(Area.level, func.count(Area.id)).group_by(Area.level)
        else:
            paths = area_paths
            below = select(paths.c.area_id, paths.c.level).where(
                paths.c.ancestor_id.in_(villages.roots)
            )
            above = select(paths.c.ancestor_id, paths.c.ancestor_level).where(
                paths.c.area_id.in_(villages.roots)
            )
            found = below.union(above).subquery()
            rows = select(found.c.level, func.count()).group_by(found.c.level)
        counts = dict(db.session.execute(rows).all())
        return {level: counts.get(level, 0) for level in AREA_LEVELS}
    tree = scope.lineage()
    counts = db.session.execute(
        tree.over(*(func.count(distinct(tree.levels[level].id)) for level in AREA_LEVELS)).where(
            in_villages(tree.village.id, villages)
        )
    ).one()
    return dict(zip(AREA_LEVELS, counts, strict=True))


def level_for(counts, limit):
    """Return the deepest level with at most `limit` areas; the province when none has."""
    return next((level for level in reversed(AREA_LEVELS) if counts[level] <= limit), "province")


def visits_per_area(period, villages, level="village"):
    """Return [(area, visits)] at a level for the period, by code.

    Every area holding any of the villages is there, those without a visit too.
    """
    if level != "village" and rolled_up(villages, level):
        return visits_per_area_rolled(period, villages, level)
    tree = scope.lineage()
    area_id = tree.levels[level].id
    # Summed per village first: the few thousand villages, not the period's days, then meet
    # the tree.
    per_village = (
        select(VisitDay.village_id, func.sum(VisitDay.visits).label("visits"))
        .where(*days_filter(period, villages))
        .group_by(VisitDay.village_id)
        .subquery()
    )
    totals = (
        select(area_id.label("area_id"), func.sum(per_village.c.visits).label("visits"))
        .select_from(tree.joined.join(per_village, per_village.c.village_id == tree.village.id))
        .group_by(area_id)
        .subquery()
    )
    holding = tree.over(area_id).where(in_villages(tree.village.id, villages))
    return _with_areas(totals, holding)


def rolled_up(villages, level):
    """Tell whether every area of a level holding the villages has all its villages among
    them, so that its visits can be read from the roll-ups."""
    if villages is None:
        return True
    if villages.roots is None:
        return False
    deeper = AREA_LEVELS[AREA_LEVELS.index(level) + 1 :]
    return not db.session.scalar(
        select(func.count(Area.id)).where(Area.id.in_(villages.roots), Area.level.in_(deeper))
    )


def visits_per_area_rolled(period, villages, level):
    """visits_per_area from the roll-ups: a few rows per area and day, whatever the size."""
    if villages is None:
        holding = select(Area.id).where(Area.level == level)
    else:
        holding = select(area_paths.c.area_id).where(
            area_paths.c.ancestor_id.in_(villages.roots), area_paths.c.level == level
        )
    totals = (
        select(AreaDay.area_id, func.sum(AreaDay.visits).label("visits"))
        .where(AreaDay.day >= period.start, AreaDay.day <= period.end, AreaDay.area_id.in_(holding))
        .group_by(AreaDay.area_id)
        .subquery()
    )
    return _with_areas(totals, holding)


def _with_areas(totals, holding):
    return db.session.execute(
        select(Area, func.coalesce(totals.c.visits, 0))
        .outerjoin(totals, totals.c.area_id == Area.id)
        .where(Area.id.in_(holding))
        .order_by(Area.code)
    ).all()


@dataclass(frozen=True)
class AreaCoverage:
    """An area on the map: amid its located villages, with its households and those visited."""

    area: Area
    lat: float | None
    lon: float | None
    households: int
    reached: int
    unlocated: int = 0  # its villages without a location


def coverage_per_area(period, villages, level="village", households=None):
    """Return [AreaCoverage] at a level for the map, by code.

    An area stands at the mean place of its located villages; a household counts as visited
    when its last visit falls in the period or after (`households`: an AreaHouseholds at the
    level, counted already). Villages meet their area at the level through the tree's paths.
    """
    if households is None:
        households = households_per_area(period, villages, level)
    paths = area_paths
    to_area = select(paths.c.ancestor_id.label("area_id"), paths.c.area_id.label("village_id"))
    if villages is None:
        to_area = to_area.where(paths.c.ancestor_level == level, paths.c.level == "village")
    else:
        to_area = to_area.where(paths.c.area_id.in_(villages.ids), paths.c.ancestor_level == level)
    to_area = to_area.subquery()
    village = aliased(Area)
    places = (
        select(
            to_area.c.area_id,
            func.avg(village.lat).label("lat"),
            func.avg(village.lon).label("lon"),
            func.count(village.id).filter(village.lat.is_(None)).label("unlocated"),
        )
        .join(village, village.id == to_area.c.village_id)
        .group_by(to_area.c.area_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Area, places.c.lat, places.c.lon, places.c.unlocated)
        .join(places, places.c.area_id == Area.id)
        .order_by(Area.code)
    )
    return [
        AreaCoverage(area, lat, lon, *households.per_area.get(area.id, (0, 0)), unlocated)
        for area, lat, lon, unlocated in rows
    ]


def case_funnel(period, villages):
    """Return [(programme, {status: cases})] for cases opened in the period."""
    start, end = period.bounds()
    rows = db.session.execute(
        select(Assistance.program_id, Assistance.status, func.count())
        .where(
            Assistance.opened_at >= start,
            Assistance.opened_at < end,
            in_villages(Assistance.village_id, villages),
        )
        .group_by(Assistance.program_id, Assistance.status)
    ).all()
    by_program = {}
    for program_id, status, count in rows:
        by_program.setdefault(program_id, dict.fromkeys(ASSISTANCE_STATUSES, 0))[status] = count
    programs = db.session.scalars(select(WelfareProgram).order_by(WelfareProgram.sort_order))
    return [(p, by_program[p.id]) for p in programs if p.id in by_program]


def lists(board, villages, viewer):
    """Fill the dashboard's lists: what needs someone's attention now."""
    board.stale_count, board.stale_households = stale_households(villages)
    board.overdue_cases = db.session.scalars(
        select(Assistance)
        .options(selectinload(Assistance.household), selectinload(Assistance.program))
        .where(
            Assistance.status.in_(OPEN_ASSISTANCE_STATUSES),
            Assistance.next_follow_up < today(),
            in_villages(Assistance.village_id, villages),
        )
        .order_by(Assistance.next_follow_up)
        .limit(LIST_SIZE)
    ).all()
    board.new_requests = db.session.scalars(
        select(HelpRequest)
        .options(selectinload(HelpRequest.household))
        .where(HelpRequest.status == "new", in_villages(HelpRequest.village_id, villages))
        .order_by(HelpRequest.created_at.desc())
        .limit(LIST_SIZE)
    ).all()
    board.recent_visits = recent_visits(villages)
    if board.recent_visits:
        board.thanked_visit_ids = set(
            db.session.scalars(
                select(Acknowledgement.visit_id).where(
                    Acknowledgement.from_user_id == viewer.id,
                    Acknowledgement.visit_id.in_([v.id for v in board.recent_visits]),
                )
            )
        )


def stale_households(villages, days=STALE_DAYS):
    """Return (how many, the first LIST_SIZE) households not visited in `days` days: those
    never visited first (by code), then the longest unvisited.

    Asked as two index ranges (never visited; visited before the day), each stopping at
    LIST_SIZE, rather than sorting every household of the area; whole areas count them from
    household_days.
    """
    first_day = today() - timedelta(days=days)
    since = datetime.combine(first_day, time(), LOCAL_TZ)
    here = (Household.archived.is_(False), in_villages(Household.village_id, villages))
    listed = db.session.scalars(
        select(Household)
        .options(selectinload(Household.village))
        .where(*here, Household.last_visit_at.is_(None))
        .order_by(Household.code)
        .limit(LIST_SIZE)
    ).all()
    if len(listed) < LIST_SIZE:
        listed += db.session.scalars(
            select(Household)
            .options(selectinload(Household.village))
            .where(*here, Household.last_visit_at < since)
            .order_by(Household.last_visit_at, Household.code)
            .limit(LIST_SIZE - len(listed))
        ).all()
    if (tops := top_areas(villages)) is not None:
        count = db.session.scalar(
            select(func.coalesce(func.sum(HouseholdDay.households), 0)).where(
                HouseholdDay.area_id.in_(tops),
                HouseholdDay.archived.is_(False),
                HouseholdDay.day < first_day,
            )
        )
    else:
        count = db.session.scalar(
            select(func.count())
            .select_from(Household)
            .where(*here, or_(Household.last_visit_at.is_(None), Household.last_visit_at < since))
        )
    return count, listed


def recent_visits(villages):
    """Return the newest live visits in the villages, newest first."""
    newest = (
        select(Visit)
        .options(selectinload(Visit.household), selectinload(Visit.volunteer))
        .where(Visit.deleted_at.is_(None), in_villages(Visit.village_id, villages))
        .order_by(Visit.visited_at.desc())
        .limit(LIST_SIZE)
    )
    if villages is not None and db.session.get_bind().dialect.name == "postgresql":
        newest = newest.where(Visit.visited_at >= newest_time_floor(villages))
    return db.session.scalars(newest).all()


def newest_time_floor(villages):
    """Select when the LIST_SIZE-th newest live visit in the villages was made.

    Each village gives its newest few from its own index, so the list is read from a
    bounded range however many villages there are; sorting every visit of a thousand
    villages took the national database most of a second. (PostgreSQL only: LATERAL.)
    """
    village = villages.ids.subquery()
    per_village = (
        select(Visit.visited_at)
        .where(Visit.village_id == village.c[0], Visit.deleted_at.is_(None))
        .order_by(Visit.visited_at.desc())
        .limit(LIST_SIZE)
        .lateral()
    )
    newest = (
        select(per_village.c.visited_at)
        .select_from(village.join(per_village, true()))
        .order_by(per_village.c.visited_at.desc())
        .limit(LIST_SIZE)
        .subquery()
    )
    return select(func.min(newest.c.visited_at)).scalar_subquery()


def build(period, area, viewer):
    """Compute the whole dashboard for a period and an area.

    An observer gets figures and charts only: its lists would name households and people.
    """
    villages = villages_for(viewer, area)
    counts = areas_per_level(villages)
    map_level = level_for(counts, MAP_LIMIT)
    households = households_per_area(period, villages, map_level)
    board = Dashboard(period=period, area=area, figures=figures(period, villages, households.now))
    board.weekly = visits_over_time(period, villages)
    board.level = level_for(counts, BREAKDOWN_LIMIT)
    board.by_area = visits_per_area(period, villages, board.level)
    board.map_level = map_level
    board.coverage = coverage_per_area(period, villages, map_level, households)
    board.funnel = case_funnel(period, villages)
    start, end = period.bounds()
    board.waits = consultations.wait_times(start, end, lambda column: in_villages(column, villages))
    board.encounters = encounters.open_figures(lambda column: in_villages(column, villages))
    board.with_lists = viewer.role in scope.HOUSEHOLD_ROLES
    if board.with_lists:
        lists(board, villages, viewer)
    return board
