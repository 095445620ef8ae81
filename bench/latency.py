"""Page latency at a province's size, measured in-process with Flask's test client."""

import re
import statistics
import time

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def log_in(client, phone, password):
    """Log a test client in through the login form."""
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"phone": phone, "password": password, "csrf_token": token})
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
