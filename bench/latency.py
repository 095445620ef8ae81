"""Page latency at a province's size, measured in-process with Flask's test client."""

import re
import statistics
import time
from pathlib import Path

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
    import uuid
    from datetime import UTC, datetime

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
        item = {
            "client_uuid": str(uuid.uuid4()),
            "household": codes[n % len(codes)],
            "visited_at": datetime.now(UTC).isoformat(),
            "kind": "routine",
            "wellbeing": "green",
        }
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


def sync_profile(database_url, phone, password, codes, batch=20, runs=100):
    """Return (statements per request, the functions a sync of `batch` visits spends time in).

    Statements are those sent to the database (BEGIN included) by an empty sync, a sync of one
    visit and a sync of `batch`; the profile is cProfile over `runs` such batches, in-process:
    [(function, ms per batch including what it calls, ms per batch in itself)], the app's own
    functions by the first and everything by the second.
    """
    import cProfile
    import pstats
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import event

    from pwa_app import create_app
    from pwa_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    client = app.test_client()
    log_in(client, phone, password)
    csrf = CSRF.search(client.get("/").get_data(as_text=True)).group(1)
    sent = []

    def sync(size):
        items = [
            {
                "client_uuid": str(uuid.uuid4()),
                "household": codes[n % len(codes)],
                "visited_at": datetime.now(UTC).isoformat(),
                "kind": "routine",
                "wellbeing": "green",
            }
            for n in range(size)
        ]
        answer = client.post(
            "/api/v1/visits/sync", json={"visits": items}, headers={"X-CSRFToken": csrf}
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
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        sync(batch)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    root = str(Path(__file__).resolve().parent.parent / "pwa_app")

    def name(key):
        path, line, function = key
        if path.startswith(root):
            return f"pwa_app{path[len(root) :]}:{line} {function}"
        return f"{Path(path).name}:{line} {function}" if line else function

    rows = [
        (key, cumulative * 1000 / runs, own * 1000 / runs)
        for key, (_calls, _primitive, own, cumulative, _callers) in stats.items()
    ]
    ours = sorted((r for r in rows if r[0][0].startswith(root)), key=lambda r: -r[1])[:12]
    anywhere = sorted(rows, key=lambda r: -r[2])[:12]
    with app.app_context():
        db.engine.dispose()
    return (
        statements,
        [(name(k), c, o) for k, c, o in ours],
        [(name(k), c, o) for k, c, o in anywhere],
    )
