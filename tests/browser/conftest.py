"""The browser suite: the real app served on loopback, driven in Debian's Chromium."""

import os
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every wait in this suite waits for a sign from the app (a page, an element, an attribute
# the outbox sets), never for a stretch of time. This ceiling only ends a hang: on a busy
# machine the suite gets slower, not red.
HANG_MS = 90_000
expect.set_options(timeout=HANG_MS)


def new_context(browser, **options):
    """Open a browser context whose waits give up only on a hang."""
    context = browser.new_context(**options)
    context.set_default_timeout(HANG_MS)
    return context


def pytest_collection_modifyitems(items):
    """Mark everything under tests/browser as a browser test.

    When Chromium drops a connection mid-download, the development server in the test thread
    leaves a static file for the garbage collector; that warning is about the test server, not
    the app, so browser tests do not turn it into an error.
    """
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )


@pytest.fixture(scope="session")
def playwright():
    """Start Playwright once; a missing Chromium fails the run instead of skipping it."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright):
    """Launch headless Chromium once for the suite."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=HANG_MS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def launch_browser(playwright):
    """Return a function that launches a Chromium with extra flags, closed after the test."""
    launched = []

    def launch(*extra_args):
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS + list(extra_args),
            timeout=HANG_MS,
        )
        launched.append(chromium)
        return chromium

    yield launch
    for chromium in launched:
        chromium.close()


class InFlight:
    """A WSGI wrapper that answers each request whole and counts those being answered.

    Werkzeug's development server skips closing an answer when the browser drops the
    connection at the wrong moment (the service worker's background fetches, cut short by a
    navigation): Flask's teardown then never runs and the request's transaction, with
    SQLite's write lock, stays open, so the next test's first write finds the database
    locked. Here the answer is read whole and closed before it is handed over, and stopping
    the server waits until no request is being answered.
    """

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.count += 1
        try:
            answer = self.app(environ, start_response)
            try:
                return list(answer)
            finally:
                if hasattr(answer, "close"):
                    answer.close()
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait_until_idle(self, seconds):
        """Wait until no request is being answered (at most `seconds`)."""
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout=seconds)


class LiveServer:
    """The app served on a loopback port that a test can stop and start again."""

    def __init__(self, app, port=0):
        self.app = app
        self.port = port
        self.server = None
        self.thread = None
        self.in_flight = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wsgi=None):
        """Serve (again) on the same port, optionally through a WSGI wrapper."""
        self.in_flight = InFlight(wsgi or self.app)
        self.server = make_server("127.0.0.1", self.port, self.in_flight, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        """Stop answering: the port refuses connections until start()."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.in_flight.wait_until_idle(HANG_MS / 1000)
            self.server = None


@pytest.fixture
def live(app):
    """Serve the app on a free loopback port for the length of one test."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(live):
    """The base URL of the app served for this test."""
    return live.url


@pytest.fixture
def page(browser):
    """Open a phone-sized page that records console errors and CSP violations."""
    context = new_context(
        browser,
        viewport={"width": 360, "height": 740},
        locale="th-TH",
        timezone_id="Asia/Bangkok",
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    yield page
    context.close()
