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
