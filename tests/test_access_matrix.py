"""Role x endpoint matrix over EVERY route of the app.

Each feature declares in tests/<feature>/access.py which roles may open its endpoints
(EXPECTED; {"public"} for no sign-in) and the URL arguments to build them (URL_ARGS). This
test checks that the tables cover every endpoint exactly once, then requests each endpoint
as each role (GET, or the route's own method with a CSRF token):

- a role not in the table gets 403; anonymous gets sent to /login (unless public);
- a role in the table never gets 403 (404 for an object that does not exist is fine), nor 500.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from portal import create_app
from portal.extensions import db
from tests import factories
from tests.conftest import base_config, sign_in_session

ROLES = ("nurse", "head_nurse", "quality", "leader", "admin")
PUBLIC = "public"


def load_tables() -> tuple[dict[str, set], dict[str, dict], dict[str, list[str]]]:
    expected, url_args, owners = {}, {}, {}
    tests_dir = Path(__file__).parent
    for info in pkgutil.iter_modules([str(tests_dir)]):
        if not info.ispkg or not (tests_dir / info.name / "access.py").exists():
            continue
        module = importlib.import_module(f"tests.{info.name}.access")
        for endpoint, roles in module.EXPECTED.items():
            owners.setdefault(endpoint, []).append(info.name)
            expected[endpoint] = set(roles)
        url_args.update(getattr(module, "URL_ARGS", {}))
    return expected, url_args, owners


EXPECTED, URL_ARGS, OWNERS = load_tables()


def app_endpoints() -> dict[str, str]:
    """endpoint -> the method to use, from a throwaway app (no database needed)."""
    app = create_app(base_config("sqlite://"))
    result = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        result[rule.endpoint] = "GET" if "GET" in methods else methods[0]
    return result


ENDPOINTS = app_endpoints()


def test_every_endpoint_is_in_exactly_one_table():
    missing = sorted(set(ENDPOINTS) - set(EXPECTED))
    assert not missing, f"endpoints without an access table entry: {missing}"
    stale = sorted(set(EXPECTED) - set(ENDPOINTS))
    assert not stale, f"access tables name endpoints that do not exist: {stale}"
    doubled = {e: o for e, o in OWNERS.items() if len(o) > 1}
    assert not doubled, f"endpoints in more than one table: {doubled}"
    for endpoint, roles in EXPECTED.items():
        assert roles and roles <= set(ROLES) | {PUBLIC}, endpoint
        assert PUBLIC not in roles or roles == {PUBLIC}, endpoint


@pytest.fixture
def role_clients(app):
    """One signed-in client per role (plus anonymous), ward W01 for the ward roles."""
    clients = {"anonymous": app.test_client()}
    for role in ROLES:
        user = factories.user(role, wards="W01" if role in ("nurse", "head_nurse") else None)
        db.session.commit()
        client = app.test_client()
        sign_in_session(client, user)
        clients[role] = client
    return clients


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_role_matrix(app, role_clients, endpoint):
    from flask import url_for

    allowed = EXPECTED.get(endpoint)
    if allowed is None:
        pytest.fail(f"{endpoint} has no access table entry")
    method = ENDPOINTS[endpoint]
    with app.test_request_context():
        url = url_for(endpoint, **URL_ARGS.get(endpoint, {}))
    problems = []
    for who, client in role_clients.items():
        resp = client.open(url, method=method)
        status, location = resp.status_code, resp.headers.get("Location", "")
        if PUBLIC in allowed:
            ok = status != 403 and "/login" not in location or endpoint == "auth.login"
            ok = ok and status < 500
        elif who == "anonymous":
            ok = status in (302, 303) and location.startswith("/login")
        elif who in allowed:
            ok = status not in (403, 500)
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{who}: {method} {url} -> {status} {location}")
    assert not problems, "\n".join(problems)
