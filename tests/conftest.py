"""Test fixtures: an app with a fresh, migrated database per test, a CSRF-sending client,
`login(role, ward=...)`, and factories (tests/factories.py).

The schema comes from the real migrations, applied once per test session to a template
database; each test gets a copy (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
PostgreSQL). Set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/postgres to run
the suite on PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
import shutil

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
if PG_URL.startswith("postgresql://"):
    PG_URL = "postgresql+psycopg://" + PG_URL.removeprefix("postgresql://")
_counter = itertools.count()


def base_config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "SQLALCHEMY_DATABASE_URI": uri,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }


def _migrate(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(uri))
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
        db.engine.dispose()


def _pg_admin():
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Migrate a template database once; yields how to make a fresh copy for a test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if PG_URL:
        name = f"careloop_tpl_{worker}_{os.getpid()}"
        admin = _pg_admin()
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            con.execute(text(f'CREATE DATABASE "{name}"'))
        _migrate(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        yield ("postgresql", name)
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        yield ("sqlite", str(path))


@pytest.fixture
def database_uri(template_db, tmp_path):
    kind, source = template_db
    if kind == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    name = f"careloop_t_{os.getpid()}_{next(_counter)}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app_config():
    """Override in a test module to change settings: return a dict."""
    return {}


@pytest.fixture
def app(database_uri, app_config, tmp_path):
    application = create_app({**base_config(database_uri), **app_config})
    application.test_client_class = CsrfClient
    application.instance_path = str(tmp_path / "instance")
    with application.app_context():
        # the limiter object is module-global: start every test with empty counters
        from portal.extensions import limiter

        limiter.reset()
        yield application
        db.session.remove()
        db.engine.dispose()


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token, as a browser with our pages would.

    - form posts get a `csrf_token` field (unless the data already has one or csrf=False);
    - `htmx=True` adds HX-Request and sends the token in the X-CSRFToken header, like hx-headers.
    """

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = os.urandom(20).hex()
            raw = sess["csrf_token"]
        serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, htmx: bool = False, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        headers = dict(kwargs.pop("headers", None) or {})
        if htmx:
            headers.setdefault("HX-Request", "true")
        builder_given = bool(args) and not isinstance(args[0], str)
        if csrf and method not in ("GET", "HEAD", "OPTIONS") and not builder_given:
            token = self.csrf_token()
            if htmx:
                headers.setdefault("X-CSRFToken", token)
            else:
                data = kwargs.get("data")
                if data is None:
                    kwargs["data"] = {"csrf_token": token}
                elif isinstance(data, dict) and "csrf_token" not in data:
                    kwargs["data"] = {**data, "csrf_token": token}
        kwargs["headers"] = headers
        _forget_previous_request()
        return super().open(*args, **kwargs)


def _forget_previous_request() -> None:
    """Start each request with an empty `g`, as in production.

    The `app` fixture keeps an app context pushed (tests use db.session directly), and Flask
    reuses it for the requests of every client, so `g` would carry the previous request's
    state into the next: Flask-Login's cached user (another client's!), htmx events...
    """
    from flask import g, has_app_context

    if has_app_context():
        g.__dict__.clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """login(role, ward="W01" | ["W01", "W02"] | None) -> the signed-in User.

    Signs in by writing the session Flask-Login would write (the password path itself is
    tested in tests/auth); quality, leader and admin get no ward unless one is given.
    """

    def _login(role: str, ward="default", **kwargs):
        if ward == "default":
            ward = "W01" if role in ("nurse", "head_nurse") else None
        user = factories.user(role=role, wards=ward, **kwargs)
        db.session.commit()
        sign_in_session(client, user)
        return user

    return _login


def sign_in_session(client, user) -> None:
    from portal.db import utcnow

    now = utcnow().timestamp()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["auth_at"] = now
        sess["seen_at"] = now


@pytest.fixture(autouse=True)
def summaries_match_base(request):
    """After every test that used the database, the dashboard's summary tables equal the
    base tables (portal/dashboard/summary_events.py keeps them current on every write)."""
    if "app" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app")  # set up first, so torn down after this check
    yield
    from portal.dashboard import summaries

    try:
        db.session.rollback()
        found = summaries.differences(db.session.connection())
        db.session.rollback()
    except Exception:  # noqa: BLE001  (a test that broke the connection on purpose)
        return
    assert not found, f"summary tables differ from the base tables: {found}"
