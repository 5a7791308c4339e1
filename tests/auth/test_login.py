"""Sign-in: one message for every failure, lockout counted in the database, fresh session,
cookie flags, audit entries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from tests import factories
from tests.auth.helpers import CHEAP_HASH, errors, post_login
from tests.factories import PASSWORD


@pytest.fixture
def app_config():
    return dict(CHEAP_HASH)


@pytest.fixture
def nina(app):
    user = factories.user("nurse", wards="W01", username="nina")
    db.session.commit()
    return user


def counter(user) -> tuple:
    """The failure counter as stored; ends the read so the other app's writes are not blocked
    (a transaction outside a request takes SQLite's write lock)."""
    db.session.expire_all()
    row = db.session.get(User, user.id)
    values = (row.failed_logins, row.locked_until)
    db.session.rollback()
    return values


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_page(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'name="username"' in body and 'name="password"' in body


def test_success_redirects_and_audits(client, nina):
    resp = post_login(client, "nina", PASSWORD)
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert client.get("/account/password").status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login.success"))
    assert entry.user_id == nina.id and entry.ip == "127.0.0.1"
    db.session.refresh(nina)
    assert nina.last_login_at is not None


def test_htmx_success_uses_hx_redirect(client, nina):
    resp = post_login(client, "nina", PASSWORD, htmx=True)
    assert resp.headers["HX-Redirect"] == "/"


def test_username_is_case_insensitive(client, nina):
    assert post_login(client, "NINA", PASSWORD).status_code == 303


def test_same_message_for_wrong_password_unknown_user_and_disabled(client, nina):
    factories.user("nurse", wards="W01", username="gone", active=False)
    db.session.commit()
    wrong = post_login(client, "nina", "not-the-password")
    unknown = post_login(client, "nobody", "not-the-password")
    disabled = post_login(client, "gone", PASSWORD)
    assert wrong.status_code == unknown.status_code == disabled.status_code == 422
    assert errors(wrong) == errors(unknown) == errors(disabled)
    assert errors(wrong) and "Wrong username or password" in errors(wrong)[0]
    assert client.get("/account/password").status_code != 200  # nobody signed in


def test_failures_are_audited_without_the_password(client, nina):
    post_login(client, "nina", "typed-secret-1")
    post_login(client, "ghost", "typed-secret-2")
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "login.failed").order_by(AuditEntry.id)).all()
    assert [e.detail["reason"] for e in entries] == ["password", "unknown"]
    assert entries[0].user_id == nina.id
    assert all("typed-secret" not in str(e.detail) for e in entries)


def test_unknown_user_failure_is_nobodys_even_when_signed_in(client, login):
    login("nurse")
    post_login(client, "ghost", "typed-secret-3")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login.failed"))
    assert entry.user_id is None and entry.username == ""


def test_next_only_to_this_site(client, nina):
    resp = client.post("/login?next=/account/password",
                       data={"username": "nina", "password": PASSWORD})
    assert resp.headers["Location"] == "/account/password"
    client.post("/logout")
    resp = client.post("/login?next=//evil.example/x",
                       data={"username": "nina", "password": PASSWORD})
    assert resp.headers["Location"] == "/"


def test_lockout_after_five_failures_counted_in_database(app, client, nina, database_uri,
                                                         app_config, monkeypatch):
    """Two app instances (two gunicorn workers) share the counter through the database."""
    from portal import create_app
    from tests.conftest import CsrfClient, base_config

    other = create_app({**base_config(database_uri), **app_config})
    other.test_client_class = CsrfClient
    clients = [client, other.test_client()]
    for i in range(4):
        assert post_login(clients[i % 2], "nina", "wrong-password-x").status_code == 422
    assert counter(nina) == (4, None)
    fifth = post_login(clients[1], "nina", "wrong-password-x")  # in the other worker
    assert fifth.status_code == 422
    failures, locked_until = counter(nina)
    assert failures == 0 and locked_until is not None
    assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15)
    assert "login.locked" in actions()
    db.session.rollback()

    # the right password is refused while locked, with the same message
    resp = post_login(client, "nina", PASSWORD)
    assert resp.status_code == 422 and "Wrong username or password" in errors(resp)[0]
    later = utcnow() + timedelta(minutes=14)
    monkeypatch.setattr("portal.auth.services.utcnow", lambda: later)
    assert post_login(client, "nina", PASSWORD).status_code == 422
    # after 15 minutes the account opens again
    later = utcnow() + timedelta(minutes=15, seconds=5)
    monkeypatch.setattr("portal.auth.services.utcnow", lambda: later)
    assert post_login(clients[1], "nina", PASSWORD).status_code == 303


def test_failures_older_than_the_window_do_not_count(client, nina, monkeypatch):
    for _ in range(4):
        post_login(client, "nina", "wrong-password-x")
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr("portal.auth.services.utcnow", lambda: later)
    for _ in range(4):
        post_login(client, "nina", "wrong-password-x")
    assert counter(nina) == (4, None)
    assert post_login(client, "nina", PASSWORD).status_code == 303


def test_success_resets_the_counter(client, nina):
    for _ in range(3):
        post_login(client, "nina", "wrong-password-x")
    post_login(client, "nina", PASSWORD)
    assert counter(nina) == (0, None)


def test_unlock_when_locked_until_is_past(client, nina):
    nina.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post_login(client, "nina", PASSWORD).status_code == 303


def test_fresh_session_at_sign_in(client, nina):
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
        sess["csrf_token"] = "0" * 40
        sess["lang"] = "en"
    post_login(client, "nina", PASSWORD)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != "0" * 40
        assert sess["_user_id"] == f"{nina.id}:{nina.session_version}"
        assert sess["lang"] == "en"  # the chosen language survives
        assert sess["auth_at"] and sess["seen_at"]


def test_session_cookie_flags(app, client, nina):
    cookie = post_login(client, "nina", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    client.post("/logout")
    app.config["SESSION_COOKIE_SECURE"] = True
    cookie = post_login(client, "nina", PASSWORD).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_out(client, nina):
    post_login(client, "nina", PASSWORD)
    resp = client.post("/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert "logout" in actions()
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
