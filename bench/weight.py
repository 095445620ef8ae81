"""Bytes a volunteer's phone downloads: a first load with an empty cache, and a repeat load.

Counted at the server, after compression, so the service worker's own requests are included.
"""

import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BUDGET_BYTES = 100 * 1024


@dataclass
class Meter:
    """Counts what the server sends: status line, headers and (compressed) body."""

    app: object
    requests: list = field(default_factory=list)

    def __call__(self, environ, start_response):
        record = {"path": environ["PATH_INFO"], "bytes": 0}
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
    """Log a volunteer in on a fresh phone, then come back: return (first, repeat) requests."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="th-TH", timezone_id="Asia/Bangkok",
        extra_http_headers={"Accept-Encoding": "br, gzip"},
    )
    page = context.new_page()
    meter.take()
    page.goto(f"{url}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; await window.PwaApp.ready; }")
    page.wait_for_load_state("networkidle")
    first = meter.take()
    page.goto(f"{url}/")
    page.evaluate("async () => { await window.PwaApp.ready; }")
    page.wait_for_load_state("networkidle")
    repeat = meter.take()
    browser.close()
    return first, repeat


def total(requests):
    """Return the bytes of a list of counted requests."""
    return sum(r["bytes"] for r in requests)
