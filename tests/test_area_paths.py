"""The tree's paths stay true to the tree, whichever way areas are added or moved."""

import random

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Area, AreaDay, VisitDay, area_paths
from pwa_app.services import area_imports, areas, dashboard, scope, visit_days


def walked():
    """Return {(ancestor, level, area, ancestor's level)} by walking parents in Python."""
    found = set()
    for area in db.session.scalars(select(Area)):
        above = area
        while above is not None:
            found.add((above.id, area.level, area.id, above.level))
            above = above.parent
    return found


def stored():
    return set(db.session.execute(select(area_paths)).tuples())


def test_the_migration_fills_the_paths_of_the_demo_tree(app):
    assert stored() == walked()


def test_areas_added_moved_and_imported_keep_their_paths(app):
    rng = random.Random(7)
    district = db.session.scalar(select(Area).where(Area.code == "MDH-KCI"))
    subdistricts = [db.session.scalar(select(Area).where(Area.code == c)) for c in ("NI", "BL")]
    for number in range(3):
        code = f"Q{'ABC'[number]}A"
        subdistricts.append(areas.create_area(areas.AreaInput(code, "ก", "A"), district, None))
    for number in range(1, 9):
        parent = rng.choice(subdistricts[2:])
        areas.create_area(areas.AreaInput(f"{parent.code}-{number:02d}", "ก", "A"), parent, None)
    db.session.commit()
    assert stored() == walked()
    for village in db.session.scalars(select(Area).where(Area.code.like("Q%-%"))).all():
        areas.move(village, rng.choice(subdistricts).code, None)
    db.session.commit()
    assert stored() == walked()
    raw = (
        "code,level,parent,name_th,name_en,official_code\n"
        "QX-01,village,QX,ก,A,\nQX,subdistrict,MDH-KCI,ก,A,\n"
    ).encode()
    report = area_imports.import_areas(raw, None)
    db.session.commit()
    assert report.imported == ["QX", "QX-01"]
    assert stored() == walked()
    ni = db.session.scalar(select(Area).where(Area.code == "NI"))
    below_ni = set(db.session.scalars(scope.villages_below([ni.id])))
    assert below_ni == {
        area for ancestor, level, area, _up in walked() if ancestor == ni.id and level == "village"
    }


def rolled():
    return {
        (row.area_id, row.day): row.visits
        for row in db.session.scalars(select(AreaDay))
        if row.visits
    }


def areas_above():
    """Return {area: [the areas above it]}, walked in Python."""
    above = {}
    for ancestor, _level, area, _up in walked():
        if ancestor != area:
            above.setdefault(area, []).append(ancestor)
    return above


def counted():
    """Visits per area above the villages and day, summed from visit_days in Python."""
    above = areas_above()
    found = {}
    for row in db.session.scalars(select(VisitDay)):
        for ancestor in above.get(row.village_id, []):
            key = (ancestor, row.day)
            found[key] = found.get(key, 0) + row.visits
    return {key: n for key, n in found.items() if n}


def code(text):
    return db.session.scalar(select(Area).where(Area.code == text))


def test_visits_rolled_up_the_tree_match_the_villages_through_visits_and_moves(
    app, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI", "BL"])
    for village in ("NI-01", "NI-03", "NI-03", "BL-02"):
        household = create_household(village)
        for days in (1, 3, 40):
            create_visit(household, volunteer, days_ago=days)
    db.session.commit()
    assert rolled() == counted() != {}
    areas.move(code("NI-03"), "BL", None)
    db.session.commit()
    assert rolled() == counted()
    visit_days.rebuild()
    db.session.commit()
    assert rolled() == counted()
    # The dashboard reads a subdistrict's visits from the roll-ups: the same as counting them
    # village by village (villages without roots are counted so).
    period = dashboard.parse_period("quarter")
    province = dashboard.villages_in(code("MDH"))
    assert dashboard.rolled_up(province, "subdistrict")
    counted_villages = dashboard.Villages(province.ids, "counted")
    assert not dashboard.rolled_up(counted_villages, "subdistrict")

    def per_area(villages):
        rows = dashboard.visits_per_area(period, villages, "subdistrict")
        return {area.code: n for area, n in rows}

    assert per_area(province) == per_area(counted_villages) == per_area(None)
    assert sum(per_area(None).values()) == dashboard.count_visits(period, None) > 0
