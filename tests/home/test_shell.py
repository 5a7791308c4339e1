"""The page shell (templates/base.html) with its shortcuts — the header built once per role,
language and script root (nav.site_header), messages looked up once per language
(templating.jinja_gettext), argument-less URLs built once (templating.cached_url_for) — is
the shell the plain mechanisms render, for every role in both languages; and what it shows
depends on the role and the page."""
import re

import pytest
from flask import url_for

from portal import templating
from portal.auth.models import ROLES
from portal.extensions import db
from portal.nav import ROLE_HOME
from tests import factories
from tests.conftest import sign_in_session

XSS = '<script>alert("x")</script>'


def _normalised(text: str) -> str:
    # CSRF tokens are signed with a timestamp and the footer's "printed at" minute ticks
    text = re.sub(r'<span class="print-only">[^<]*</span>', "", text)
    text = re.sub(r'name="csrf_token"( type="hidden")? value="[^"]*"', 'name="csrf_token"', text)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)


def _pages(app, users, fresh: bool = False) -> list[str]:
    """Each user's home, password page and a 404 in zh and en, signed out too (users
    interleaved, so a cache keyed too coarsely shows one role another's header); `fresh`:
    every header built anew."""
    with app.test_request_context():
        homes = {role: url_for(endpoint) for role, endpoint in ROLE_HOME.items()}
    pages = []
    for lang in ("zh-CN", "en"):
        for user in users:
            client = app.test_client()
            if user is None:
                urls = ["/login", "/nope"]
            else:
                sign_in_session(client, user)
                urls = [homes[user.role], "/account/password?a=1&b=%3Cx%3E", "/nope"]
            for url in urls:
                if fresh:
                    app.extensions.pop("site_headers", None)
                r = client.get(url, headers={"Accept-Language": lang})
                pages.append(f"{lang} {user and user.role} {url} {r.status_code}\n"
                             + _normalised(r.text))
    return pages


@pytest.fixture
def users():
    made = [None] + [factories.user(role, wards="W01" if role in ("nurse", "head_nurse") else None,
                                    display_name=f"{role} {XSS}") for role in ROLES]
    db.session.commit()
    return made


def test_shell_same_as_plain_rendering(app, users, monkeypatch):
    fast = _pages(app, users)
    again = _pages(app, users)  # from the caches the first pass filled
    monkeypatch.setattr(templating, "jinja_gettext", lambda locale: app.jinja_env.globals["gettext"])
    monkeypatch.setattr(templating, "cached_url_for", lambda script_root: url_for)
    plain = _pages(app, users, fresh=True)
    assert fast == again == plain
    assert XSS not in "".join(fast)


def _nav_html(text: str) -> str:
    return text.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]


def _nav(text: str) -> list[str]:
    return re.findall(r'<li><a href="([^"]+)"', _nav_html(text))


def test_shell_follows_role_and_page(client, login):
    nurse = login("nurse")
    text = client.get("/account/password?next=%3Cx%3E", headers={"Accept-Language": "en"}).text
    assert _nav(text)[0] == "/followups/" and "/admin/users" not in _nav(text)
    assert 'class="complaints-badge"' in text
    assert f'<span class="who">{nurse.display_name} · Nurse</span>' in text
    assert 'name="next" value="/account/password?next=%3Cx%3E"' in text
    assert '<button type="submit" name="lang" value="zh" lang="zh-CN">中文</button>' in text
    assert 'aria-current' not in text  # the password page is not in the navigation
    worklist = client.get("/followups/", headers={"Accept-Language": "en"}).text
    assert '<a href="/followups/" aria-current="page">' in worklist
    assert _nav_html(worklist).count("aria-current") == 1

    login("admin")
    text = client.get("/account/password", headers={"Accept-Language": "zh-CN"}).text
    assert "/admin/users" in _nav(text) and "/followups/" not in _nav(text)
    assert 'class="complaints-badge"' not in text
    assert "· 系统管理员</span>" in text and '<html lang="zh-CN">' in text

    client.post("/logout")
    text = client.get("/login").text
    assert 'class="site-nav"' not in text and 'class="who"' not in text
    assert 'class="complaints-badge"' not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dt_filter_writes_what_babel_writes(app, lang):
    from datetime import UTC, datetime

    from flask_babel import force_locale, format_datetime

    values = [datetime(2026, 1, 1, 15, 59, 59, tzinfo=UTC), datetime(2026, 6, 30, 16, 0),
              datetime(1999, 12, 31, 23, 30, tzinfo=UTC)]  # naive: UTC, as Flask-Babel takes it
    with app.test_request_context(), force_locale(lang):
        dt = app.jinja_env.filters["dt"]
        for fmt in ("yyyy-MM-dd HH:mm", "MM-dd HH:mm", "HH:mm", "yyyy-MM-dd"):
            assert [dt(v, fmt) for v in values] == [format_datetime(v, fmt) for v in values]
        assert dt(values[0]) == "2026-01-01 23:59" and dt(None) == ""
        assert dt(values[0], "HH:mm") == "23:59"
