"""Keep the households per area and day of last visit (household_days) in step with the
households and the tree.

A row counts the households below a subdistrict, district or province whose last visit fell
on a Thai day, archived or not; a household never visited counts on NEVER. A household sits
in one place, (village, archived, day of its last visit), and every change to one of the
three moves it from one place to another: the ORM's flushes are followed here (one pair of
hooks, for every form, import and erasure), the sync's set-based update of last visits calls
`move` itself, the demo's bulk load rebuilds, and a village moved in the tree recounts the
areas above it (services/area_paths).

The place a household leaves is read from the database under a row lock (on SQLite, where one
writer is let in at a time, within the writer's transaction), so two requests changing the
same household at once (a sync moving its last visit, staff archiving it) never count from a
stale copy.
"""

import functools
from collections import Counter
from datetime import date

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    bindparam,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from pwa_app.models import Household, HouseholdDay, area_paths
from pwa_app.services.sqltime import local_date
from pwa_app.services.summaries import LOCAL_TZ

NEVER = date(1, 1, 1)  # the day households never visited count on
# What a household's place depends on (the relationship and its column both).
PLACE_ATTRIBUTES = ("village_id", "village", "archived", "last_visit_at")
# The most places one statement moves households between (4 values each): a chunk of an import
# is one statement, so its locks are taken in one order like a sync's.
CHUNK = 2000


def day_of(last_visit_at):
    """Return the Thai day a last visit fell on (NEVER for none)."""
    return NEVER if last_visit_at is None else last_visit_at.astimezone(LOCAL_TZ).date()


def place_of(village_id, archived, last_visit_at):
    """Return a household's place: (village id, archived, day of its last visit)."""
    return (village_id, bool(archived), day_of(last_visit_at))


def places(connection, household_ids):
    """Read households' places, locking their rows until the transaction ends: {id: place}."""
    rows = connection.execute(
        select(Household.id, Household.village_id, Household.archived, Household.last_visit_at)
        .where(Household.id.in_(sorted(household_ids)))
        .order_by(Household.id)
        .with_for_update(key_share=True)  # as an UPDATE of them would: inserts may go on
    )
    return {row.id: place_of(row.village_id, row.archived, row.last_visit_at) for row in rows}


def moves(before, after):
    """Return the changes {place: +1/-1} of households going from `before` to `after` places
    ({id: place}; an id missing on one side was added or removed)."""
    changes = Counter()
    for household_id in before.keys() | after.keys():
        old, new = before.get(household_id), after.get(household_id)
        if old == new:
            continue
        if old is not None:
            changes[old] -= 1
        if new is not None:
            changes[new] += 1
    return changes


@functools.lru_cache(maxsize=64)
def _move_statement(count):
    """Build once, for a number of places, the upsert that adds their changes to the areas
    above their villages.

    One statement for the whole change, its rows written in (area, archived, day) order: two
    requests changing the same rows (every evening sync of a province moves households to its
    today) take their locks in the same order and queue instead of deadlocking. Written out
    (the same SQL on SQLite and PostgreSQL): a VALUES list's columns are column1... on both.
    """
    values = ", ".join(f"(:v{i}, :a{i}, :d{i}, :n{i})" for i in range(count))
    statement = sql_text(
        "INSERT INTO household_days (area_id, archived, day, households) "
        "SELECT p.ancestor_id, c.column2, c.column3, SUM(c.column4) "
        f"FROM (VALUES {values}) AS c JOIN area_paths p ON p.area_id = c.column1 "
        "WHERE p.ancestor_id != p.area_id "
        "GROUP BY p.ancestor_id, c.column2, c.column3 "
        "HAVING SUM(c.column4) != 0 "
        "ORDER BY p.ancestor_id, c.column2, c.column3 "
        "ON CONFLICT (area_id, archived, day) "
        "DO UPDATE SET households = household_days.households + excluded.households"
    )
    types = {"a": Boolean(), "d": Date(), "n": Integer(), "v": Integer()}
    return statement.bindparams(
        *(bindparam(f"{name}{i}", type_=kind) for i in range(count) for name, kind in types.items())
    )


def move(connection, changes):
    """Add changes {(village id, archived, day): households} to the areas above the villages."""
    rows = sorted((place, change) for place, change in changes.items() if change)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = {}
        for i, ((village_id, archived, day), change) in enumerate(chunk):
            params.update({f"v{i}": village_id, f"a{i}": archived, f"d{i}": day, f"n{i}": change})
        connection.execute(_move_statement(len(chunk)), params)


def rebuild(connection):
    """Count every area's households again (after bulk inserts)."""
    recount(None, connection)


def recount(area_ids, connection):
    """Count the households of these areas above villages again (None: of all of them)."""
    cleared = delete(HouseholdDay)
    day = func.coalesce(local_date(Household.last_visit_at), NEVER)
    counted = (
        select(area_paths.c.ancestor_id, Household.archived, day, func.count())
        .join(area_paths, area_paths.c.area_id == Household.village_id)
        .where(area_paths.c.ancestor_id != area_paths.c.area_id)
        .group_by(area_paths.c.ancestor_id, Household.archived, day)
    )
    if area_ids is not None:
        area_ids = sorted(area_ids)
        if not area_ids:
            return
        cleared = cleared.where(HouseholdDay.area_id.in_(area_ids))
        counted = counted.where(area_paths.c.ancestor_id.in_(area_ids))
    connection.execute(cleared)
    connection.execute(
        insert(HouseholdDay).from_select(["area_id", "archived", "day", "households"], counted)
    )


def kept(connection):
    """Return the kept counts {(area, archived, day): households}, rows of none left out."""
    return {
        (row.area_id, row.archived, row.day): row.households
        for row in connection.execute(select(HouseholdDay))
        if row.households
    }


def _moving(session):
    """The households a flush will add, change in place or remove."""
    for household in session.new:
        if isinstance(household, Household):
            yield household, "new"
    for household in session.dirty:
        if isinstance(household, Household) and _place_changed(household):
            yield household, "changed"
    for household in session.deleted:
        if isinstance(household, Household):
            yield household, "deleted"


def _changed(household, *names):
    """Tell whether the session changed any of these attributes of a household."""
    state = inspect(household)
    return any(state.attrs[name].history.has_changes() for name in names)


def _place_changed(household):
    return _changed(household, *PLACE_ATTRIBUTES)


@event.listens_for(Session, "before_flush")
def _read_places_before(session, _context, _instances):
    """Lock and read the places households leave in this flush (from the database: the copy
    in the session may be older than a sync that committed since)."""
    known = [household.id for household, how in _moving(session) if how != "new"]
    session.info["household_places"] = places(session.connection(), known) if known else {}


@event.listens_for(Session, "after_flush")
def _move_flushed(session, _context):
    """Move the households the flush added, changed or removed to their new places."""
    before = session.info.pop("household_places", {})
    after, moving = {}, False
    for household, how in _moving(session):
        moving = True
        if how == "deleted":
            continue
        key = household.id if how == "changed" else ("new", id(household))
        old = before.get(household.id) if how == "changed" else None
        after[key] = _new_place(household, old)
    if moving:
        move(session.connection(), moves(before, after))


def _new_place(household, old):
    """The place a flushed household now has: what changed from the session, the rest as the
    database had it (`old`; None for a new household)."""
    if old is None:
        return place_of(household.village_id, household.archived, household.last_visit_at)
    return (
        household.village_id if _changed(household, "village_id", "village") else old[0],
        bool(household.archived) if _changed(household, "archived") else old[1],
        day_of(household.last_visit_at) if _changed(household, "last_visit_at") else old[2],
    )
