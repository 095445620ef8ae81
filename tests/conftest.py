"""Fixtures: the app on a migrated database, clients, a CLI runner, login helpers, factories.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL says so
(CI runs the suite once on each).
"""

import json
import os
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import current_app, g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, func, select, text

from bench.photos import encoded, photo_like
from pwa_app import create_app
from pwa_app.extensions import db
from pwa_app.models import (
    Acknowledgement,
    Agency,
    Announcement,
    AnnouncementRead,
    Area,
    AreaChange,
    AreaDay,
    Assistance,
    AssistanceEvent,
    AuditEvent,
    Award,
    Badge,
    DashboardCache,
    Encounter,
    EncounterEvent,
    HelpRequest,
    Household,
    HouseholdDay,
    HouseholdTag,
    KnowledgePage,
    KnowledgeSlug,
    KnowledgeVersion,
    Member,
    MemberTag,
    Message,
    Notification,
    Organisation,
    Photo,
    PushSubscription,
    RateEvent,
    Thread,
    ThreadRead,
    User,
    Visit,
    VisitDay,
    VisitNeed,
    WelfareProgram,
    org_areas,
    user_areas,
)
from pwa_app.models.base import utcnow
from pwa_app.services import (
    accounts,
    announcements,
    area_paths,
    consultations,
    encounters,
    issuer_keys,
    knowledge,
    memo,
    notifications,
    photo_store,
    photos,
    recognition,
    visit_days,
)
from pwa_app.services.summaries import LOCAL_TZ

PASSWORD = "kwamsuk-2569"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# Rows the tests make; reference data (areas, programmes, badges) stays from the migration.
TEST_TABLES = (
    Photo,
    EncounterEvent,
    Encounter,
    AnnouncementRead,
    Announcement,
    Message,
    ThreadRead,
    Thread,
    Notification,
    PushSubscription,
    AreaChange,
    Acknowledgement,
    Award,
    AssistanceEvent,
    Assistance,
    VisitNeed,
    VisitDay,
    AreaDay,
    Visit,
    HelpRequest,
    MemberTag,
    Member,
    HouseholdTag,
    AuditEvent,
    HouseholdDay,
    Household,
    RateEvent,
    DashboardCache,
)


def _reset_postgres(url):
    """Drop everything in the public schema so migrations start from empty."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Return the URL of an empty test database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def migrated_app(database_url, tmp_path_factory):
    """Create the app once and bring its database to the newest migration."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
        }
    )
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    app.test_client_class = FreshRequestClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(migrated_app):
    """Give each test the app with an empty set of test rows."""
    with migrated_app.app_context():
        _wipe()
        yield migrated_app
        db.session.rollback()
        _wipe()
        db.session.remove()


# The highest ids of the reference rows the tests may add to (agencies, programmes): the
# migrations' own rows stay, the tests' go.
REFERENCE_MAX = {}


def _wipe():
    db.session.rollback()
    for model in TEST_TABLES:
        db.session.execute(delete(model))
    for model in (Agency, WelfareProgram):
        if model not in REFERENCE_MAX:
            REFERENCE_MAX[model] = db.session.scalar(select(func.max(model.id))) or 0
        db.session.execute(delete(model).where(model.id > REFERENCE_MAX[model]))
    db.session.execute(delete(user_areas))
    if Organisation not in REFERENCE_MAX:
        REFERENCE_MAX[Organisation] = db.session.scalar(select(func.max(Organisation.id))) or 0
    added_orgs = select(Organisation.id).where(Organisation.id > REFERENCE_MAX[Organisation])
    db.session.execute(delete(org_areas).where(org_areas.c.org_id.in_(added_orgs)))
    _restore_areas()
    _restore_knowledge()
    db.session.execute(delete(User))
    db.session.execute(delete(Organisation).where(Organisation.id > REFERENCE_MAX[Organisation]))
    db.session.commit()


AREA_COLUMNS = ("code", "level", "parent_id", "village_no", "name_th", "name_en", "official_code",
                "lat", "lon", "retired_at")  # fmt: skip
REFERENCE_AREAS = {}  # id -> the migration's row, taken before the first test changes any


