"""Database errors answer honestly: unreachable before the change is stored -> 503 "cannot be
reached" (nothing saved, send again); unreachable after the COMMIT succeeded -> 503 "your
change was saved, do not send it again"; a failing COMMIT is never reported as saved."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from portal.audit import services as audit
from portal.auth.permissions import allow
from portal.extensions import db


def down():
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


@pytest.fixture
def routes(app):
    @app.route("/t/fails-before", methods=["POST"])
    @allow("nurse")
    def fails_before():
        audit.record("test.before")
        db.session.flush()
        down()

    @app.route("/t/fails-after", methods=["POST"])
    @allow("nurse")
    def fails_after():
        audit.record("test.after")
        db.session.commit()
        down()

    @app.route("/t/commit-fails", methods=["POST"])
    @allow("nurse")
    def commit_fails():
        audit.record("test.commit")

        @db.event.listens_for(db.engine, "commit", once=True)
        def _fail(conn):  # the COMMIT itself fails (the database went away meanwhile)
            down()

        db.session.commit()

    return app


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("url, saved", [("/t/fails-before", False), ("/t/fails-after", True),
                                        ("/t/commit-fails", False)])
def test_database_error_says_whether_the_change_was_saved(client, login, routes, url, saved, htmx):
    login("nurse")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    resp = client.post(url, htmx=htmx)
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    text = resp.headers.get("HX-Trigger", "") if htmx else resp.text
    assert ("Your change was saved" in text) is saved
    assert ("cannot be reached" in text) is (not saved)
    assert "Traceback" not in resp.text


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_deadlock_is_a_retryable_503_not_a_500(app, client, login):
    @app.route("/t/deadlock", methods=["POST"])
    @allow("nurse")
    def deadlock():
        audit.record("test.deadlock")
        db.session.flush()
        raise OperationalError("UPDATE ...", {}, _Deadlock("deadlock detected"))

    login("nurse")
    resp = client.post("/t/deadlock")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
    assert "本次未保存" in resp.get_data(as_text=True)  # "nothing was saved" (zh default)


def _drop_server_connections(app) -> None:
    """Close, on the server side, every connection the app's pool holds (as a restart does)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    other = create_engine(db.engine.url, poolclass=NullPool)
    with other.connect() as con:
        con.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        con.commit()
    other.dispose()


@pytest.fixture
def pg_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a server connection to lose: PostgreSQL (SQLite is a file)")


def test_idle_connection_closed_by_the_server_is_replaced_unnoticed(app, client, login, pg_only,
                                                                    monkeypatch):
    from portal import db as portal_db

    login("nurse")
    assert client.get("/followups/").status_code == 200   # the pool now holds a connection
    db.session.remove()
    _drop_server_connections(app)
    monkeypatch.setattr(portal_db, "PING_IDLE_SECONDS", 0.0)  # "idle long enough": tested
    assert client.get("/followups/").status_code == 200


def test_recently_used_connection_is_not_tested_and_a_lost_one_heals(app, client, login, pg_only):
    """No test on checkout (one round trip less per request): a connection the server closed
    just after its last use fails the request that takes it (a clean 503), and the pool
    replaces its connections, so the next request succeeds."""
    login("nurse")
    assert client.get("/followups/").status_code == 200
    db.session.remove()
    _drop_server_connections(app)
    resp = client.get("/followups/")
    assert resp.status_code == 503 and "Traceback" not in resp.text
    db.session.remove()
    assert client.get("/followups/").status_code == 200
