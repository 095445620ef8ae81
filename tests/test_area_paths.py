"""The tree's paths stay true to the tree, whichever way areas are added or moved."""

import random

from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Area, area_paths
from pwa_app.services import area_imports, areas, scope


def walked():
    """Return {(ancestor, level, area)} by walking each area's parents in Python."""
    found = set()
    for area in db.session.scalars(select(Area)):
        above = area
        while above is not None:
            found.add((above.id, area.level, area.id))
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
        area for ancestor, level, area in walked() if ancestor == ni.id and level == "village"
    }
