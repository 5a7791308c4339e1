"""Configuration: defaults, then instance/config.py, then environment, then a test mapping.

Environment variables: SECRET_KEY, DATABASE_URL, REDIS_URL, and any PORTAL_<NAME>
(e.g. PORTAL_SESSION_IDLE_MINUTES=20) which overrides the setting <NAME>.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

DEFAULTS: dict = {
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # default: sqlite under instance/
    # no pool_pre_ping: portal/db.py tests only connections that sat idle (one round trip less)
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "REDIS_URL": None,
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ("zh", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "careloop_session",
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    # Flask re-signs and re-sends a permanent session's cookie on every response unless this
    # is off; the idle limit is kept server-side (auth/services.session_expired), which
    # rewrites `seen_at`, and so the cookie, at most every 30 s of activity.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_RATE_LIMIT": "20 per minute",
    "PASSWORD_HASH_METHOD": "scrypt:131072:8:1",
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "RATELIMIT_HEADERS_ENABLED": True,
    # a moving window: no double burst across a window boundary (and no flaky tests at :59)
    "RATELIMIT_STRATEGY": "moving-window",
    "PAGE_SIZE": 50,
    "TRUST_PROXY_HOPS": 0,  # reverse proxies in front (nginx: 1) -> ProxyFix
    "MULTI_HOST": False,  # the portal runs on more than one host (check-deploy)
    "PG_DUMP": "pg_dump",
    "PG_RESTORE": "pg_restore",
}


def _coerce(raw: str, current):
    """Interpret an environment string like the default it replaces."""
    if isinstance(current, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, (dict, list, tuple)):
        return json.loads(raw)
    return raw


def load(app, test_config: dict | None = None) -> None:
    """Fill app.config from the four layers, in order."""
    app.config.from_mapping(DEFAULTS)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)

    env = os.environ
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    if env.get("REDIS_URL"):
        app.config["REDIS_URL"] = env["REDIS_URL"]
    for key, raw in env.items():
        if key.startswith("PORTAL_"):
            name = key.removeprefix("PORTAL_")
            app.config[name] = _coerce(raw, app.config.get(name, ""))
    if test_config:
        app.config.from_mapping(test_config)

    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'careloop.sqlite3'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):  # psycopg 3 is the driver we ship
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or (
        app.config["REDIS_URL"] or "memory://"
    )


def _instance_secret(instance: Path) -> str:
    """A random key kept in instance/ so a development install needs no setup.

    `flask check-deploy` reports it: production sets SECRET_KEY explicitly.
    """
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
