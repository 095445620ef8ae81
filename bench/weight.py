"""Bytes a volunteer's phone downloads: a first load with an empty cache, and a repeat load.

Counted at the server, after compression, so the service worker's own requests are included.
"""

import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUDGET_BYTES = 100 * 1024
# A load ends when the app says it is ready; this ceiling only ends a hang.
HANG_MS = 90_000
# What the service worker loads with importScripts (sw.js): the browser fetches it again
# when it checks the worker for an update.
WORKER_IMPORTS = ("/static/js/outbox-core.js",)
# Scripts a form loads when the volunteer first needs them (the photo picker's shrinking):
# never part of the first load, reported beside it.
ON_FIRST_USE = ("js/photos.js",)


@dataclass
class Meter:
    """Counts what the server sends: status line, headers and (compressed) body."""

    app: object
    requests: list = field(default_factory=list)

    def __call__(self, environ, start_response):
        record = {
            "path": environ["PATH_INFO"],
            "bytes": 0,
            "worker_check": environ.get("HTTP_SERVICE_WORKER") == "script",
            # Fetched in the background once the app is ready (app.js, LATER_PAGES).
            "prefetch": environ.get("HTTP_X_PREFETCH") == "later",
        }
        self.requests.append(record)

        def counting_start(status, headers, exc_info=None):
            record["bytes"] += len(status) + 11 + sum(len(k) + len(v) + 4 for k, v in headers)
            return start_response(status, headers, exc_info)

        for chunk in self.app(environ, counting_start):
            record["bytes"] += len(chunk)
            yield chunk

    def take(self):
        """Return and forget the requests counted so far."""
        taken, self.requests = self.requests, []
        return taken


def serve(app):
    """Serve a WSGI app on a free loopback port in a thread; return (url, server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def measure_volunteer_load(playwright, url, meter, phone, password):
    """Log a volunteer in on a fresh phone, then come back: return (first, repeat) requests.

    Each load ends when the app is ready (PwaApp.ready: the shell cached, the household list
    stored, the outbox tried; for the first, the service worker installed too), not after a
    quiet spell on the network, which a busy machine stretches or cuts short.
    """
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=HANG_MS
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale="th-TH",
        timezone_id="Asia/Bangkok",
        extra_http_headers={"Accept-Encoding": "br, gzip"},
    )
    context.set_default_timeout(HANG_MS)
    page = context.new_page()
    meter.take()
    page.goto(f"{url}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; await window.PwaApp.ready; }")
    first = meter.take()
    # The screens fetched in the background once the app is ready (marked, and told apart if
    # one lands above): let them finish before the repeat load.
    page.locator("html[data-later-pages-cached]").wait_for(state="attached")
    first += [r for r in meter.take() if r.get("prefetch")]
    page.goto(f"{url}/")
    page.evaluate("async () => { await window.PwaApp.ready; }")
    repeat = meter.take()
    browser.close()
    return first, repeat


def without_worker_check(requests):
    """Leave out the browser's own check for a newer service worker (and background fetches).

    After a navigation Chromium fetches sw.js again (with "Service-Worker: script") and
    the scripts it imports, on its own timer: the check lands in whichever load is being
    counted when the timer fires, so it is not part of what a load fetches.
    """
    requests = [r for r in requests if not r.get("prefetch")]  # background work, counted apart
    if not any(r["worker_check"] for r in requests):
        return requests
    return [r for r in requests if not r["worker_check"] and r["path"] not in WORKER_IMPORTS]


def total(requests):
    """Return the bytes of a list of counted requests, without the background prefetch."""
    return sum(r["bytes"] for r in requests if not r.get("prefetch"))


def prefetched(requests):
    """Return the bytes fetched in the background once the app was ready."""
    return sum(r["bytes"] for r in requests if r.get("prefetch"))


def first_use_bytes(app, filename):
    """Return the bytes (compressed, headers included) of a script loaded on first use."""
    from pwa_app.web.pwa import asset

    with app.test_request_context():
        url = asset(filename)
    response = app.test_client().get(url, headers={"Accept-Encoding": "br, gzip"})
    headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    return len(response.status) + 11 + headers + len(response.get_data())
