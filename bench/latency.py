"""Page latency at a province's size, measured in-process with Flask's test client."""

import re
import statistics
import time

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def log_in(client, phone, password):
    """Log a test client in through the login form."""
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"phone": phone, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code


def timed(client, path, runs=20, warmup=3):
    """Return (p50, p95) milliseconds of GET path after warm-up requests."""
    for _ in range(warmup):
        assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    samples.sort()
    return statistics.median(samples), samples[max(0, int(round(0.95 * len(samples))) - 1)]


def sync_cost(database_url, phone, password, codes, runs=300):
    """Return CPU milliseconds per request, in-process, for what a sync is made of.

    hello: the cheapest answer; empty sync: an authenticated POST that records nothing (session
    cookie, user lookup, CSRF check, JSON); one visit: a real sync of one new visit.
    """
    from pwa_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})

    @app.route("/bench/hello")
    def hello():
        return "hello"

    client, stranger = app.test_client(), app.test_client()
    log_in(client, phone, password)
    csrf = CSRF.search(client.get("/").get_data(as_text=True)).group(1)
    headers = {"X-CSRFToken": csrf}

    def one_visit(n):
        [item] = visit_items(codes[n % len(codes) :] + codes, 1)
        answer = client.post("/api/v1/visits/sync", json={"visits": [item]}, headers=headers)
        assert answer.json["results"][0]["status"] == "created", answer.json

    steps = {
        "hello": lambda n: stranger.get("/bench/hello"),  # no cookie, as wrk sends it
        "empty sync (authenticated, no visits)": lambda n: client.post(
            "/api/v1/visits/sync", json={"visits": []}, headers=headers
        ),
        "sync of one visit": one_visit,
    }
    costs = {}
    for name, step in steps.items():
        for n in range(20):
            step(n)
        started = time.process_time()
        for n in range(runs):
            step(n)
        costs[name] = (time.process_time() - started) * 1000 / runs
    with app.app_context():
        from pwa_app.extensions import db

        db.engine.dispose()
    return costs


def sync_statements(database_url, phone, password, codes, batch=20):
    """Return {request: statements sent to the database (BEGIN included)} for an empty sync, a
    sync of one visit and a sync of `batch`, in-process."""
    from sqlalchemy import event

    from pwa_app import create_app
    from pwa_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    client = app.test_client()
    log_in(client, phone, password)
    csrf = CSRF.search(client.get("/").get_data(as_text=True)).group(1)
    sent = []

    def sync(size):
        answer = client.post(
            "/api/v1/visits/sync",
            json={"visits": visit_items(codes, size)},
            headers={"X-CSRFToken": csrf},
        )
        assert all(r["status"] == "created" for r in answer.json["results"]), answer.json

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(1))
    statements = {}
    for name, size in (
        ("empty sync", 0),
        ("sync of one visit", 1),
        (f"sync of {batch} visits", batch),
    ):
        sync(size)  # warm: the first request compiles its statements
        sent.clear()
        sync(size)
        statements[name] = len(sent)
    with app.app_context():
        db.engine.dispose()
    return statements


def visit_items(codes, size):
    """Return `size` new routine visits to the households `codes`, as the phone sends them."""
    import uuid
    from datetime import UTC, datetime

    return [
        {
            "client_uuid": str(uuid.uuid4()),
            "household": codes[n % len(codes)],
            "visited_at": datetime.now(UTC).isoformat(),
            "kind": "routine",
            "wellbeing": "green",
        }
        for n in range(size)
    ]
