"""`flask check-deploy`: every unsafe production setting is reported and exits non-zero."""
from __future__ import annotations

from pathlib import Path

import pytest

from portal import deploy

SAFE = {
    "TESTING": False,
    "SECRET_KEY": "f3b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1",
    "SESSION_COOKIE_SECURE": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
}


@pytest.fixture
def app_config():
    return dict(SAFE)


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    for name in ("FLASK_DEBUG", "GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GUNICORN_WORKERS", "4")


def test_safe_settings_pass(app, runner):
    assert deploy.problems(app) == []
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "No problems found." in result.output


@pytest.mark.parametrize("change, expected", [
    ({"DEBUG": True}, "Debug mode is on"),
    ({"TESTING": True}, "TESTING is on"),
    ({"SECRET_KEY": "short-key-123"}, "shorter than 32"),
    ({"SECRET_KEY": "changeme"}, "well-known default"),
    ({"SECRET_KEY": "test-secret-key-0123456789abcdef0123456789"}, "well-known default"),
    ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "Set REDIS_URL"),
])
def test_each_unsafe_setting_is_reported(app, runner, change, expected):
    app.config.update(change)
    app.debug = bool(change.get("DEBUG"))
    found = deploy.problems(app)
    assert len(found) == 1 and expected in found[0], found
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1
    assert f"PROBLEM: {found[0]}" in result.output
    assert "1 problem(s)" in result.output


def test_debug_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert any("Debug mode" in p for p in deploy.problems(app))


def test_missing_secret_key(app):
    app.config["SECRET_KEY"] = None
    assert "SECRET_KEY is not set" in deploy.problems(app)[0]


def test_development_key_from_the_instance_folder(app):
    key_file = Path(app.instance_path) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text("a" * 64)
    app.config["SECRET_KEY"] = "a" * 64
    assert "instance/secret_key" in deploy.problems(app)[0]


def test_sqlite_on_more_than_one_host(app):
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////var/lib/careloop/careloop.sqlite3"
    assert deploy.problems(app) == []  # one host: SQLite is allowed
    app.config["MULTI_HOST"] = True
    found = deploy.problems(app)
    assert len(found) == 1 and "SQLite" in found[0]
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://careloop@db/careloop"
    assert deploy.problems(app) == []


def test_memory_rate_limits_are_fine_with_one_worker(app, monkeypatch):
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    assert deploy.problems(app) == []
    app.config["MULTI_HOST"] = True
    assert any("REDIS_URL" in p for p in deploy.problems(app))


def test_worker_count(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert deploy.worker_count() == 3
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert 1 <= deploy.worker_count() <= 8


def test_several_problems_are_all_listed(app, runner):
    app.config.update(SECRET_KEY="dev", SESSION_COOKIE_SECURE=False,
                      RATELIMIT_STORAGE_URI="memory://")
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1
    assert result.output.count("PROBLEM:") == 3
    assert "3 problem(s)" in result.output
