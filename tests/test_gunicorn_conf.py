"""gunicorn.conf.py: worker count, an access log without query strings or personal data,
the app's start-up messages visible, and database connections dropped after fork."""
from __future__ import annotations

import logging
import runpy
import sys
import types
from pathlib import Path

import pytest

from portal import create_app, deploy
from tests.conftest import base_config

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


@pytest.fixture
def run_conf(monkeypatch):
    """Evaluate gunicorn.conf.py as gunicorn does (a function, so a test can change the
    environment first)."""
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.delenv("GUNICORN_PROFILE_DIR", raising=False)
    logger = logging.getLogger("portal")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        yield lambda: runpy.run_path(str(CONF))
    finally:  # leave the "portal" logger as pytest's log capture expects it
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture
def conf(run_conf):
    return run_conf()


def test_workers_threads_and_timeouts(conf):
    assert conf["workers"] == deploy.worker_count() == 3
    assert conf["worker_class"] == "gthread" and conf["threads"] >= 1
    assert 0 < conf["timeout"] <= 120 and conf["graceful_timeout"] > 0
    assert conf["bind"].startswith("127.0.0.1:")


def test_access_log_has_no_query_string_or_personal_data(conf):
    fmt = conf["access_log_format"]
    assert "%(U)s" in fmt  # the path alone
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "%(u)s", "{cookie}", "{"):
        assert atom not in fmt


def test_portal_messages_are_logged_at_info(conf):
    logger = logging.getLogger("portal")
    assert logger.getEffectiveLevel() == logging.INFO
    assert logger.handlers


def test_start_up_says_rate_limits_fall_back_to_memory(app, caplog, monkeypatch):
    # alembic's fileConfig() in migrations/env.py disables loggers that exist when the
    # template database is migrated; a server process never runs migrations
    monkeypatch.setattr(logging.getLogger("portal"), "disabled", False)
    caplog.set_level(logging.INFO, logger="portal")
    create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"]),
                "RATELIMIT_STORAGE_URI": None, "REDIS_URL": None})
    assert "rate limits are kept per process in memory" in caplog.text


def test_post_fork_disposes_the_engine(conf, app, monkeypatch):
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        db.session.execute(db.text("SELECT 1"))
        db.session.commit()
        assert engine.pool.checkedin() >= 1
    monkeypatch.setitem(sys.modules, "wsgi", types.SimpleNamespace(app=app))
    conf["post_fork"](server=None, worker=None)
    assert engine.pool.checkedin() == 0


def test_profiling_hooks_only_when_asked(conf, monkeypatch, tmp_path):
    import pstats

    assert "pre_request" not in conf and "worker_exit" not in conf
    monkeypatch.setenv("GUNICORN_PROFILE_DIR", str(tmp_path))
    monkeypatch.setenv("GUNICORN_PROFILE_PATH", r"/attempts$")
    conf = runpy.run_path(str(CONF))  # the fixture restores the logger afterwards
    for path in ("/followups/tasks/1/attempts", "/followups/"):
        req = types.SimpleNamespace(path=path)
        conf["pre_request"](None, req)
        sorted(range(1000), key=lambda x: -x)
        conf["post_request"](None, req, {}, None)
    conf["worker_exit"](None, None)
    (written,) = tmp_path.glob("worker-*.prof")
    assert pstats.Stats(str(written)).total_calls > 0


def test_workers_leave_the_loaded_app_to_the_garbage_collector_frozen(conf):
    import gc

    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("database_url", "threads"), [
    (None, 1),                                              # the embedded SQLite default
    ("sqlite:////srv/careloop/careloop.sqlite3", 1),
    ("postgresql+psycopg://careloop@db.hospital.local/careloop", 4),
])
def test_threads_follow_the_database(monkeypatch, run_conf, database_url, threads):
    # SQLite runs inside the worker and has one writer: threads would only wait on its lock
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    if database_url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", database_url)
    assert deploy.thread_count() == threads
    assert run_conf()["threads"] == threads


def test_threads_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/careloop/careloop.sqlite3")
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    assert deploy.thread_count() == 3
    monkeypatch.setenv("GUNICORN_THREADS", "0")
    assert deploy.thread_count() == 1
