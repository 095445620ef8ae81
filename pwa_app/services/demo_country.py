"""The demo at a country's size: organisations, each covering a province of districts,
subdistricts and villages, so that `demo seed --orgs 76 --villages 75000` builds what a
ministry would run. Rows are written in bulk; nothing here loops a query per area.
"""

import itertools
import string
from dataclasses import dataclass

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Area, Organisation, User, org_areas, user_areas
from pwa_app.models import area_paths as path_rows
from pwa_app.models.base import utcnow
from pwa_app.services import accounts, area_paths, passwords
from pwa_app.services.bulk import Growth, insert_rows, next_id

VILLAGES_PER_SUBDISTRICT = 10  # Thailand: about 75,000 villages in 7,400 subdistricts
SUBDISTRICTS_PER_DISTRICT = 8  # and 7,400 subdistricts in 880 districts
PROVINCE_PREFIX = "DP"  # demo provinces DP01, DP02, ...; their organisations C01, C02, ...
ORG_PREFIX = "C"
# Where the demo's provinces are placed: a grid over Thailand's extent.
SOUTH, NORTH, WEST, EAST = 6.5, 20.0, 98.0, 105.5


@dataclass
class CountryReport:
    """What growing the country added."""

    organisations: int = 0
    areas: int = 0


def grow(orgs, villages, phones, password_hash):
    """Add organisations and villages until there are `orgs` and `villages` of them.

    Each new organisation covers a new demo province, with a staff member and an admin;
    villages are spread over the demo provinces (the new ones, or else the existing ones),
    in new districts of new subdistricts. `phones` yields fresh demo phone numbers.
    Running it again with the same numbers adds nothing.
    """
    report = CountryReport()
    have_orgs = db.session.scalar(select(func.count(Organisation.id)))
    have_villages = db.session.scalar(select(func.count(Area.id)).where(Area.level == "village"))
    new_orgs = max(0, (orgs or 0) - have_orgs)
    missing = max(0, (villages or 0) - have_villages)
    if not new_orgs and not missing:
        return report
    first_id = next_id(Area)
    provinces = _add_provinces(new_orgs, report) or _demo_provinces()
    if not provinces:  # villages asked for, but no demo province to put them in yet
        provinces = _add_provinces(1, report)
    shares = [missing // len(provinces)] * len(provinces)
    for index in range(missing % len(provinces)):
        shares[index] += 1
    rows = []
    area_id = next_id(Area)
    codes = _free_subdistrict_codes()
    for (province_id, province_code, number), share in zip(provinces, shares, strict=True):
        rows_before = len(rows)
        area_id = _province_tree(rows, area_id, province_id, province_code, number, share, codes)
        report.areas += len(rows) - rows_before
    growth = Growth(Area, path_rows)
    insert_rows(Area, rows)
    growth.add(len(rows))
    area_paths.link(select(Area.id).where(Area.id >= first_id))
    _add_organisations(provinces[: report.organisations], phones, password_hash)
    return report


def _add_provinces(count, report):
    """Add `count` demo provinces; return [(id, code, number)] of the new ones."""
    if count <= 0:
        return []
    taken = set(db.session.scalars(select(Area.code).where(Area.level == "province")))
    numbers = (n for n in itertools.count(1) if f"{PROVINCE_PREFIX}{n:02d}" not in taken)
    first_id = next_id(Area)
    rows = []
    for offset, number in zip(range(count), numbers, strict=False):
        lat, lon = _province_centre(number)
        rows.append(
            _area_row(
                first_id + offset,
                f"{PROVINCE_PREFIX}{number:02d}",
                "province",
                None,
                f"จังหวัดสาธิต {number}",
                f"Demo province {number}",
                lat,
                lon,
            )
        )
    insert_rows(Area, rows)
    report.organisations += count
    report.areas += count
    return [(row["id"], row["code"], int(row["code"][len(PROVINCE_PREFIX) :])) for row in rows]


def _demo_provinces():
    """Return [(id, code, number)] of the demo provinces already there."""
    found = db.session.execute(
        select(Area.id, Area.code)
        .where(Area.level == "province", Area.code.like(f"{PROVINCE_PREFIX}%"))
        .order_by(Area.code)
    ).all()
    return [
        (area_id, code, int(code[len(PROVINCE_PREFIX) :]))
        for area_id, code in found
        if code[len(PROVINCE_PREFIX) :].isdigit()
    ]


def _province_centre(number):
    columns = 8
    row, column = divmod(number - 1, columns)
    return (
        round(NORTH - (row % 11) * (NORTH - SOUTH) / 11, 4),
        round(WEST + column * (EAST - WEST) / columns, 4),
    )


def _free_subdistrict_codes():
    """Yield three-letter subdistrict codes not used yet, AAA first."""
    taken = set(db.session.scalars(select(Area.code).where(Area.level == "subdistrict")))
    for letters in itertools.product(string.ascii_uppercase, repeat=3):
        code = "".join(letters)
        if code not in taken:
            yield code


def _province_tree(rows, area_id, province_id, province_code, number, villages, codes):
    """Append new districts, subdistricts and villages (`villages` of them) under a province."""
    if villages <= 0:
        return area_id
    centre_lat, centre_lon = _province_centre(number)
    districts = db.session.scalar(select(func.count(Area.id)).where(Area.parent_id == province_id))
    per_district = VILLAGES_PER_SUBDISTRICT * SUBDISTRICTS_PER_DISTRICT
    made = 0
    while made < villages:
        districts += 1
        district_id = area_id
        area_id += 1
        rows.append(
            _area_row(
                district_id,
                f"{province_code}-D{districts:02d}",
                "district",
                province_id,
                f"อำเภอสาธิต {districts}",
                f"Demo district {districts}",
            )
        )
        in_district = min(per_district, villages - made)
        for sub in range(0, in_district, VILLAGES_PER_SUBDISTRICT):
            subdistrict_code = next(codes)
            subdistrict_id = area_id
            area_id += 1
            rows.append(
                _area_row(
                    subdistrict_id,
                    subdistrict_code,
                    "subdistrict",
                    district_id,
                    f"ตำบล{subdistrict_code}",
                    f"Tambon {subdistrict_code}",
                )
            )
            for village_no in range(1, min(VILLAGES_PER_SUBDISTRICT, in_district - sub) + 1):
                # Spread over about 60 km around the province's centre, a village's place kept
                # the same run after run.
                spread = (made + sub + village_no) * 0.618034 % 1
                rows.append(
                    _area_row(
                        area_id,
                        f"{subdistrict_code}-{village_no:02d}",
                        "village",
                        subdistrict_id,
                        f"บ้านสาธิต {village_no}",
                        f"Ban Demo {village_no}",
                        round(centre_lat - 0.3 + 0.6 * spread, 5),
                        round(centre_lon - 0.3 + 0.6 * ((area_id * 0.754877) % 1), 5),
                        village_no=village_no,
                    )
                )
                area_id += 1
        made += in_district
    return area_id


def _area_row(area_id, code, level, parent_id, name_th, name_en, lat=None, lon=None, **extra):
    return {
        "id": area_id,
        "code": code,
        "level": level,
        "parent_id": parent_id,
        "village_no": extra.get("village_no"),
        "name_th": name_th,
        "name_en": name_en,
        "official_code": None,
        "lat": lat,
        "lon": lon,
        "retired_at": None,
    }


def _add_organisations(provinces, phones, password_hash):
    """Add an organisation over each new province, with one staff member and one admin."""
    if not provinces:
        return
    org_id, user_id = next_id(Organisation), next_id(User)
    orgs, covers, users = [], [], []
    now = utcnow()
    for province_id, _code, number in provinces:
        orgs.append(
            {
                "id": org_id,
                "code": f"{ORG_PREFIX}{number:02d}",
                "name_th": f"ศูนย์คุ้มครองคนไร้ที่พึ่งสาธิต {number}",
                "name_en": f"Demo protection centre {number}",
                "phone": None,
                "address": None,
                "created_at": now,
            }
        )
        covers.append({"org_id": org_id, "area_id": province_id})
        for role, title in (("staff", "เจ้าหน้าที่"), ("admin", "ผู้ดูแลระบบ")):
            users.append(
                _user_row(
                    user_id, next(phones), f"{title} ศูนย์สาธิต {number}", role, org_id, password_hash
                )  # fmt: skip
            )
            user_id += 1
        org_id += 1
    insert_rows(Organisation, orgs)
    insert_rows(org_areas, covers)
    insert_rows(User, users)


def _user_row(user_id, phone, name, role, org_id, password_hash):
    return {
        "id": user_id,
        "phone": phone,
        "display_name": name,
        "password_hash": password_hash,
        "role": role,
        "org_id": org_id,
        "active": True,
        "preferred_language": None,
        "must_change_password": False,
        "session_token": accounts.new_session_token(),
        "created_at": utcnow(),
    }


def add_volunteers(rows, areas):
    """Insert volunteers (rows from `volunteer_row`) and the areas each works in, in bulk."""
    insert_rows(User, rows)
    insert_rows(user_areas, areas)


def volunteer_row(user_id, phone, name, org_id, password_hash):
    """Return a volunteer's row for `add_volunteers`."""
    return _user_row(user_id, phone, name, "volunteer", org_id, password_hash)


def shared_password_hash(password):
    """Hash the demo password once for the thousands of demo accounts that share it."""
    return passwords.hash_password(password)


def cover_everything(observer):
    """Give the demo observer every province (a ministry's view across organisations)."""
    provinces = db.session.scalars(
        select(Area).where(Area.level == "province", Area.in_use()).order_by(Area.code)
    ).all()
    observer.areas = provinces
