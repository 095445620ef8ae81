"""Sync throughput under gunicorn, measured with wrk on loopback, beside a "hello" endpoint."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
DURATION = os.environ.get("BENCH_LOAD_SECONDS", "10")
CONNECTIONS = "16"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(database_url, workers):
    """Start gunicorn with the bench app; return (process, base URL)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench"}
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def session_for(base, phone, password):
    """Log in; return (Cookie header, CSRF token)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    home = (
        opener.open(
            base + "/login",
            urlencode({"phone": phone, "password": password, "csrf_token": token}).encode(),
        )
        .read()
        .decode()
    )
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, csrf


def wrk(url, script=None, env=None):
    """Run wrk for DURATION seconds; return {requests_per_s, p50_ms, p95_ms, non2xx}."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    result = {"rps": rate, "non2xx": 0}
    pattern = r"BENCH_RESULT .* non2xx=(\d+) rejected=(\d+) p50_us=(\d+) p95_us=(\d+)"
    if match := re.search(pattern, output):
        result.update(
            non2xx=int(match.group(1)),
            rejected=int(match.group(2)),
            p50=int(match.group(3)) / 1000,
            p95=int(match.group(4)) / 1000,
        )
    return result


def measure(database_url, households, phone, password):
    """Return rows (workers, what, visits per request, rps, ratio to hello, p50, p95)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (make bench does it)")
    rows = []
    for workers in (2, 4):
        process, base = start(database_url, workers)
        try:
            cookie, csrf = session_for(base, phone, password)
            hello = wrk(base + "/bench/hello")
            rows.append((workers, "hello", 0, hello["rps"], 1.0, None, None))
            for batch in (0, 1, 20):
                env = {
                    "BENCH_COOKIE": cookie,
                    "BENCH_CSRF": csrf,
                    "BENCH_BATCH": str(batch),
                    "BENCH_HOUSEHOLDS": ",".join(households),
                }
                result = wrk(base + "/api/v1/visits/sync", ROOT / "bench" / "sync.lua", env)
                if "rejected" not in result:
                    raise RuntimeError("wrk's sync script reported no result")
                if result["non2xx"] or result["rejected"]:
                    raise RuntimeError(
                        f"{result['non2xx']} sync requests failed and "
                        f"{result.get('rejected')} were rejected"
                    )
                what = (
                    f"sync, {batch} visit{'s' if batch > 1 else ''} per request"
                    if batch
                    else "sync, empty (authenticated, records nothing)"
                )
                rows.append(
                    (
                        workers,
                        what,
                        batch,
                        result["rps"],
                        result["rps"] / hello["rps"],
                        result["p50"],
                        result["p95"],
                    )
                )
        finally:
            stop(process)
    return rows
