"""Online backups and restores for both databases.

SQLite: the sqlite3 backup API copies a consistent snapshot while the portal keeps
writing (WAL), then `PRAGMA integrity_check` runs on the copy. PostgreSQL:
`pg_dump -Fc` (a consistent snapshot by MVCC); restore with `pg_restore --clean`.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from portal.extensions import db


class BackupError(RuntimeError):
    pass


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def libpq_url(url) -> str:
    """The SQLAlchemy URL as libpq understands it (no +driver)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def integrity_check(path: str | Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def backup(path: str) -> str:
    url, target = _url(), Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        tmp = target.with_name(target.name + ".part")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(url.database, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            # One step: in WAL mode a reader never blocks writers, and a stepped copy would
            # start again after every write by another connection (never finishing on a
            # busy portal).
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        result = integrity_check(tmp)
        if result != "ok":
            tmp.unlink(missing_ok=True)
            raise BackupError(f"integrity check of the copy failed: {result}")
        os.replace(tmp, target)
        return f"SQLite backup written to {target} (integrity_check: ok)"
    if url.get_backend_name() == "postgresql":
        cmd = [current_app.config["PG_DUMP"], "-Fc", "--no-owner", "-f", str(target),
               "-d", libpq_url(url)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BackupError(f"pg_dump failed: {proc.stderr.strip()[:500]}")
        return f"PostgreSQL backup written to {target} (pg_dump custom format)"
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def restore(path: str) -> str:
    url, source = _url(), Path(path)
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        if integrity_check(source) != "ok":
            raise BackupError("the backup file fails its integrity check")
        src = sqlite3.connect(source)
        dst = sqlite3.connect(url.database, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return f"Restored {source} into {url.database} (integrity_check: {integrity_check(url.database)})"
    if url.get_backend_name() == "postgresql":
        cmd = [current_app.config["PG_RESTORE"], "--clean", "--if-exists", "--no-owner",
               "--single-transaction", "-d", libpq_url(url), str(source)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BackupError(f"pg_restore failed: {proc.stderr.strip()[:500]}")
        return f"Restored {source} into the PostgreSQL database"
    raise BackupError(f"no restore method for {url.get_backend_name()}")
