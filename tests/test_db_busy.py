"""SQLite's write lock: a request that cannot get it within the busy timeout is refused with
a clean 503 and Retry-After (page or htmx toast), nothing half-saved; the same click once
the lock is free is recorded once. Read-only requests never wait for the lock."""
from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal import db as portal_db
from portal.extensions import db

WORKLIST = "/followups/"


@pytest.fixture
def held_lock(app, monkeypatch):
    """Another process holds SQLite's write lock; our connections wait only 200 ms."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr(portal_db, "BUSY_TIMEOUT_MS", 200)
    db.session.remove()
    db.engine.dispose()
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database,
                             isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = []

    def release():
        holder.execute("ROLLBACK")
        holder.close()
        released.append(True)

    yield release
    if not released:
        release()


def task_id() -> int:
    from tests.followups import factories as ff

    tid = ff.task("W01").id
    db.session.commit()
    return tid


@pytest.fixture
def signed_in(app, client, login):
    tid = task_id()
    login("nurse", ward="W01")
    client.get(WORKLIST)  # session and CSRF token settled before the lock is taken
    db.session.commit()
    return tid


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_write_that_cannot_get_the_lock_is_a_clean_503(client, signed_in, held_lock, htmx):
    from portal.followups.models import CallAttempt

    key = uuid.uuid4().hex
    url = f"/followups/tasks/{signed_in}/attempts"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    resp = client.post(url, data={"outcome": "no_answer", "key": key}, htmx=htmx)
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "2"
    assert b"Traceback" not in resp.data
    message = "nothing was saved. Please try again."
    if htmx:
        assert message in resp.headers["HX-Trigger"] and resp.headers["HX-Reswap"] == "none"
    else:
        assert message in resp.text
    held_lock()
    again = client.post(url, data={"outcome": "no_answer", "key": key}, htmx=htmx)
    assert again.status_code in (200, 303)
    db.session.rollback()
    assert db.session.scalar(select(func.count(CallAttempt.id))
                             .where(CallAttempt.idempotency_key == key)) == 1


def test_reads_do_not_wait_for_the_write_lock(client, signed_in, held_lock):
    assert client.get(WORKLIST).status_code == 200


def test_writer_gets_the_lock_once_it_is_released(app, client, signed_in, held_lock, monkeypatch):
    """The writer keeps trying in short turns: released while it waits, the call is saved."""
    import threading

    from portal.followups.models import CallAttempt

    monkeypatch.setattr(portal_db, "BUSY_TIMEOUT_MS", 60000)
    db.session.remove()
    db.engine.dispose()
    tries = []
    real = portal_db._begin_immediate

    def counting(dbapi_connection):
        tries.append(1)
        if len(tries) == 1:  # let the holder go only once the writer is waiting
            threading.Timer(0.3, held_lock).start()
        return real(dbapi_connection)

    monkeypatch.setattr(portal_db, "_begin_immediate", counting)
    key = uuid.uuid4().hex
    resp = client.post(f"/followups/tasks/{signed_in}/attempts",
                       data={"outcome": "no_answer", "key": key}, htmx=True)
    assert resp.status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(func.count(CallAttempt.id))
                             .where(CallAttempt.idempotency_key == key)) == 1


def test_refused_write_does_not_wait_for_the_lock(client, signed_in, held_lock):
    """The user is loaded without the write lock: a post the role may not make is answered
    (403) while another writer holds the lock, instead of queueing for it (503)."""
    resp = client.post("/admin/wards/new", data={"code": "W99", "name": "x"})
    assert resp.status_code == 403


def test_write_lock_is_taken_at_the_views_first_statement(app, client, signed_in, monkeypatch):
    """Order in a call-logging request: the user's SELECT, then the write lock, then the
    task's SELECT ... and the writes, all in the one write transaction."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    seen = []
    real = portal_db._begin_immediate

    def begin(dbapi_connection):
        seen.append("BEGIN IMMEDIATE")
        return real(dbapi_connection)

    def statement(conn, cursor, sql, *args):
        seen.append(sql.split()[0] + (" users" if "FROM users" in sql.split("WHERE")[0] else ""))

    monkeypatch.setattr(portal_db, "_begin_immediate", begin)
    db.event.listen(db.engine, "before_cursor_execute", statement)
    try:
        resp = client.post(f"/followups/tasks/{signed_in}/attempts",
                           data={"outcome": "no_answer", "key": uuid.uuid4().hex}, htmx=True)
    finally:
        db.event.remove(db.engine, "before_cursor_execute", statement)
    assert resp.status_code == 200
    assert seen.index("SELECT users") < seen.index("BEGIN IMMEDIATE") < seen.index("INSERT")
    assert seen.count("BEGIN IMMEDIATE") == 1
    assert seen[seen.index("BEGIN IMMEDIATE") + 1] == "SELECT"   # the task, locked
