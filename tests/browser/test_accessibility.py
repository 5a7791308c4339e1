"""axe-core on every main page, both languages, at 375 px and 1280 px: no serious or
critical violations (and, through the page fixture, no CSP or console error).

Pages: the login page signed out; for each role its landing page, every navigation entry
it has, and its password page. New pages join by being in the navigation.
"""
from __future__ import annotations

import pytest

from tests.browser.a11y import assert_accessible, violations
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser

LOCALES = {"zh": "zh-CN", "en": "en-US"}
WIDTHS = (375, 1280)
ROLES = ("nurse", "head_nurse", "quality", "leader", "admin")


def _check(page, url: str, failures: list[str]) -> None:
    from tests.browser.a11y import describe

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found = violations(page)
        if found:
            failures.append(f"{url} at {width}px:\n{describe(found)}")


@pytest.mark.parametrize("lang", list(LOCALES))
def test_login_page_is_accessible(new_page, live_server, lang):
    page = new_page(locale=LOCALES[lang])
    failures: list[str] = []
    _check(page, live_server.url_for("auth.login"), failures)
    assert not failures, "\n".join(failures)
    # a failed sign-in shows its error: still accessible
    page.fill("#username", "nobody")
    page.fill("#password", "wrong-password-123")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-form [role=alert], #login-form .error, #login-form .errors",
                           timeout=5000)
    assert_accessible(page, "login form with an error")


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_is_accessible(new_page, live_server, browser_user, role, lang):
    page = new_page(locale=LOCALES[lang])
    user = browser_user(role)
    sign_in(page, live_server, user)
    assert page.locator("html").get_attribute("lang").startswith(lang)
    urls = [page.url]
    for href in page.locator("nav.site-nav a").evaluate_all("links => links.map(a => a.href)"):
        if href not in urls:
            urls.append(href)
    urls.append(live_server.url_for("auth.change_password"))
    failures: list[str] = []
    for url in urls:
        _check(page, url, failures)
    assert not failures, "\n".join(failures)
