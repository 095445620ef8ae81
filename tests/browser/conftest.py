"""The browser suite: the real app served on loopback, driven in Debian's Chromium."""

import os
import threading

import pytest
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
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def launch_browser(playwright):
    """Return a function that launches a Chromium with extra flags, closed after the test."""
    launched = []

    def launch(*extra_args):
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + list(extra_args)
        )
        launched.append(chromium)
        return chromium

    yield launch
    for chromium in launched:
        chromium.close()


@pytest.fixture
def live_server(app):
    """Serve the app on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser):
    """Open a phone-sized page that records console errors and CSP violations."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="th-TH", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    yield page
    context.close()
