"""Browser test fixtures: a live server and a Playwright page on Debian's Chromium.

Fixtures every feature can reuse (mark browser tests with `pytestmark = pytest.mark.browser`;
tests in this folder are marked automatically as well):

- `live_server` -> LiveServer(url=..., app=...): the app of the per-test `app` fixture (fresh
  migrated database) served by werkzeug on 127.0.0.1 on a free port, threaded, for this test
  only. `live_server.url_for("auth.login")` builds an absolute URL.
- `page` -> a Playwright sync `Page` in a fresh browser context (locale zh-CN, 1280x800,
  no cache shared between tests). The test FAILS when the page logs a console error or an
  uncaught exception, which includes every CSP violation ("Refused to ..." / "... violates
  the following Content Security Policy directive ..."). App responses
  with a 4xx status to a navigation or an htmx request are expected behaviour (422 form
  errors, 403/404 toasts) and are not counted; a 4xx for a static file and every 5xx are.
- `console_errors` -> the collector the page reports into; `console_errors.allow(regex)`
  tolerates a message a test provokes on purpose.
- `browser_user(role, ward="W01", **fields)` -> a committed User (password
  `tests.factories.PASSWORD`) ready to sign in through the real form.
- tests/browser/helpers.py: `sign_in(page, live_server, user_or_username, password=PASSWORD)`
  fills and submits the login form and waits for the signed-in page; `sign_out(page)`
  presses the header button and waits for the login form.
- `new_page()` -> another page in its own context (a second user), watched the same way.

Chromium is Debian's /usr/bin/chromium (`apt-get install -y chromium fonts-noto-cjk`;
never `playwright install`), one per test process, with the back/forward cache on as in
a real browser (Playwright turns it off by default). When it or the playwright package is missing the browser
tests skip with the reason, unless REQUIRE_BROWSER=1 (CI), where they fail.

The database: the test thread and the server thread share one database. While the live
server runs, the test thread's SQLite transactions start deferred, so its reads never
block the server; call `db.session.commit()` after writing, and before reading what the
browser changed (a SQLite transaction keeps the snapshot of its first read).
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, url_for
from werkzeug.serving import make_server

from portal import db as portal_db
from portal.extensions import db
from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER", "") not in ("", "0", "false", "no")
TIMEOUT_MS = 15_000
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    message = f"browser tests need {reason}"
    if REQUIRE_BROWSER:
        pytest.fail(f"{message} (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(f"{message}; install with `apt-get install -y chromium fonts-noto-cjk` "
                "and the dev extras (set REQUIRE_BROWSER=1 to make this a failure)")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process (each xdist worker has its own)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"Chromium at {CHROMIUM}")
    pw = sync_playwright().start()
    try:
        # Playwright turns the back/forward cache off; a real browser has it, and the
        # sign-out test must see that a signed-in page is not restored from it.
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      ignore_default_args=["--disable-back-forward-cache"],
                                      headless=True)
    except Exception as e:  # a broken install is as bad as a missing one
        pw.stop()
        _unavailable(f"a Chromium that starts ({type(e).__name__}: {e})")
    yield chromium
    chromium.close()
    pw.stop()


# -- the live server ---------------------------------------------------------------------------

@dataclass
class LiveServer:
    app: Flask
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return self.url + url_for(endpoint, **values)


@pytest.fixture
def live_server(app, monkeypatch):
    """Serve the per-test app on 127.0.0.1:<free port> in a thread until the test ends.

    Port 0 lets the kernel pick a free port, so xdist workers never collide. Each request
    runs in the server's own thread with its own app context and database session.
    On SQLite the test thread's transactions start deferred (a plain BEGIN) instead of
    BEGIN IMMEDIATE, so a test reading the database never holds the write lock the
    server needs.
    """
    test_thread = threading.current_thread()
    write_lock = portal_db.wants_write_lock

    def wants_write_lock() -> bool:
        return threading.current_thread() is not test_thread and write_lock()

    monkeypatch.setattr(portal_db, "wants_write_lock", wants_write_lock)
    db.session.commit()  # anything the test set up before asking for the server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, host="127.0.0.1", port=server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- console and CSP watch ---------------------------------------------------------------------

FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")
HTMX_STATUS = re.compile(r"Response Status Error Code (\d+) from")


@dataclass
class ConsoleErrors:
    """Errors a page reported; `problems()` leaves out expected app responses."""

    messages: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    responses: dict[str, tuple[int, str]] = field(default_factory=dict)  # url -> status, type
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def watch(self, page) -> None:
        def on_console(msg):
            if msg.type == "error":
                self.messages.append((msg.text, (msg.location or {}).get("url", "")))

        def on_response(response):
            if response.status >= 400:
                self.responses[response.url] = (response.status,
                                                response.request.resource_type)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.messages.append((f"uncaught: {exc}", page.url)))
        page.on("response", on_response)

    def _expected(self, text: str, url: str) -> bool:
        if any(p.search(text) for p in self.allowed):
            return True
        if m := FAILED_LOAD.search(text):
            status, kind = self.responses.get(url, (int(m.group(1)), "unknown"))
            return status < 500 and kind in ("document", "xhr", "fetch")
        if m := HTMX_STATUS.search(text):
            return int(m.group(1)) < 500
        return False

    def problems(self) -> list[str]:
        return [f"{text} ({url})" if url else text for text, url in self.messages
                if not self._expected(text, url)]


@pytest.fixture
def console_errors():
    return ConsoleErrors()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    collector = item.funcargs.get("console_errors") if hasattr(item, "funcargs") else None
    if collector is not None and (problems := collector.problems()):
        raise AssertionError("the browser reported errors (console, CSP or JavaScript):\n  "
                             + "\n  ".join(problems))
    return result


@pytest.fixture
def new_page(browser, console_errors, live_server):
    """new_page(**context_options) -> a Page in its own browser context, watched for errors."""
    contexts = []

    def _new_page(**options):
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai",
                   "viewport": {"width": 1280, "height": 800}, "base_url": live_server.url,
                   **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        pg = context.new_page()
        console_errors.watch(pg)
        return pg

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh page (zh-CN, 1280x800) whose base URL is the live server."""
    return new_page()


# -- users and signing in ----------------------------------------------------------------------

@pytest.fixture
def browser_user(app):
    """browser_user(role, ward="W01", **fields) -> a committed User with factories.PASSWORD."""

    def _make(role: str = "nurse", ward="default", **fields):
        db.session.commit()  # a fresh transaction: nothing stale from earlier reads
        if ward == "default":
            ward = "W01" if role in ("nurse", "head_nurse") else None
        user = factories.user(role=role, wards=ward, **fields)
        db.session.commit()
        return user

    return _make
