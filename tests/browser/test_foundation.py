"""The foundation in a real browser: sign in, language switch, sign out, htmx form errors,
a phone-sized screen and print. Every test also fails on a console error or CSP violation."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the page fixture skips (or fails with REQUIRE_BROWSER=1)
    PlaywrightTimeout = Exception

from portal.extensions import db
from tests.browser.helpers import sign_in, sign_out

pytestmark = pytest.mark.browser

SIGN_OUT = {"zh": "退出登录", "en": "Sign out"}


def logout_button(page):
    return page.locator("form.logout button[type=submit]")


def test_sign_in_lands_on_home(page, live_server, browser_user):
    user = browser_user("head_nurse", display_name="王护士长")
    sign_in(page, live_server, user)
    assert "/login" not in page.url
    assert page.locator("header .who").inner_text().startswith("王护士长")
    assert logout_button(page).inner_text() == SIGN_OUT["zh"]
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_language_switch_and_preference_survives_sign_out(page, live_server, browser_user):
    user = browser_user("nurse")
    sign_in(page, live_server, user)
    assert logout_button(page).inner_text() == SIGN_OUT["zh"]

    with page.expect_navigation():
        page.click("form.lang-switch button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert logout_button(page).inner_text() == SIGN_OUT["en"]
    db.session.commit()  # a new transaction sees what the server wrote
    assert user.language == "en"

    sign_out(page)
    # a fresh context (no session, browser still says zh-CN): the saved preference wins
    sign_in(page, live_server, user)
    assert page.locator("html").get_attribute("lang") == "en"
    assert logout_button(page).inner_text() == SIGN_OUT["en"]

    with page.expect_navigation():
        page.click("form.lang-switch button[value=zh]")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert logout_button(page).inner_text() == SIGN_OUT["zh"]


def test_sign_out_and_back_button_shows_no_cached_page(page, live_server, browser_user):
    user = browser_user("nurse", display_name="李护士")
    sign_in(page, live_server, user)
    signed_in_url = page.url
    assert "李护士" in page.content()

    sign_out(page)
    assert "/login" in page.url
    # (a page restored from the back/forward cache fires no "load": wait for the commit)
    page.go_back(wait_until="commit")
    try:  # no-store: the browser asks the server again, which sends it to the login page
        page.wait_for_selector("#login-form", timeout=5000)
    except PlaywrightTimeout:
        pass  # the assertions below say what was shown instead
    assert "李护士" not in page.content()
    assert page.locator("form.logout").count() == 0
    page.goto(signed_in_url)
    assert "/login" in page.url


def test_htmx_login_error_is_shown_beside_the_field(page, live_server, browser_user):
    user = browser_user("nurse")
    page.goto(live_server.url_for("auth.login"))
    page.wait_for_function("() => window.htmx !== undefined")
    page.fill("#username", user.username)
    page.fill("#password", "not-the-right-password")
    with page.expect_response(lambda r: "/login" in r.url and r.request.method == "POST") as info:
        page.click("#login-form button[type=submit]")
    response = info.value
    assert response.status == 422
    assert response.request.headers.get("hx-request") == "true"  # swapped, not a full page
    error = page.locator("#password-error")
    error.wait_for()
    assert "用户名或密码错误" in error.inner_text()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert page.locator("#login-form").count() == 1
    assert page.url.endswith("/login")
    # the swapped form still works: the right password signs in
    page.fill("#password", "correct-horse-battery-staple")
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    page.wait_for_selector("form.logout")


def _horizontal_overflow(page) -> int:
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth")


def test_phone_width_has_no_horizontal_overflow(new_page, live_server, browser_user):
    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    user = browser_user("head_nurse", display_name="一位名字很长的护士长用户")
    page.goto(live_server.url_for("auth.login"))
    assert _horizontal_overflow(page) <= 0
    sign_in(page, live_server, user)
    assert _horizontal_overflow(page) <= 0
    assert logout_button(page).is_visible()
    box = logout_button(page).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375


def test_print_hides_navigation(page, live_server, browser_user):
    user = browser_user("admin")
    sign_in(page, live_server, user)
    header_tools = page.locator(".header-tools")
    assert header_tools.is_visible()
    page.emulate_media(media="print")
    assert page.locator(".site-nav").count() == 0 or page.locator(".site-nav").is_hidden()
    assert header_tools.is_hidden()
    assert page.locator("footer .print-only").is_visible()
    page.emulate_media(media="screen")
    assert header_tools.is_visible()


def test_a_csp_violation_fails_the_test(page, live_server, console_errors):
    """The watch itself: an inline script is refused by the CSP and reported."""
    page.goto(live_server.url_for("auth.login"))
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = 1';
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    problems = console_errors.problems()
    csp = r"(Refused to execute|violates the following Content Security Policy)"
    assert any(re.search(csp, p) for p in problems), problems
    console_errors.allow(csp)
