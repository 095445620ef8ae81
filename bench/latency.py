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
