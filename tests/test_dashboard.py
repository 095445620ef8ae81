"""The dashboard's figures, checked against values worked out by hand on a small village."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pwa_app.extensions import db
from pwa_app.models import Assistance, AssistanceEvent, HelpRequest, WelfareProgram
from pwa_app.models.base import utcnow
from pwa_app.services import dashboard, household_days
from pwa_app.services.cases import today


@pytest.fixture
def village_life(create_user, create_household, create_visit):
    """Four households, three volunteers, visits now and in the ten days before."""
    v1, v2, v3 = (create_user("volunteer", areas=[a]) for a in ("NI-01", "NI-01", "BL-01"))
    a, b, c = (create_household("NI-01", volunteer=v1) for _ in range(3))
    d = create_household("BL-01", volunteer=v3)
    for household, volunteer, days in (
        (a, v1, 1),
        (a, v1, 2),
        (b, v2, 5),
        (d, v3, 3),  # this period: the last 10 days
        (c, v1, 12),
        (a, v1, 15),  # the 10 days before
        (b, v2, 40),  # long ago
    ):
        create_visit(household, volunteer, days_ago=days)
    programs = {p.code: p for p in db.session.scalars(select(WelfareProgram))}

    def case(household, code, status, opened_days_ago, follow_up_days=None, received_days_ago=None):
        opened = utcnow() - timedelta(days=opened_days_ago)
        item = Assistance(
            household=household,
            program=programs[code],
            status=status,
            opened_at=opened,
            next_follow_up=(today() + timedelta(days=follow_up_days))
            if follow_up_days is not None
            else None,
        )
        item.events.append(AssistanceEvent(to_status="identified", at=opened))
        if received_days_ago is not None:
            item.events.append(
                AssistanceEvent(
                    from_status="identified",
                    to_status="received",
                    at=utcnow() - timedelta(days=received_days_ago),
                )
            )
        db.session.add(item)

    case(a, "old_age_allowance", "received", 4, received_days_ago=1)
    case(b, "refer_health", "referred", 2, follow_up_days=-1)  # an overdue referral
    case(d, "refer_shelter", "referred", 12, follow_up_days=5)
    case(c, "state_welfare_card", "applied", 14)
    db.session.add_all(
        [
            HelpRequest(household=a, category="visit", status="new"),
            HelpRequest(household=d, category="food", status="seen"),
            HelpRequest(household=b, category="health", status="resolved"),
        ]
    )
    db.session.commit()
    return {"a": a, "b": b, "c": c, "d": d}


def last_ten_days():
    return dashboard.parse_period(
        "custom", (today() - timedelta(days=9)).isoformat(), today().isoformat()
    )


def values(figures):
    return {f.key: (f.value, f.previous) for f in figures}


def test_figures_for_everywhere_match_the_hand_count(app, village_life):
    got = values(dashboard.figures(last_ten_days(), None))
    assert got["visits"] == (4, 2)
    assert got["households_reached"] == (3, 2)
    assert got["active_volunteers"] == (3, 1)
    assert got["coverage_30"] == (100.0, 50.0)
    assert got["coverage_90"] == (100.0, 75.0)
    assert got["new_cases"] == (2, 2)
    assert got["cases_received"] == (1, 0)
    assert got["referrals_open"] == (2, None)
    assert got["referrals_overdue"] == (1, None)
    assert got["help_waiting"] == (2, None)


def test_figures_for_one_village(app, village_life):
    area = dashboard.parse_area("NI-01")
    got = values(dashboard.figures(last_ten_days(), dashboard.villages_in(area)))
    assert got["visits"] == (3, 2)
    assert got["households_reached"] == (2, 2)
    assert got["active_volunteers"] == (2, 1)
    assert got["coverage_30"] == (100.0, 66.7)
    assert got["referrals_open"] == (1, None)
    assert got["help_waiting"] == (1, None)


def test_subdistrict_covers_its_villages(app, village_life):
    area = dashboard.parse_area("NI")
    assert values(dashboard.figures(last_ten_days(), dashboard.villages_in(area)))["visits"] == (
        3,
        2,
    )


def test_pictures_count_the_same_visits(app, village_life):
    period = last_ten_days()
    per_day = dashboard.visits_over_time(period, None)
    assert len(per_day) == 10 and sum(n for _, n in per_day) == 4
    assert dict(per_day)[today() - timedelta(days=1)] == 1
    per_village = {area.code: n for area, n in dashboard.visits_per_area(period, None)}
    assert per_village["NI-01"] == 3 and per_village["BL-01"] == 1 and per_village["NI-02"] == 0
    funnel = {program.code: parts for program, parts in dashboard.case_funnel(period, None)}
    assert funnel["old_age_allowance"]["received"] == 1
    assert funnel["refer_health"]["referred"] == 1
    assert "refer_shelter" not in funnel  # opened before the period


def test_weekly_buckets_for_a_long_period(app, village_life):
    period = dashboard.parse_period("quarter")
    weeks = dashboard.visits_over_time(period, None)
    assert all(day.weekday() == 0 for day, _ in weeks)
    assert sum(n for _, n in weeks) == len(
        [d for d in (1, 2, 5, 3, 12, 15, 40) if today() - timedelta(days=d) >= period.start]
    )


def test_lists_show_what_needs_attention(app, village_life, login_as):
    staff = login_as("staff")
    board = dashboard.build(last_ten_days(), None, staff)
    assert board.stale_count == 0
    assert [c.program.code for c in board.overdue_cases] == ["refer_health"]
    assert len(board.new_requests) == 1
    assert len(board.recent_visits) == 7
    db.session.execute(update(type(village_life["c"])).values(last_visit_at=None))
    household_days.rebuild(db.session.connection())  # as the app's bulk writers do
    db.session.commit()
    board = dashboard.build(last_ten_days(), None, staff)
    assert board.stale_count == 4
    assert len(board.stale_households) == 4


def test_the_page_shows_figures_and_pictures(client, login_as, village_life):
    login_as("staff")
    page = client.get(
        "/dashboard?period=custom&from={}&to={}".format(
            (today() - timedelta(days=9)).isoformat(), today().isoformat()
        )
    ).get_data(as_text=True)
    assert 'data-figure="visits"' in page
    assert page.count("<svg") >= 3
    assert "▲ +2" in page  # 4 visits against 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&from=2026-11-20&to=2026-11-01", "วันสิ้นสุดอยู่ก่อนวันเริ่มต้น"),
        ("period=custom&from=31/02/2569&to=2026-11-21", "31/12/2569"),
        ("period=custom&from=1999-01-01&to=2026-11-01", "เลือกวันที่ระหว่าง 2020-01-01"),
        ("period=custom&from=2020-01-01&to=2026-11-01", "เลือกช่วงเวลาไม่เกินสามปี"),
        ("area=XX-99", "ไม่มีพื้นที่รหัส XX-99"),
    ],
)
def test_bad_filters_are_explained_and_kept(client, login_as, query, message):
    login_as("staff")
    response = client.get(f"/dashboard?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'data-figure="visits"' in page  # the month is still shown


def test_presets_cover_the_week_month_and_quarter(app):
    week = dashboard.parse_period("week")
    assert week.start.weekday() == 0 and week.end == today()
    assert dashboard.parse_period("month").start.day == 1
    quarter = dashboard.parse_period("quarter")
    assert quarter.start.month in (1, 4, 7, 10) and quarter.start.day == 1
    assert quarter.previous().end == quarter.start - timedelta(days=1)


def test_the_visits_per_day_table_follows_every_change(app, login_as, create_household):
    """Created, moved and deleted visits keep visit_days equal to a count of the visits."""
    from pwa_app.models import VisitDay
    from pwa_app.services import visit_days, visits

    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    made = []
    for days in (0, 1, 1, 3):
        visit, _ = visits.log_visit(
            visits.VisitInput(household=household.code, visited_at=utcnow() - timedelta(days=days)),
            volunteer,
        )
        made.append(visit)
    db.session.commit()
    moved = visits.VisitInput(
        household=household.code,
        visited_at=utcnow() - timedelta(days=2),
        kind="routine",
        wellbeing="green",
    )
    visits.update_visit(made[1], moved, volunteer)
    visits.delete_visit(made[3], volunteer)
    db.session.commit()

    def table():
        return {
            (row.day, row.village_id): row.visits
            for row in db.session.scalars(select(VisitDay))
            if row.visits
        }

    kept = table()
    visit_days.rebuild()
    assert kept == table()
    assert sum(kept.values()) == 3


def test_a_late_visit_changes_the_kept_figures_of_the_past(app, login_as, create_household):
    from pwa_app.services import visits

    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    last_week = dashboard.parse_period(
        "custom",
        (today() - timedelta(days=13)).isoformat(),
        (today() - timedelta(days=7)).isoformat(),
    )
    assert dashboard.visit_counts(last_week, None)[0] == 0  # now kept for that past week
    visits.log_visit(
        visits.VisitInput(household=household.code, visited_at=utcnow() - timedelta(days=9)),
        volunteer,
    )
    db.session.commit()
    assert dashboard.visit_counts(last_week, None) == (1, 1, 1)


def test_recent_visits_are_the_newest_of_any_scope(
    app, create_user, create_household, create_visit
):
    volunteer = create_user("volunteer", areas=["NI-01", "NI-02", "BL-01"])
    homes = [create_household(code) for code in ("NI-01", "NI-01", "NI-02", "BL-01")]
    made = [
        create_visit(homes[n % len(homes)], volunteer, days_ago=n * 0.7 + (400 if n > 20 else 0))
        for n in range(24)
    ]
    made[1].deleted_at = utcnow()
    db.session.commit()
    live = [visit for visit in made if visit.deleted_at is None]
    for code in (None, "NI", "NI-02", "BL-01"):
        area = dashboard.parse_area(code)
        villages = dashboard.villages_in(area)
        expected = sorted(
            (v for v in live if area is None or v.household.village.code.startswith(code)),
            key=lambda visit: visit.visited_at,
            reverse=True,
        )[: dashboard.LIST_SIZE]
        assert [v.id for v in dashboard.recent_visits(villages)] == [v.id for v in expected]


@pytest.mark.parametrize("days_back", [0, 20])
def test_the_board_counts_households_as_the_figures_alone_do(
    app, village_life, login_as, days_back
):
    staff = login_as("staff")
    end = today() - timedelta(days=days_back)
    period = dashboard.parse_period(
        "custom", (end - timedelta(days=9)).isoformat(), end.isoformat()
    )
    for code in (None, "NI", "NI-01"):
        area = dashboard.parse_area(code)
        board = dashboard.build(period, area, staff)
        alone = dashboard.figures(period, dashboard.villages_for(staff, area))
        assert values(board.figures) == values(alone)
        mapped = sum(place.households for place in board.coverage)
        assert mapped == dashboard.household_total(dashboard.villages_for(staff, area))


def test_a_past_periods_cases_are_kept_until_a_household_moves(app, village_life, create_user):
    """The cases of an ended period are counted once; a household moving to another village
    takes its cases along, in past periods too, so what was kept is counted again."""
    from pwa_app.models import Area
    from pwa_app.services import households

    def area(code):
        return db.session.scalar(select(Area).where(Area.code == code))

    before = dashboard.Period(today() - timedelta(days=20), today() - timedelta(days=10))
    ni, bl = dashboard.villages_in(area("NI")), dashboard.villages_in(area("BL"))
    c = village_life["c"]  # its state welfare card case was opened 14 days ago
    assert (dashboard.new_cases(before, ni), dashboard.new_cases(before, bl)) == (1, 1)
    db.session.commit()
    # Kept: the cases changed behind the app's back are not counted again ...
    db.session.execute(update(Assistance).values(village_id=area("BL-01").id))
    assert (dashboard.new_cases(before, ni), dashboard.new_cases(before, bl)) == (1, 1)
    db.session.rollback()
    # ... but a household's move, which takes its cases along, forgets what was kept.
    households.follow_village(c, area("BL-01"))
    c.village = area("BL-01")
    db.session.commit()
    assert (dashboard.new_cases(before, ni), dashboard.new_cases(before, bl)) == (0, 2)
    assert dashboard.cases_received(before, ni) == 0