def _restore_areas():
    """Put the reference areas back as the migration left them; drop areas tests added."""
    rows = {
        row.id: tuple(getattr(row, name) for name in AREA_COLUMNS)
        for row in db.session.execute(select(Area.id, *(getattr(Area, n) for n in AREA_COLUMNS)))
    }
    if not REFERENCE_AREAS:
        REFERENCE_AREAS.update(rows)
        return
    added = [area_id for area_id in rows if area_id not in REFERENCE_AREAS]
    if added:
        db.session.execute(Area.__table__.update().where(Area.id.in_(added)).values(parent_id=None))
    for area_id, values in REFERENCE_AREAS.items():
        if rows.get(area_id) != values:
            db.session.execute(
                Area.__table__.update()
                .where(Area.id == area_id)
                .values(dict(zip(AREA_COLUMNS, values, strict=True)))
            )
    if added:
        db.session.execute(delete(Area).where(Area.id.in_(added)))
    if added or any(rows.get(area_id) != values for area_id, values in REFERENCE_AREAS.items()):
        area_paths.link_all()


PAGE_COLUMNS = ("slug", "program_id", "title_th", "title_en", "body_th", "body_en", "body_text",
                "sort_order", "version", "updated_at", "updated_by_id")  # fmt: skip
REFERENCE_PAGES = {}  # id -> the migration's page, taken before the first test changes any


def _restore_knowledge():
    """Put the seeded know-how pages back as the migration left them; drop the tests' pages."""
    rows = {
        row.id: tuple(getattr(row, name) for name in PAGE_COLUMNS)
        for row in db.session.execute(
            select(KnowledgePage.id, *(getattr(KnowledgePage, n) for n in PAGE_COLUMNS))
        )
    }
    if not REFERENCE_PAGES:
        REFERENCE_PAGES.update(rows)
        return
    added = [page_id for page_id in rows if page_id not in REFERENCE_PAGES]
    if added:
        db.session.execute(delete(KnowledgePage).where(KnowledgePage.id.in_(added)))
    db.session.execute(delete(KnowledgeVersion).where(KnowledgeVersion.number > 1))
    for page_id, values in REFERENCE_PAGES.items():
        if rows.get(page_id) != values:
            db.session.execute(
                KnowledgePage.__table__.update()
                .where(KnowledgePage.id == page_id)
                .values(dict(zip(PAGE_COLUMNS, values, strict=True)))
            )
    seeded = [values[0] for values in REFERENCE_PAGES.values()]
    db.session.execute(delete(KnowledgeSlug).where(KnowledgeSlug.slug.not_in(seeded)))


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The tests hold one app context open so factories and assertions share the request's
    database session; without this, `g` (and Flask-Login's cached user) would leak
    from one request, or one client, into the next, and so would the request's transaction.
    """

    def open(self, *args, **kwargs):
        g._get_current_object().__dict__.clear()
        response = super().open(*args, **kwargs)
        # As at the end of a real request: nothing of the request's transaction (nor its
        # SQLite write lock, nor its wish to take it) outlives it.
        db.session.rollback()
        g._get_current_object().__dict__.clear()
        return response


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(response):
    """Return the CSRF token in a page's meta tag."""
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


class AuthActions:
    """Log a test client in and out through the real pages."""

    def __init__(self, client):
        self.client = client

    def token(self):
        """Return a CSRF token valid for this client's session."""
        return csrf_from(self.client.get("/login?next=/account/password", follow_redirects=True))

    def login(self, phone, password=PASSWORD, **headers):
        token = csrf_from(self.client.get("/login"))
        return self.client.post(
            "/login",
            data={"phone": phone, "password": password, "csrf_token": token},
            headers=headers,
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.token()})

    def post(self, url, data=None, **kwargs):
        """POST a form with a valid CSRF token."""
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)

    def send(self, method, url, data=None):
        """GET a page, or send a form with a valid CSRF token by any other method."""
        if method == "GET":
            return self.client.get(url)
        data = {**(data or {}), "csrf_token": self.token()}
        return self.client.open(url, method=method, data=data)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def create_user(app):
    """Return a factory that makes a committed user of any role."""
    counter = iter(range(1, 10_000))

    def make(
        role="volunteer", areas=None, phone=None, name=None, password=PASSWORD, active=True,
        org=None,
    ):  # fmt: skip
        n = next(counter)
        if areas is None:
            areas = ["NI-01"] if role == "volunteer" else []
        user = accounts.create_user(
            accounts.UserInput(
                phone=phone or f"08{70000000 + n:08d}",
                display_name=name or f"{role.title()} {n}",
                role=role,
                area_codes=list(areas),
                password=password,
                org_code=org or current_app.config["ORG_CODE"],
            )
        )
        user.active = active
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(create_user, auth):
    """Return a helper that creates a user of a role and logs the client in as them."""

    def log_in(role="volunteer", **kwargs):
        user = create_user(role, **kwargs)
        response = auth.login(user.phone)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return log_in


