"""A volunteer's page, idle and while one household's card page and help form are flooded.

    python -m bench.flood                                     # a demo database, its own gunicorn
    python -m bench.flood BASE_URL CARD_TOKEN PHONE PASSWORD  # a server already running

The flood alternates GET /h/<token> and POST /h/<token>/help from one anonymous session
(wrk with bench/flood.lua when wrk is installed, Python threads otherwise); meanwhile the
volunteer's page is requested one request at a time, as a phone would.
"""

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.load import session_for

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "flood.lua"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
DEMO_PHONE, DEMO_PASSWORD = "0810000001", "demo-2569"


def fetch(base_url, method, path, cookie=None, form=None):
    """Send one request on its own connection; return (status, headers, text)."""
    parts = urlsplit(base_url)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def anonymous_session(base_url, card_token):
    """Open the card as a stranger would; return (Cookie header, CSRF token)."""
    status, headers, text = fetch(base_url, "GET", f"/h/{card_token}")
    if status != 200:
        raise RuntimeError(f"the card page answered {status}")
    cookie = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])
    return cookie, CSRF.search(text).group(1)


def percentile(samples, share):
    """Return the sample below which this share of the samples lies."""
    ordered = sorted(samples)
    return ordered[max(0, int(round(share * len(ordered))) - 1)]


def sample_page(base_url, cookie, path, seconds, stop=None):
    """GET path one request after another for seconds (or until stop); return the figures."""
    samples, failures = [], Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        started = time.perf_counter()
        try:
            status = fetch(base_url, "GET", path, cookie)[0]
        except OSError as error:
            status = type(error).__name__
        if status == 200:
            samples.append((time.perf_counter() - started) * 1000)
        else:
            failures[str(status)] += 1
    figures = {"samples": len(samples), "failures": dict(failures)}
    if samples:
        figures.update(p50_ms=statistics.median(samples), p95_ms=percentile(samples, 0.95))
    return figures


def flood_with_wrk(base_url, card_token, cookie, csrf, seconds, connections):
    """Flood the card with wrk; return (requests, requests per second, {status: count})."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(SCRIPT), base_url]
    env = {**os.environ, "BENCH_TOKEN": card_token, "BENCH_COOKIE": cookie, "BENCH_CSRF": csrf}
    output = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    statuses = dict(
        (status, int(n))
        for status, n in re.findall(r"(\d+)=(\d+)", re.search(r"BENCH_STATUSES (.*)", output)[1])
    )
    errors = re.search(r"BENCH_ERRORS connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+)", output)
    if lost := sum(int(n) for n in errors.groups()):
        statuses["socket error"] = lost
    return requests, rate, statuses


def flood_with_threads(base_url, card_token, cookie, csrf, seconds, connections):
    """Flood the card from threads; return (requests, requests per second, {status: count})."""
    statuses, lock = Counter(), threading.Lock()
    form = {"category": "visit", "message": "flood", "csrf_token": csrf}
    deadline = time.monotonic() + seconds

    def attacker(n):
        while time.monotonic() < deadline:
            n += 1
            try:
                if n % 2:
                    status = fetch(base_url, "GET", f"/h/{card_token}", cookie)[0]
                else:
                    status = fetch(base_url, "POST", f"/h/{card_token}/help", cookie, form)[0]
            except OSError:
                status = "socket error"
            with lock:
                statuses[str(status)] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    requests = sum(statuses.values())
    return requests, requests / (time.monotonic() - started), dict(statuses)


def measure(
    base_url, card_token, phone, password, path="/", seconds=8, idle_seconds=4, connections=8
):
    """Time a volunteer's page idle and during a flood of one card; count the flood's answers.

    base_url: a running server (gunicorn); card_token: a live household's QR token (any
    household: the card's help limit is used up by the flood, for an hour);
    phone/password: a volunteer's login. Takes about idle_seconds + seconds.
    """
    volunteer, _ = session_for(base_url, phone, password)
    if fetch(base_url, "GET", path, volunteer)[0] != 200:
        raise RuntimeError(f"{path} does not answer 200 to the volunteer")
    cookie, csrf = anonymous_session(base_url, card_token)
    idle = sample_page(base_url, volunteer, path, idle_seconds)

    flood = flood_with_wrk if shutil.which("wrk") else flood_with_threads
    stop, busy = threading.Event(), {}
    sampler = threading.Thread(
        target=lambda: busy.update(sample_page(base_url, volunteer, path, seconds, stop))
    )
    sampler.start()
    try:
        requests, rate, statuses = flood(base_url, card_token, cookie, csrf, seconds, connections)
    finally:
        stop.set()
        sampler.join()
    return {
        "path": path,
        "idle": idle,
        "flood": busy,
        "flood_tool": "wrk" if flood is flood_with_wrk else "threads",
        "flood_connections": connections,
        "flood_requests": requests,
        "flood_rps": rate,
        "flood_statuses": statuses,
    }


def demo_server(folder, workers=2):
    """Start gunicorn on a fresh demo database; return (process, base URL, a card token)."""
    from sqlalchemy import select

    from bench import load
    from bench.run import demo_app
    from pwa_app.extensions import db
    from pwa_app.models import Household

    app, _ = demo_app(folder)
    with app.app_context():
        token = db.session.scalar(
            select(Household.qr_token).where(Household.archived.is_(False)).order_by(Household.id)
        )
        db.engine.dispose()
    process, base = load.start(f"sqlite:///{folder}/bench.db", workers)
    return process, base, token


def main(args):
    """Measure against the server named in args, or against a demo server of our own."""
    if args:
        base, token, phone, password = args
        print(json.dumps(measure(base, token, phone, password), indent=2))
        return
    from bench import load

    with tempfile.TemporaryDirectory() as folder:
        process, base, token = demo_server(folder)
        try:
            print(json.dumps(measure(base, token, DEMO_PHONE, DEMO_PASSWORD), indent=2))
        finally:
            load.stop(process)


if __name__ == "__main__":
    main(sys.argv[1:])
