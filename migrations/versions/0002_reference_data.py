"""reference data: Mukdahan's areas, the welfare programmes, the badge catalogue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:10:00

The village list is where the centre starts; administrators keep it current.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

areas = sa.table(
    "areas",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("level", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("village_no", sa.Integer),
    sa.column("name_th", sa.String),
    sa.column("name_en", sa.String),
)
programs = sa.table(
    "welfare_programs",
    sa.column("code", sa.String),
    sa.column("name_th", sa.String),
    sa.column("name_en", sa.String),
    sa.column("agency_th", sa.String),
    sa.column("agency_en", sa.String),
    sa.column("is_referral", sa.Boolean),
    sa.column("active", sa.Boolean),
    sa.column("sort_order", sa.Integer),
)
badges = sa.table(
    "badges",
    sa.column("code", sa.String),
    sa.column("kind", sa.String),
    sa.column("rule", sa.String),
    sa.column("threshold", sa.Integer),
    sa.column("name_th", sa.String),
    sa.column("name_en", sa.String),
    sa.column("description_th", sa.Text),
    sa.column("description_en", sa.Text),
    sa.column("image", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("sort_order", sa.Integer),
)

PROVINCE = ("MDH", "มุกดาหาร", "Mukdahan")
DISTRICT = ("MDH-KCI", "คำชะอี", "Khamcha-i")
SUBDISTRICTS = {
    "NI": (
        "หนองเอี่ยน",
        "Nong Ian",
        [
            ("บ้านหนองเอี่ยน", "Ban Nong Ian"),
            ("บ้านหนองเอี่ยนทุ่ง", "Ban Nong Ian Thung"),
            ("บ้านโนนสะอาด", "Ban Non Sa-at"),
            ("บ้านคำบง", "Ban Kham Bong"),
            ("บ้านนาหว้า", "Ban Na Wa"),
            ("บ้านหนองแวง", "Ban Nong Waeng"),
            ("บ้านโคกสว่าง", "Ban Khok Sawang"),
        ],
    ),
    "BL": (
        "บ้านเหล่า",
        "Ban Lao",
        [
            ("บ้านเหล่า", "Ban Lao"),
            ("บ้านเหล่าใหม่", "Ban Lao Mai"),
            ("บ้านนาโพธิ์", "Ban Na Pho"),
            ("บ้านคำผักหนอก", "Ban Kham Phak Nok"),
            ("บ้านดอนม่วง", "Ban Don Muang"),
            ("บ้านหนองบัว", "Ban Nong Bua"),
        ],
    ),
}

PSO = ("สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด", "Provincial Social Development Office")
LOCAL_GOV = ("องค์การบริหารส่วนตำบล", "Subdistrict Administrative Organisation")
SHELTER = ("ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดมุกดาหาร", "Protection Center for the Destitute")
PROGRAMS = [
    ("old_age_allowance", "เบี้ยยังชีพผู้สูงอายุ", "Old-age allowance", LOCAL_GOV, False),
    ("disability_allowance", "เบี้ยความพิการ", "Disability allowance", LOCAL_GOV, False),
    ("disability_card", "บัตรประจำตัวคนพิการ", "Disability ID card", PSO, False),
    (
        "child_support_grant",
        "เงินอุดหนุนเพื่อการเลี้ยงดูเด็กแรกเกิด",
        "Child support grant",
        LOCAL_GOV,
        False,
    ),
    (
        "state_welfare_card",
        "บัตรสวัสดิการแห่งรัฐ",
        "State welfare card",
        ("กระทรวงการคลัง", "Ministry of Finance"),
        False,
    ),
    (
        "emergency_assistance",
        "เงินสงเคราะห์ผู้ประสบปัญหาทางสังคม",
        "Emergency assistance for people in social hardship",
        PSO,
        False,
    ),
    ("home_repair", "ปรับสภาพที่อยู่อาศัย", "Home repair and adaptation", PSO, False),
    (
        "refer_shelter",
        "ส่งต่อศูนย์คุ้มครองคนไร้ที่พึ่ง",
        "Referral to the Protection Center for the Destitute",
        SHELTER,
        True,
    ),
    (
        "refer_health",
        "ส่งต่อหน่วยบริการสาธารณสุข",
        "Referral to health services",
        ("โรงพยาบาลส่งเสริมสุขภาพตำบล", "Subdistrict health promotion hospital"),
        True,
    ),
    ("refer_local_gov", "ส่งต่อองค์กรปกครองส่วนท้องถิ่น", "Referral to local government", LOCAL_GOV, True),
]

BADGES = [
    (
        "first_visit",
        "auto",
        "visits",
        1,
        "เยี่ยมบ้านครั้งแรก",
        "First home visit",
        "บันทึกการเยี่ยมบ้านครั้งแรก",
        "Logged a first home visit",
    ),
    (
        "visits_10",
        "auto",
        "visits",
        10,
        "เยี่ยมบ้าน 10 ครั้ง",
        "10 home visits",
        "เยี่ยมบ้านครบ 10 ครั้ง",
        "Logged 10 home visits",
    ),
    (
        "visits_50",
        "auto",
        "visits",
        50,
        "เยี่ยมบ้าน 50 ครั้ง",
        "50 home visits",
        "เยี่ยมบ้านครบ 50 ครั้ง",
        "Logged 50 home visits",
    ),
    (
        "visits_100",
        "auto",
        "visits",
        100,
        "เยี่ยมบ้าน 100 ครั้ง",
        "100 home visits",
        "เยี่ยมบ้านครบ 100 ครั้ง",
        "Logged 100 home visits",
    ),
    (
        "visits_500",
        "auto",
        "visits",
        500,
        "เยี่ยมบ้าน 500 ครั้ง",
        "500 home visits",
        "เยี่ยมบ้านครบ 500 ครั้ง",
        "Logged 500 home visits",
    ),
    (
        "streak_4w",
        "auto",
        "weekly_streak",
        4,
        "เยี่ยมต่อเนื่อง 4 สัปดาห์",
        "Four-week streak",
        "เยี่ยมบ้านทุกสัปดาห์ 4 สัปดาห์ติดต่อกัน",
        "Visited every week for four weeks in a row",
    ),
    (
        "welfare_received_1",
        "auto",
        "cases_received",
        1,
        "ช่วยให้ได้รับสวัสดิการครั้งแรก",
        "First welfare received",
        "ช่วยให้ครัวเรือนได้รับสวัสดิการสำเร็จครั้งแรก",
        "Helped a household receive welfare for the first time",
    ),
    (
        "welfare_received_10",
        "auto",
        "cases_received",
        10,
        "ช่วยให้ได้รับสวัสดิการ 10 ราย",
        "Ten welfare successes",
        "ช่วยให้ได้รับสวัสดิการสำเร็จ 10 ราย",
        "Helped households receive welfare ten times",
    ),
    (
        "referral_closed_1",
        "auto",
        "referrals_closed",
        1,
        "ส่งต่อสำเร็จครั้งแรก",
        "First referral closed",
        "ติดตามการส่งต่อจนได้รับความช่วยเหลือครั้งแรก",
        "Followed a referral through to help received",
    ),
    (
        "full_coverage_30d",
        "auto",
        "full_coverage",
        30,
        "เยี่ยมครบทุกครัวเรือน",
        "Every household visited",
        "เยี่ยมครบทุกครัวเรือนในพื้นที่ภายใน 30 วัน",
        "Visited every household of one's area within 30 days",
    ),
    (
        "household_confirmed_10",
        "auto",
        "confirmed_visits",
        10,
        "ครัวเรือนยืนยัน 10 ครั้ง",
        "Ten visits confirmed by households",
        "ครัวเรือนยืนยันการเยี่ยม 10 ครั้ง",
        "Ten visits confirmed by the households themselves",
    ),
    (
        "safety",
        "staff",
        None,
        None,
        "Safety ชุมชนน่าอยู่",
        "Safety",
        "ช่วยให้ชุมชนปลอดภัยและน่าอยู่",
        "Made the community a safe place to live",
    ),
    (
        "smile",
        "staff",
        None,
        None,
        "Smile มีความสุข",
        "Smile",
        "นำความสุขและรอยยิ้มสู่ครัวเรือน",
        "Brought happiness to the households served",
    ),
    (
        "smart",
        "staff",
        None,
        None,
        "Smart ศักดิ์ศรีความเป็นมนุษย์",
        "Smart",
        "ช่วยให้ทุกคนดำรงชีวิตอย่างมีศักดิ์ศรี",
        "Helped people live with human dignity",
    ),
    (
        "sufficiency",
        "staff",
        None,
        None,
        "Sufficiency สังคมพอเพียง",
        "Sufficiency",
        "ส่งเสริมสังคมแห่งความพอเพียง",
        "Fostered a community of sufficiency",
    ),
]


def upgrade():
    bind = op.get_bind()
    op.bulk_insert(areas, [_area(1, *PROVINCE, "province", None)])
    op.bulk_insert(areas, [_area(2, *DISTRICT, "district", 1)])
    next_id = 3
    for code, (name_th, name_en, villages) in SUBDISTRICTS.items():
        subdistrict_id = next_id
        op.bulk_insert(areas, [_area(subdistrict_id, code, name_th, name_en, "subdistrict", 2)])
        next_id += 1
        rows = []
        for number, (village_th, village_en) in enumerate(villages, start=1):
            row = _area(
                next_id, f"{code}-{number:02d}", village_th, village_en, "village", subdistrict_id
            )
            row["village_no"] = number
            rows.append(row)
            next_id += 1
        op.bulk_insert(areas, rows)
    if bind.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('areas', 'id'), (SELECT MAX(id) FROM areas))"
        )
    op.bulk_insert(
        programs,
        [
            {
                "code": code,
                "name_th": name_th,
                "name_en": name_en,
                "agency_th": agency[0],
                "agency_en": agency[1],
                "is_referral": referral,
                "active": True,
                "sort_order": order,
            }
            for order, (code, name_th, name_en, agency, referral) in enumerate(PROGRAMS)
        ],
    )
    op.bulk_insert(
        badges,
        [
            {
                "code": code,
                "kind": kind,
                "rule": rule,
                "threshold": threshold,
                "name_th": name_th,
                "name_en": name_en,
                "description_th": description_th,
                "description_en": description_en,
                "image": f"badges/{code}.svg",
                "active": True,
                "sort_order": order,
            }
            for order, (
                code,
                kind,
                rule,
                threshold,
                name_th,
                name_en,
                description_th,
                description_en,
            ) in enumerate(BADGES)
        ],
    )


def _area(area_id, code, name_th, name_en, level, parent_id):
    return {
        "id": area_id,
        "code": code,
        "name_th": name_th,
        "name_en": name_en,
        "level": level,
        "parent_id": parent_id,
        "village_no": None,
    }


def downgrade():
    op.execute(badges.delete())
    op.execute(programs.delete())
    op.execute(areas.delete().where(areas.c.level == "village"))
    op.execute(areas.delete().where(areas.c.level == "subdistrict"))
    op.execute(areas.delete().where(areas.c.level == "district"))
    op.execute(areas.delete())
