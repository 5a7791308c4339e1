"""flask backup / restore on SQLite and PostgreSQL: same rows back, integrity checked,
and a consistent copy while another connection keeps writing (SQLite)."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from portal import backup as backups
from portal.audit import services as audit
from portal.extensions import db
from portal.wards.models import Ward
from tests import factories
from tests.conftest import PG_URL, base_config


def row_counts() -> dict[str, int]:
    names = inspect(db.engine).get_table_names()
    counts = {name: db.session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
              for name in names}
    db.session.rollback()
    return counts


def fill(runner) -> dict[str, int]:
    result = runner.invoke(args=["demo-data", "--discharges", "40", "--seed", "7"])
    assert result.exit_code == 0, result.output
    audit.record("test.entry", object_type="test", object_id="1")
    db.session.commit()
    counts = row_counts()
    assert counts["users"] >= 5 and counts["wards"] >= 8 and counts["audit_entries"] >= 1
    return counts


def change_everything() -> None:
    factories.ward("W99")
    factories.user("leader")
    audit.record("test.after_backup")
    db.session.commit()


def test_sqlite_backup_and_restore(app, runner, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite backup; the PostgreSQL test is below")
    before = fill(runner)
    target = tmp_path / "backups" / "careloop.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity_check: ok" in result.output
    assert backups.integrity_check(target) == "ok"
    change_everything()
    assert row_counts() != before
    refused = runner.invoke(args=["restore", str(target)], input="n\n")
    assert refused.exit_code != 0 and row_counts() != before
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert row_counts() == before
    assert db.session.scalar(select(Ward).where(Ward.code == "W99")) is None
    assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_sqlite_restore_refuses_a_damaged_file(app, runner, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    before = row_counts()
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
    assert row_counts() == before


def test_sqlite_backup_while_another_connection_writes(app, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    seed = sqlite3.connect(path)
    seed.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, blob BLOB)")
    seed.executemany("INSERT INTO filler (blob) VALUES (?)", ((b"x" * 1000,) for _ in range(25000)))
    seed.commit()  # ~25 MB: more than one backup step
    seed.close()
    db.session.remove()

    stop, written = threading.Event(), []

    def writer():
        con = sqlite3.connect(path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        while not stop.is_set():
            con.execute("INSERT INTO filler (blob) VALUES (?)", (b"y" * 100,))
            con.commit()
            written.append(1)
            time.sleep(0.002)
        con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        result = {}
        worker = threading.Thread(target=lambda: result.update(
            out=_backup_in_context(app, tmp_path / "live.sqlite3")))
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "backup did not finish while a writer was active"
    finally:
        stop.set()
        thread.join()
    assert "integrity_check: ok" in result["out"]
    copy = sqlite3.connect(tmp_path / "live.sqlite3")
    rows = copy.execute("SELECT count(*) FROM filler").fetchone()[0]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert 25000 < rows <= 25000 + len(written)


def _backup_in_context(app, target):
    with app.app_context():
        return backups.backup(str(target))


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set TEST_DATABASE_URL")
def test_postgresql_backup_and_restore_into_a_fresh_database(app, runner, tmp_path):
    from portal import create_app
    from tests.conftest import _pg_admin

    before = fill(runner)
    target = tmp_path / "careloop.dump"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    name = f"careloop_restore_{id(target)}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        fresh = create_app(base_config(make_url(PG_URL).set(database=name)
                                       .render_as_string(hide_password=False)))
        with fresh.app_context():
            fresh.test_cli_runner()
            summary = backups.restore(str(target))
            assert "Restored" in summary
            assert row_counts() == before
            # the append-only trigger came back with the schema
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text("DELETE FROM audit_entries"))
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set TEST_DATABASE_URL")
def test_postgresql_restore_over_changed_database(app, runner, tmp_path):
    before = fill(runner)
    target = tmp_path / "careloop.dump"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    change_everything()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert row_counts() == before
