"""Where a sync's time goes under gunicorn: cProfile inside a worker while wrk loads it.

`bench/wsgi.py` wraps the app in ProfiledApp when BENCH_PROFILE names a file prefix: the
worker profiles every sync request and writes its figures to PREFIX.<pid> as it goes.
"""

import atexit
import os
import pstats
import tempfile
from cProfile import Profile
from pathlib import Path

from bench import load

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = str(ROOT / "pwa_app")
PROFILED_PATH = "/api/v1/visits/sync"
WRITE_EVERY = 20  # requests between two writes of the figures


class ProfiledApp:
    """WSGI middleware: profile the sync requests one worker serves."""

    def __init__(self, app, prefix):
        self.app, self.prefix = app, prefix
        self.profile, self.served = Profile(), 0
        atexit.register(self.write)  # the requests since the last write, as the worker stops

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PROFILED_PATH:
            return self.app(environ, start_response)
        self.profile.enable()
        try:
            return self.app(environ, start_response)
        finally:
            self.profile.disable()
            self.served += 1
            if self.served % WRITE_EVERY == 0:
                self.write()

    def write(self):
        """Write the figures so far (each write replaces the last)."""
        if self.served:
            self.profile.dump_stats(f"{self.prefix}.{os.getpid()}")


def top_functions(stats, requests, count=12):
    """Return ([(function, ms per request with callees, ms in itself)] of the app's own code by
    the first, [...] of any code by the second) from pstats figures."""

    def name(key):
        path, line, function = key
        if path.startswith(PACKAGE):
            return f"pwa_app{path[len(PACKAGE) :]}:{line} {function}"
        return f"{Path(path).name}:{line} {function}" if line else function

    rows = [
        (key, cumulative * 1000 / requests, own * 1000 / requests)
        for key, (_calls, _primitive, own, cumulative, _callers) in stats.items()
    ]
    ours = sorted((r for r in rows if r[0][0].startswith(PACKAGE)), key=lambda r: -r[1])
    anywhere = sorted(rows, key=lambda r: -r[2])
    return (
        [(name(k), c, o) for k, c, o in ours[:count]],
        [(name(k), c, o) for k, c, o in anywhere[:count]],
    )


def measure(database_url, households, phone, password, batch=20):
    """Profile one gunicorn worker serving syncs of `batch` visits under wrk; return
    (requests profiled, ms per request, the app's functions, every function)."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = str(Path(folder) / "sync.prof")
        os.environ["BENCH_PROFILE"] = prefix
        try:
            process, base = load.start(database_url, 1)
        finally:
            del os.environ["BENCH_PROFILE"]
        try:
            cookie, csrf = load.session_for(base, phone, password)
            env = {
                "BENCH_COOKIE": cookie,
                "BENCH_CSRF": csrf,
                "BENCH_BATCH": str(batch),
                "BENCH_HOUSEHOLDS": ",".join(households),
            }
            load.wrk(base + PROFILED_PATH, ROOT / "bench" / "sync.lua", env)
        finally:
            load.stop(process)
        files = sorted(Path(folder).glob("sync.prof.*"))
        if not files:
            raise RuntimeError("the profiled worker wrote no figures")
        stats = pstats.Stats(*map(str, files)).stats
    [(requests, spent)] = [
        (calls, cumulative)
        for (path, _line, function), (calls, _primitive, _own, cumulative, _c) in stats.items()
        if function == "wsgi_app" and path.endswith(os.path.join("flask", "app.py"))
    ]
    ours, anywhere = top_functions(stats, requests)
    return requests, spent * 1000 / requests, ours, anywhere