@pytest.fixture
def api(client, login_as):
    """Log a volunteer of NI-01 in and return a function that posts a batch."""
    user = login_as("volunteer", areas=["NI-01"])
    token = csrf_from(client.get("/"))

    def post(body, raw=False, token=token):
        data = body if raw else json.dumps(body)
        return client.post(
            "/api/v1/visits/sync",
            data=data,
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        )

    post.user = user
    return post


@pytest.fixture
def create_household(app):
    """Return a factory that makes a household in a village."""
    counter = iter(range(1, 10_000))

    def make(village="NI-01", volunteer=None, tags=(), head_name="สมศรี ใจดี"):
        n = next(counter)
        area = db.session.scalar(select(Area).where(Area.code == village))
        household = Household(
            code=f"{village}-{n:04d}",
            qr_token=uuid.uuid4().hex + uuid.uuid4().hex[:8],
            house_no=str(n),
            village=area,
            head_name=head_name,
            assigned_volunteer=volunteer,
        )
        household.tag_rows = [HouseholdTag(tag=tag) for tag in tags]
        db.session.add(household)
        db.session.commit()
        return household

    return make


@pytest.fixture
def create_visit(app):
    """Return a factory that makes a visit by a volunteer to a household."""

    def make(household, volunteer, days_ago=0, wellbeing="green", kind="routine"):
        visit = Visit(
            client_uuid=str(uuid.uuid4()),
            household=household,
            village_id=household.village_id,
            volunteer=volunteer,
            visited_at=utcnow() - timedelta(days=days_ago),
            kind=kind,
            wellbeing=wellbeing,
            notes="",
        )
        db.session.add(visit)
        if household.last_visit_at is None or visit.visited_at > household.last_visit_at:
            household.last_visit_at = visit.visited_at
        if volunteer.last_visit_at is None or visit.visited_at > volunteer.last_visit_at:
            volunteer.last_visit_at = visit.visited_at
        memo.forget_since(visit.visited_at.astimezone(LOCAL_TZ).date())
        visit_days.add(visit.visited_at, household.village_id)
        db.session.commit()
        return visit

    return make


def visit_photo(visit, uploader):
    """Store a small photo of a visit, as an upload would (the caller commits)."""
    picture = photos.reencode(encoded(photo_like(64, 48)))
    photo_store.store().put(picture.sha256, picture.data)
    photo = Photo(
        client_uuid=str(uuid.uuid4()),
        item_kind="visit",
        item_uuid=visit.client_uuid,
        visit_id=visit.id,
        uploaded_by_id=uploader.id,
        sha256=picture.sha256,
        content_type=photos.CONTENT_TYPE,
        size_bytes=len(picture.data),
        width=picture.width,
        height=picture.height,
    )
    db.session.add(photo)
    return photo


