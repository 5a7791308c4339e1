"""Helpers for browser tests: sign in through the real form, sign out."""
from __future__ import annotations

from portal.extensions import db
from tests import factories

try:
    from playwright.sync_api import expect  # noqa: F401 - for the tests: one guarded import
except ImportError:  # the page fixture skips (or fails with REQUIRE_BROWSER=1)
    expect = None


def sign_in(page, live_server, user, password: str = factories.PASSWORD) -> None:
    """Sign in through the real login form and wait until the signed-in page is shown."""
    username = user if isinstance(user, str) else user.username
    db.session.commit()  # end the test thread's transaction before the server works
    page.goto(live_server.url_for("auth.login"))
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    page.wait_for_selector("form.logout")


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click("form.logout button[type=submit]")
    page.wait_for_selector("#login-form")
