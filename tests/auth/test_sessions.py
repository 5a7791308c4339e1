"""Session lifetime and revocation, htmx redirects, CSRF on plain and htmx posts."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from tests import factories
from tests.auth.helpers import CHEAP_HASH, signed_out
from tests.conftest import sign_in_session
from tests.factories import PASSWORD

PROBE = "/account/password"  # any signed-in page
NEW_PASSWORD = "another-long-passphrase"


@pytest.fixture
def app_config():
    return dict(CHEAP_HASH)


@pytest.fixture
def second(app):
    """Another browser."""
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def set_times(client, *, idle_s=0, age_s=0):
    now = utcnow().timestamp()
    with client.session_transaction() as sess:
        sess["seen_at"] = now - idle_s
        sess["auth_at"] = now - age_s


@pytest.mark.parametrize("idle_min,age_h,expired", [
    (29, 1, False), (31, 1, True), (0, 11.9, False), (0, 12.01, True)])
def test_idle_and_absolute_timeouts(client, login, idle_min, age_h, expired):
    login("nurse")
    set_times(client, idle_s=idle_min * 60, age_s=age_h * 3600)
    resp = client.get(PROBE)
    assert signed_out(resp) is expired
    if expired:  # and the cookie no longer carries the sign-in
        with client.session_transaction() as sess:
            assert "_user_id" not in sess
        assert signed_out(client.get(PROBE))


def test_timeouts_are_configurable(app, client, login):
    app.config["SESSION_IDLE_MINUTES"] = 5
    login("nurse")
    set_times(client, idle_s=6 * 60)
    assert signed_out(client.get(PROBE))


def test_activity_keeps_the_session_alive(client, login):
    login("nurse")
    set_times(client, idle_s=20 * 60, age_s=3600)
    assert client.get(PROBE).status_code == 200
    with client.session_transaction() as sess:
        assert utcnow().timestamp() - sess["seen_at"] < 5


def test_sign_out_ends_the_other_sessions(client, second, login):
    user = login("nurse")
    sign_in_session(second, user)
    assert second.get(PROBE).status_code == 200
    client.post("/logout")
    assert signed_out(second.get(PROBE))


@pytest.mark.parametrize("change,ends", [
    ({"active": None}, True),
    ({"role": "head_nurse"}, True),
    ({"display_name": "Renamed"}, False),
])
def test_admin_changes_end_the_users_sessions(client, second, login, change, ends):
    from tests.admin.test_users import edit_data

    nurse = factories.user("nurse", wards="W01")
    db.session.commit()
    sign_in_session(second, nurse)
    assert second.get(PROBE).status_code == 200
    login("admin")
    resp = client.post(f"/admin/users/{nurse.id}", data=edit_data(nurse, **change))
    assert resp.status_code == 303
    assert signed_out(second.get(PROBE)) is ends


def test_password_reset_ends_the_users_sessions(client, second, login):
    nurse = factories.user("nurse", wards="W01")
    db.session.commit()
    sign_in_session(second, nurse)
    login("admin")
    client.post(f"/admin/users/{nurse.id}/password",
                data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert signed_out(second.get(PROBE))


def test_disabled_user_cannot_come_back_with_an_old_cookie(app, second):
    nurse = factories.user("nurse", wards="W01")
    db.session.commit()
    sign_in_session(second, nurse)
    nurse.active = False
    db.session.commit()
    assert signed_out(second.get(PROBE))


def test_change_own_password(client, second, login):
    user = login("nurse")
    sign_in_session(second, user)
    page = client.get(PROBE)
    assert page.status_code == 200 and b'id="password-form"' in page.data
    wrong = client.post(PROBE, htmx=True, data={"current": "not-it-at-all",
                                                "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and b"current password is not right" in wrong.data
    weak = client.post(PROBE, htmx=True, data={"current": PASSWORD, "password": "short",
                                               "confirm": "short"})
    assert weak.status_code == 422 and b"at least 12" in weak.data
    resp = client.post(PROBE, data={"current": PASSWORD, "password": NEW_PASSWORD,
                                    "confirm": NEW_PASSWORD})
    assert resp.status_code == 303
    assert client.get(PROBE).status_code == 200      # this browser stays signed in
    assert signed_out(second.get(PROBE))            # the other one is out
    db.session.expire_all()
    from portal.auth.passwords import verify_password

    assert verify_password(db.session.get(User, user.id).password_hash, NEW_PASSWORD)


def test_unauthenticated_htmx_request_gets_hx_redirect(client):
    resp = client.get(PROBE, htmx=True)
    assert resp.status_code == 401
    assert resp.headers["HX-Redirect"].startswith("/login")
    assert b"<form" not in resp.data
    page = client.get(PROBE)
    assert page.status_code == 303
    assert page.headers["Location"] == "/login?next=/account/password"


def test_csrf_refused_without_token_accepted_with_it(client, login):
    from portal.wards.models import Ward

    login("admin")
    data = {"code": "W50", "name": "试验病区"}
    assert client.post("/admin/wards/new", data=data, csrf=False).status_code == 400
    assert client.post("/admin/wards/new", data=data, htmx=True, csrf=False).status_code == 400
    bad = {"X-CSRFToken": "forged"}
    assert client.post("/admin/wards/new", data=data, htmx=True, csrf=False,
                       headers=bad).status_code == 400
    assert db.session.scalar(select(Ward).where(Ward.code == "W50")) is None
    assert client.post("/admin/wards/new", data=data, htmx=True).status_code == 204
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.post("/logout", htmx=True).headers["HX-Redirect"] == "/login"


def test_csrf_on_login_and_language_forms(client):
    assert client.post("/login", data={"username": "a", "password": "b"},
                       csrf=False).status_code == 400
    assert client.post("/language", data={"lang": "en"}, csrf=False).status_code == 400
