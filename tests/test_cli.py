"""The command line: creating users and seeding the demo."""

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import (
    Area,
    Assistance,
    Encounter,
    HelpRequest,
    Household,
    Member,
    Organisation,
    User,
    Visit,
)
from pwa_app.services import accounts, demo, scope


def test_users_create_reads_the_password_from_stdin(runner, client, auth):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "volunteer",
            "--phone",
            "0871112222",
            "--name",
            "คำแก้ว พรมมา",
            "--password-stdin",
            "--area",
            "NI",
            "--area",
            "BL-02",
        ],
        input="kwamsuk-2569\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.phone == "0871112222"))
    assert [a.code for a in user.areas] == ["BL-02", "NI"]
    assert auth.login("0871112222", "kwamsuk-2569").status_code == 302


def test_users_create_reports_every_problem_and_saves_nothing(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "volunteer",
            "--phone",
            "abc",
            "--name",
            "x",
            "--password-stdin",
            "--area",
            "ZZ",
        ],
        input="123\n",
    )
    assert result.exit_code == 1
    assert "phone" in result.output and "password" in result.output and "areas" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_requires_password_stdin(runner):
    result = runner.invoke(
        args=["users", "create", "--role", "staff", "--phone", "0871112222", "--name", "x"]
    )
    assert result.exit_code != 0
    assert "--password-stdin" in result.output


def counts():
    return {
        model.__name__: db.session.scalar(select(func.count(model.id)))
        for model in (User, Household, Member, Visit, Assistance, HelpRequest, Encounter)
    }


def test_demo_seed_is_realistic_and_idempotent(runner):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "0810000001" in first.output and demo.DEMO_PASSWORD in first.output
    after_first = counts()
    assert after_first["Household"] == 120
    assert after_first["Visit"] == 720
    assert after_first["Member"] > 120
    statuses = set(db.session.scalars(select(Assistance.status).distinct()))
    assert statuses == {
        "identified",
        "applied",
        "referred",
        "received",
        "not_eligible",
        "withdrawn",
    }
    roles = set(db.session.scalars(select(User.role).distinct()))
    assert roles == {"volunteer", "staff", "admin", "observer"}
    # People in hardship in Nong Ian: one new, one assigned, one referred, one closed.
    reports = db.session.scalars(select(Encounter).order_by(Encounter.id)).all()
    assert [e.status for e in reports] == ["new", "assigned", "referred", "closed"]
    assert reports[2].agency is not None and len(reports[3].events) == 4
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert counts() == after_first


def test_demo_seed_grows_to_many_organisations_each_seeing_only_its_own(runner, auth):
    args = ["demo", "seed", "--orgs", "3", "--villages", "60", "--households", "240"]
    result = runner.invoke(args=[*args, "--visits", "900", "--quiet"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 3
    villages = select(func.count(Area.id)).where(Area.level == "village")
    assert db.session.scalar(villages) == 60
    # Every village is reachable from its province through the tree's paths.
    for organisation in db.session.scalars(select(Organisation)):
        covered = db.session.scalar(
            select(func.count()).select_from(scope.org_villages(organisation.id).subquery())
        )
        assert covered == len(_villages_walked(organisation.areas))
    new_org = db.session.scalar(select(Organisation).where(Organisation.code == "C02"))
    staff = db.session.scalar(select(User).where(User.org_id == new_org.id, User.role == "staff"))
    codes = set(db.session.scalars(select(Household.code)))
    assert all(code.count("-") == 2 for code in codes) and len(codes) == 240
    auth.login(staff.phone, demo.DEMO_PASSWORD)
    page = auth.client.get("/households?page=1").get_data(as_text=True)
    assert "NI-01-" not in page
    theirs = db.session.scalars(
        select(Household.code).where(Household.village_id.in_(scope.org_villages(new_org.id)))
    ).all()
    assert theirs and theirs[0] in page
    observer = accounts.find_by_phone(demo.OBSERVER_PHONE)
    assert {area.code for area in observer.areas} == {"MDH", "DP01", "DP02"}
    before = counts()
    assert runner.invoke(args=[*args, "--visits", "900", "--quiet"]).exit_code == 0
    assert counts() == before
    assert db.session.scalar(villages) == 60


def _villages_walked(areas):
    found, todo = set(), list(areas)
    while todo:
        area = todo.pop()
        if area.level == "village":
            found.add(area.id)
        todo += area.children
    return found


def test_demo_seed_tops_up_to_larger_counts(runner):
    runner.invoke(args=["demo", "seed"])
    result = runner.invoke(
        args=["demo", "seed", "--households", "400", "--visits", "3000", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert counts()["Household"] == 400
    assert counts()["Visit"] == 3000
    codes = db.session.scalars(select(Household.code)).all()
    assert len(codes) == len(set(codes))


def test_demo_seed_shows_how_far_the_visits_are(runner):
    result = runner.invoke(
        args=["demo", "seed", "--households", "60", "--visits", "300", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "visits" in result.stderr  # the stage is named (a bar on a terminal)


def test_demo_seed_reports_each_chunk_of_visits_to_its_progress(
    app, monkeypatch, recorded_progress
):
    monkeypatch.setattr(demo, "CHUNK", 100)
    demo.seed(households=250, visits=350, progress=recorded_progress)
    assert recorded_progress.stages == [
        ("households", 250, [100, 100, 50]),
        ("visits", 350, [100, 100, 100, 50]),
    ]
    assert db.session.scalar(select(func.count(Household.id))) == 250
    codes = db.session.scalars(select(Household.code)).all()
    assert len(codes) == len(set(codes))


def test_demo_seed_spreads_the_volunteers_asked_for_over_the_villages(runner):
    result = runner.invoke(
        args=["demo", "seed", "--households", "60", "--visits", "0", "--volunteers", "45"]
        + ["--quiet"]
    )
    assert result.exit_code == 0, result.output
    volunteers = db.session.scalar(select(func.count(User.id)).where(User.role == "volunteer"))
    assert volunteers >= 45
    # Every household is looked after by a volunteer of its own village or subdistrict.
    strays = db.session.scalar(
        select(func.count(Household.id)).where(Household.assigned_volunteer_id.is_(None))
    )
    assert strays == 0


def test_demo_seed_national_takes_the_country_sizes_and_options_beside_it_win(runner, monkeypatch):
    small = {"orgs": 3, "villages": 40, "households": 90, "visits": 200, "volunteers": 70}
    monkeypatch.setattr(demo, "NATIONAL", small)
    result = runner.invoke(args=["demo", "seed", "--national", "--visits", "150", "--quiet"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 3
    villages = select(func.count(Area.id)).where(Area.level == "village")
    assert db.session.scalar(villages) >= 40
    assert db.session.scalar(select(func.count(Household.id))) == 90
    assert db.session.scalar(select(func.count(Visit.id))) == 150
    volunteers = db.session.scalar(select(func.count(User.id)).where(User.role == "volunteer"))
    assert volunteers >= 70


def test_demo_seed_if_empty_leaves_a_used_database_alone(runner, create_user):
    create_user("admin")
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count(Household.id))) == 0


def test_demo_logins_can_log_in(runner, auth):
    runner.invoke(args=["demo", "seed", "--quiet"])
    for role, phone, _name in demo.demo_logins():
        response = auth.login(phone, demo.DEMO_PASSWORD)
        assert response.status_code == 302, role
        auth.logout()
