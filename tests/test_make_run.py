"""The steps of `make run` work from the command line: migrate a new SQLite database, load
demo data when it is empty (and only then), and tell the user which accounts exist."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.auth.demo import DEMO_PASSWORD, DEMO_USERS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def env(tmp_path):
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("PORTAL_", "FLASK_", "GUNICORN_")) and k != "REDIS_URL"}
    environ.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
                   SECRET_KEY="smoke-test-secret-key-0123456789abcdef", PYTHONPATH=str(ROOT))
    return environ


def test_upgrade_and_demo_data_are_idempotent(env):
    first = flask("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    loaded = flask("demo-data", "--if-empty", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert DEMO_PASSWORD in loaded.stdout
    for username, role, wards in DEMO_USERS:
        line = next((ln for ln in loaded.stdout.splitlines() if ln.split()[:1] == [username]),
                    None)
        assert line is not None, f"{username} missing from:\n{loaded.stdout}"
        assert role in line and all(code in line for code in wards)

    again = flask("db", "upgrade", env=env)
    assert again.returncode == 0, again.stderr
    skipped = flask("demo-data", "--if-empty", env=env)
    assert skipped.returncode == 0, skipped.stderr
    assert "already has data" in skipped.stdout
    assert DEMO_PASSWORD not in skipped.stdout


def test_check_deploy_refuses_a_development_setup(env):
    env = {**env, "SECRET_KEY": "dev"}
    result = flask("check-deploy", env=env)
    assert result.returncode == 1
    assert "PROBLEM: SECRET_KEY is a well-known default" in result.stdout
    assert "SESSION_COOKIE_SECURE" in result.stdout
