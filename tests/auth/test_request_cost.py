"""What every request pays for, kept small without weakening it: the session cookie is
re-sent only when the session changed; WTForms' catalogue is read once per language."""
from __future__ import annotations

from portal.db import utcnow
from tests.auth.helpers import errors, post_login

PROBE = "/account/password"


def _age_seen_at(client, seconds: float) -> None:
    with client.session_transaction() as sess:
        sess["seen_at"] = utcnow().timestamp() - seconds
        sess.permanent = True   # as start_session() makes it


def test_cookie_is_resent_only_when_the_session_changes(client, login):
    login("nurse")
    _age_seen_at(client, 0)
    assert client.get(PROBE).status_code == 200
    resp = client.get(PROBE)
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    # a minute idle: seen_at moves on, so the cookie (with its expiry) is sent again
    _age_seen_at(client, 60)
    resp = client.get(PROBE)
    assert "careloop_session=" in resp.headers.get("Set-Cookie", "")
    with client.session_transaction() as sess:
        assert utcnow().timestamp() - sess["seen_at"] < 5


def test_wtforms_messages_follow_each_requests_language(client):
    for _ in range(2):   # the cached catalogues do not leak from one language to the other
        zh = post_login(client, "", "x", headers={"Accept-Language": "zh-CN"})
        assert "该字段是必填字段。" in errors(zh)
        en = post_login(client, "", "x", headers={"Accept-Language": "en"})
        assert "This field is required." in errors(en)
