"""`flask backup` while nurses keep logging calls through the portal (SQLite and PostgreSQL):
the backup finishes, and the copy restored into a fresh database is consistent: no call
attempt without its task's counter moved (nothing half-written), between the calls
acknowledged before the backup started and those acknowledged when it ended, and on SQLite
`PRAGMA integrity_check` is ok."""
from __future__ import annotations

import threading
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import backup as backups
from portal import create_app
from portal.extensions import db
from tests import factories
from tests.conftest import base_config, sign_in_session

WRITERS = 3
CONSISTENT = ("SELECT count(*) FROM followup_tasks t WHERE t.attempts <> "
              "(SELECT count(*) FROM call_attempts a WHERE a.task_id = t.id)")


def tasks(n: int) -> list[int]:
    from tests.followups import factories as ff

    rule = ff.rule("W01", max_attempts=1_000_000)
    ids = [ff.task("W01", rule_=rule).id for _ in range(n)]
    db.session.commit()
    return ids


def fresh_copy(app, tmp_path):
    """A fresh, empty database of the same kind: (url, cleanup)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    from tests.conftest import _pg_admin

    name = f"careloop_drill_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def test_backup_while_calls_are_logged_restores_consistently(app, runner, tmp_path):
    task_ids = tasks(20)
    nurse = factories.user(role="nurse", wards="W01")
    db.session.commit()
    clients = []
    for _ in range(WRITERS):
        client = app.test_client()
        sign_in_session(client, nurse)
        client.csrf_token()
        clients.append(client)
    db.session.commit()  # this thread holds no transaction (SQLite: no write lock)

    stop = threading.Event()
    acknowledged: list[str] = []
    failures: list[object] = []

    def write(i, client):
        n = 0
        while not stop.is_set():
            key = uuid.uuid4().hex
            try:
                resp = client.post(f"/followups/tasks/{task_ids[(i + n) % len(task_ids)]}/attempts",
                                   data={"outcome": "no_answer", "key": key}, htmx=True)
            except Exception as e:  # noqa: BLE001 - reported by the assertion below
                failures.append(repr(e))
                return
            n += 1
            if resp.status_code == 200:
                acknowledged.append(key)
            else:
                failures.append(resp.status_code)

    threads = [threading.Thread(target=write, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    try:
        while len(acknowledged) < 10 and not failures:
            stop.wait(0.01)
        before = len(acknowledged)
        target = tmp_path / "under-load.backup"
        result = runner.invoke(args=["backup", str(target)])
        after = len(acknowledged)
        while len(acknowledged) < after + WRITERS + 2 and not failures:  # and go on after it
            stop.wait(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert result.exit_code == 0, result.output
    assert failures == []
    assert before >= 10

    url, cleanup = fresh_copy(app, tmp_path)
    try:
        fresh = create_app(base_config(url))
        with fresh.app_context():
            summary = backups.restore(str(target))
            assert "Restored" in summary
            db.session.remove()
            db.engine.dispose()
        engine = create_engine(url)
        with engine.connect() as con:
            stored = set(con.execute(text("SELECT idempotency_key FROM call_attempts")).scalars())
            assert con.execute(text(CONSISTENT)).scalar() == 0   # nothing half-written
            if engine.dialect.name == "sqlite":
                assert con.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()
    finally:
        cleanup()
    assert set(acknowledged[:before]) <= stored   # everything acknowledged before is in it
    assert stored <= set(acknowledged)            # nothing that was never acknowledged
    # each writer may have had one call committed but not yet answered when `after` was read
    assert before <= len(stored) <= after + WRITERS < len(acknowledged)
