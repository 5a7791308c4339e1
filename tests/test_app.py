"""App-wide behaviour: health check, headers, errors, htmx conventions."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from portal.extensions import db


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable():
    from portal import create_app
    from tests.conftest import base_config

    down = create_app(base_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    resp = down.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": "unavailable"}


def test_pages_say_503_when_database_unreachable():
    from portal import create_app
    from tests.conftest import base_config

    down = create_app(base_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    client = down.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1:1"
        sess["auth_at"] = sess["seen_at"] = 9e9
    resp = client.get("/")
    assert resp.status_code == 503
    assert b"Traceback" not in resp.data


def test_security_headers_on_every_response(client):
    for url in ("/login", "/healthz", "/nowhere", "/static/css/app.css"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                     "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert part in csp, (url, part)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(client, login):
    login("admin")
    resp = client.get("/account/password")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in resp.headers.get("Vary", "")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    resp = client.get("/login", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_404_page_and_htmx_toast(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert b"<html" in page.data
    frag = client.get("/no/such/page", htmx=True)
    assert frag.status_code == 404
    assert b"<html" not in frag.data
    assert "toast" in frag.headers["HX-Trigger"]
    assert frag.headers["HX-Reswap"] == "none"


def test_405_for_get_on_post_only_route(client):
    resp = client.get("/logout")
    assert resp.status_code == 405


def test_500_rolls_back_and_hides_traceback(app, client):
    from portal.auth.permissions import PUBLIC, allow

    @app.route("/boom", methods=["POST"])
    @allow(PUBLIC)
    def boom():
        db.session.execute(text("INSERT INTO wards (code, name, name_en, active, version, "
                                "created_at, updated_at) VALUES ('ZZ', 'z', 'z', true, 1, "
                                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        raise RuntimeError("secret detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.post("/boom")
    assert resp.status_code == 500
    assert b"secret detail" not in resp.data and b"Traceback" not in resp.data
    assert db.session.execute(text("SELECT count(*) FROM wards WHERE code='ZZ'")).scalar() == 0


def test_route_without_declaration_is_refused(app, client):
    @app.route("/undeclared")
    def undeclared():
        return "should not be reachable"

    assert client.get("/undeclared").status_code == 403


def test_vendored_htmx_and_config_meta(client):
    page = client.get("/login").get_data(as_text=True)
    assert "vendor/htmx-2.0.11.min.js" in page
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page
    assert '"code": "422", "swap": true' in page
    assert "<script>" not in page and "style=" not in page
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


@pytest.mark.parametrize("accept,expected", [("en-GB,en;q=0.9", "Sign in"),
                                             ("zh-CN,zh;q=0.9", "登录")])
def test_language_from_accept_language(client, accept, expected):
    resp = client.get("/login", headers={"Accept-Language": accept})
    assert expected in resp.get_data(as_text=True)


def test_nul_bytes_in_a_form_are_refused_with_400(client, login):
    login("nurse")
    resp = client.post("/language", data={"lang": "en\x00", "next": "/"})
    assert resp.status_code == 400
    assert "NUL" in resp.get_data(as_text=True)
