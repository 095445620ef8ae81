"""Who a country-sized benchmark logs in as and the pages it opens, in-process."""

from datetime import datetime, timedelta

from bench import latency


def people(app):
    """Return who the country benchmark logs in as: phones, and codes to open pages with."""
    from sqlalchemy import select

    from pwa_app.extensions import db
    from pwa_app.models import Area, Household, Organisation, User
    from pwa_app.services import demo

    with app.app_context():
        staff = db.session.scalar(
            select(User.phone)
            .join(Organisation, Organisation.id == User.org_id)
            .where(Organisation.code == "C01", User.role == "staff")
        )
        district = db.session.scalar(
            select(Area.code).where(Area.code.like("DP01-%")).order_by(Area.code)
        )
        volunteer, household = db.session.execute(
            select(User.phone, Household.code)
            .join(Household, Household.assigned_volunteer_id == User.id)
            .join(Organisation, Organisation.id == User.org_id)
            .where(Organisation.code == "C01")
            .order_by(Household.id)
            .limit(1)
        ).one()
        db.engine.dispose()
    return {
        "staff": staff,
        "district": district,
        "volunteer": volunteer,
        "household": household,
        "observer": demo.OBSERVER_PHONE,
    }


def measure(app, people):
    """Return [(who, page, p50, p95, KB, is a dashboard)] on the country-sized database."""
    from pwa_app.extensions import db
    from pwa_app.services.summaries import LOCAL_TZ

    household = people["household"]
    # "This month" on the 1st is one day: the last 30 days measure a month whatever the date.
    today = datetime.now(LOCAL_TZ).date()
    thirty = f"/dashboard?period=custom&from={today - timedelta(days=29)}&to={today}"
    plan = (
        ("observer, every province", people["observer"], (
            ("dashboard (this month)", "/dashboard"),
            ("dashboard (the last 30 days)", thirty),
            ("dashboard (this quarter)", "/dashboard?period=quarter"),
            ("dashboard (one province)", "/dashboard?area=DP01"),
        )),
        ("staff of one organisation (C01)", people["staff"], (
            ("dashboard (this month)", "/dashboard"),
            ("dashboard (the last 30 days)", thirty),
            ("dashboard (this quarter)", "/dashboard?period=quarter"),
            ("dashboard (one district)", f"/dashboard?area={people['district']}"),
            ("households", "/households"),
            ("households, searched by name", "/households?q=%E0%B8%AA%E0%B8%A1"),
            ("volunteers", "/volunteers"),
        )),
        ("staff of the demo centre (MDH)", "0800000002", (
            ("dashboard (this month)", "/dashboard"),
        )),
        ("volunteer of C01", people["volunteer"], (
            ("home", "/"),
            ("households", "/households"),
            ("household page", f"/households/{household}"),
            ("visit form", f"/visits/new?household={household}"),
            ("GET /api/v1/households", "/api/v1/households"),
        )),
    )  # fmt: skip
    rows = []
    for who, phone, pages in plan:
        client = app.test_client()
        latency.log_in(client, phone, "demo-2569")
        for page, path in pages:
            p50, p95 = latency.timed(client, path)
            size = len(client.get(path).data) / 1024
            rows.append((who, page, p50, p95, size, page.startswith("dashboard")))
    with app.app_context():
        db.engine.dispose()
    return rows