@pytest.fixture
def route_objects(create_user, create_household, create_visit):
    """Return a factory of one of each object a route names by id, owned by `owner`.

    The role matrix and the hostile-input sweep fill route placeholders from it.
    """

    def make(owner, village="NI-01", target_area="BL-01"):
        program = db.session.scalar(
            select(WelfareProgram).where(WelfareProgram.code == "state_welfare_card")
        )
        badge = db.session.scalar(select(Badge).where(Badge.code == "smile"))
        # (A sweep's hostile requests to the badge catalogue may have retired it meanwhile.)
        badge.active, badge.kind = True, "staff"
        target = create_user("volunteer", areas=[target_area], org=owner.org.code)
        household = create_household(village, volunteer=owner)
        member = Member(household=household, name="ทองดี ใจดี", birth_year=1950)
        help_request = HelpRequest(household=household, category="visit", message="", status="new")
        case = Assistance(
            household=household, village_id=household.village_id, program=program,
            status="applied", note="",
        )  # fmt: skip
        db.session.add_all([member, help_request, case])
        db.session.commit()
        spare = WelfareProgram(
            code=f"p{uuid.uuid4().hex[:12]}", name_th="ทดสอบ", name_en="Test", sort_order=99
        )
        agency = Agency(
            name_th=f"หน่วยงาน {uuid.uuid4().hex[:8]}", name_en="Agency", kind="other",
            phone="042611000", address="", areas=[household.village], programs=[program],
        )  # fmt: skip
        db.session.add_all([spare, agency])
        visit = create_visit(household, owner)
        photo = visit_photo(visit, owner)
        award = recognition.award(badge, target, None, "ยิ้มเก่ง")
        # (A sweep's hostile requests may have made the owner something else by now.)
        asker = owner if owner.role == "volunteer" and owner.active else None
        asker = asker or create_user("volunteer", areas=[village], org=owner.org.code)
        question, _created = consultations.post(
            asker, consultations.MessageInput(body="ถามเจ้าหน้าที่", household=household.code)
        )
        encounter, _created = encounters.report(
            asker,
            encounters.EncounterInput(
                seen_at=utcnow(), category="homeless", place="ศาลาหน้าตลาด", village=village
            ),
        )
        announcer = create_user("staff", org=owner.org.code)
        notice = announcements.create(
            announcer,
            announcements.AnnouncementInput(kind="news", title="ประชุม", area_codes=[village]),
        )
        page, _changed = knowledge.save_page(
            None,
            knowledge.PageInput(
                slug=f"test-{uuid.uuid4().hex[:12]}", title_th="หน้าทดสอบ", body_th="ข้อความ"
            ),
            None,
        )
        notification = notifications.notify(owner, "thanks", "Thanks", url="/")
        db.session.commit()
        issuer = target.org.code
        return {
            "award_id": award.id,
            "public_id": award.public_id,
            "badge_id": badge.id,
            "user_id": target.id,
            "code": household.code,
            "token": household.qr_token,
            "member_id": member.id,
            "visit_id": visit.id,
            "request_id": help_request.id,
            "case_id": case.id,
            "thread_id": question.thread_id,
            "announcement_id": notice.id,
            "org": issuer,
            "thumbprint": issuer_keys.signing_key(issuer).thumbprint(),
            "area_id": household.village_id,
            "program_id": spare.id,
            "agency_id": agency.id,
            "slug": page.slug,
            "number": page.version,
            "notification_id": notification.id,
            "photo_id": photo.id,
            "encounter_id": encounter.id,
        }

    return make


# Centre B's own corner of the map, outside the demo centre's province, so the two do not
# overlap: province ZZP, district ZZP-D, subdistrict ZZ, villages ZZ-01 and ZZ-02.
SECOND_ORG_AREAS = (
    ("ZZP", "province", None),
    ("ZZP-D", "district", "ZZP"),
    ("ZZ", "subdistrict", "ZZP-D"),
    ("ZZ-01", "village", "ZZ"),
    ("ZZ-02", "village", "ZZ"),
)


@pytest.fixture
def second_centre_areas(app):
    """Add a province of its own for centre B; return its areas by code."""
    placed = {}
    for code, level, parent in SECOND_ORG_AREAS:
        area = Area(
            code=code, level=level, parent=placed.get(parent), name_th=f"พื้นที่ {code}",
            name_en=f"Area {code}", village_no=int(code[-2:]) if level == "village" else None,
        )  # fmt: skip
        db.session.add(area)
        placed[code] = area
    db.session.commit()
    return placed


@pytest.fixture
def second_org(second_centre_areas):
    """Create centre B (code ZZC) covering a province of its own; return it."""
    placed = second_centre_areas
    organisation = Organisation(
        code="ZZC", name_th="ศูนย์ทดสอบ", name_en="Test centre", areas=[placed["ZZP"]]
    )
    db.session.add(organisation)
    db.session.commit()
    return organisation


@pytest.fixture
def recorded_progress():
    """A progress display of services/progress.py's shape that keeps what it was shown:
    `recorded_progress.stages` lists (label, total, [each update])."""
    stages = []

    @contextmanager
    def progress(label, total):
        done = []
        stages.append((label, total, done))
        yield SimpleNamespace(update=done.append)

    progress.stages = stages
    return progress
