"""Declarative base, shared column types and mixins, and the SQLite connection setup.

SQLite is opened in WAL mode with a busy timeout and foreign keys on. Python's
sqlite3 module starts transactions lazily with a plain BEGIN, which lets two
writers both read and then fail with "database is locked" when they try to
write; we take over transaction control and start write transactions with
BEGIN IMMEDIATE (requests whose method may change state, CLI commands),
and read-only requests with a deferred BEGIN so readers never queue. A writer waits for the
lock in short turns (`_begin_immediate`) and, after BUSY_TIMEOUT_MS, gets "database is
locked": a 503 with Retry-After (portal/errors.py), never a 500. A request that may write
loads its user first without the lock (`reading_first()`) and takes it at the view's first
statement (`_write_lock_for_the_view`): SQLite has one writer at a time, so the lock is held
from the view's first statement to its COMMIT, not from the request's first statement.

A pooled connection to a database server is tested before use only when it has been idle in
the pool for PING_IDLE_SECONDS (`_ping_if_idle`): a connection that went unused that long may
have been closed by a server restart or a firewall meanwhile, while one checked in moments
ago is as alive as the request before showed (SQLAlchemy's pool_pre_ping tests every checkout:
one round trip more per request). A connection that breaks while busy is handled as SQLAlchemy
does anyway: the request gets a 503, the pool drops every connection older than the failure,
and the next requests connect afresh.
"""
from __future__ import annotations

import random
import time
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import g, has_request_context, request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a writer waits for SQLite's write lock before "database is locked" (a 503 with
# Retry-After, portal/errors.py). gunicorn.conf.py runs one thread per worker on SQLite (up to
# 8 writers in flight; GUNICORN_THREADS may allow more); on a loaded 2-core host one
# call-logging transaction holds the lock up to ~1 s wall time. 30 s stays under gunicorn's
# 60 s worker timeout.
BUSY_TIMEOUT_MS = 30000
POLL_MS = 10  # how long one try at the write lock waits (SQLite polls 1, 2, 5 ms inside)
PING_IDLE_SECONDS = 2.0  # a server connection idle longer than this is tested before use


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (what every timestamp column stores)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zones; PostgreSQL uses timestamptz. Naive values are refused
    so a local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime})


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def wants_write_lock() -> bool:
    """Start the transaction with the write lock unless this is a read-only request.

    After a request has committed its change, what follows (reading to render the
    response) starts without the lock: waiting for it then could only turn a saved
    change into an error page.
    """
    if not has_request_context():
        return True
    return (request.method not in SAFE_METHODS and not g.get("_db_committed")
            and not g.get("_db_reading_first"))


@contextmanager
def reading_first():
    """Statements in this block (loading the signed-in user) do not take SQLite's write lock:
    a request that writes takes it at its next statement (_write_lock_for_the_view), so
    nobody queues behind a request still checking its session, form and permissions."""
    g._db_reading_first = True
    try:
        yield
    finally:
        g._db_reading_first = False


def watch_engine(engine: Engine) -> None:
    """The app's engines: on SQLite, a transaction begun by reading_first() turns into a write
    transaction at the first statement that wants the write lock."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "before_cursor_execute", _write_lock_for_the_view)


READ_FIRST = "careloop_read_first"  # connection info: this transaction began without the lock


def _write_lock_for_the_view(conn, cursor, statement, parameters, context, executemany):
    """End the transaction that has only read (nothing to lose) and begin the write
    transaction on the same connection, before the statement runs. For SQLAlchemy it is one
    transaction; the objects it loaded (the user) stay loaded."""
    if conn.info.get(READ_FIRST) and wants_write_lock():
        conn.info[READ_FIRST] = False
        dbapi_connection = conn.connection.dbapi_connection
        dbapi_connection.execute("COMMIT")
        _begin_immediate(dbapi_connection)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@event.listens_for(Pool, "checkin")
def _idle_from(dbapi_connection, connection_record):
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):
    """Test a server connection that sat idle in the pool; a dead one is replaced (the pool
    tries again with a new connection when a checkout listener raises DisconnectionError)."""
    import sqlite3

    since = connection_record.info.get("idle_since")
    if (since is None or time.monotonic() - since < PING_IDLE_SECONDS
            or isinstance(dbapi_connection, sqlite3.Connection)):
        return  # new, recently used, or a file (SQLite has no server to lose)
    autocommit = getattr(dbapi_connection, "autocommit", None)
    try:
        if autocommit is False:  # one round trip: no transaction to open and end for it
            dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        if autocommit is False:
            dbapi_connection.autocommit = False
    except Exception as e:
        raise DisconnectionError(f"idle connection failed its test: {e}") from e


@event.listens_for(Engine, "commit")
def _remember_commit(conn):
    if has_request_context():
        g._db_committed = True


@event.listens_for(Session, "after_commit")
def _remember_saved(session):
    """The request's change is stored (the COMMIT succeeded): portal/errors.py then tells the
    user not to send the form again when reading for the answer fails."""
    if has_request_context() and request.method not in SAFE_METHODS:
        g._db_saved = True


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # begun in reading_first() by a request that may write: its view's first statement takes
    # the write lock
    conn.info[READ_FIRST] = (has_request_context() and request.method not in SAFE_METHODS
                             and g.get("_db_reading_first", False))
    if wants_write_lock():
        _begin_immediate(conn.connection.dbapi_connection)
    else:
        conn.exec_driver_sql("BEGIN")


def _begin_immediate(dbapi_connection) -> None:
    """BEGIN IMMEDIATE, waiting up to BUSY_TIMEOUT_MS for the write lock in short turns.

    SQLite's own busy handler sleeps longer and longer (100 ms per try after a while), so a
    writer that has waited long tries rarely and loses the lock, again and again, to writers
    that have just arrived: under load a few waited over 30 s while most waited none. Here
    every waiter tries about every POLL_MS, so the lock goes to a waiter roughly at random
    and nobody waits much longer than the queue in front of it.
    """
    import sqlite3

    from sqlalchemy.exc import OperationalError

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    dbapi_connection.execute(f"PRAGMA busy_timeout={POLL_MS}")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if "database is locked" not in str(e) or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, e) from None
            time.sleep(random.uniform(0, POLL_MS / 2000))  # jitter: no lockstep retries
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")


def commit_keeping_state(session) -> None:
    """Commit without expiring the objects the session holds.

    For a response that shows what the request has just written: after a plain commit every
    object is reloaded, one query each, on first use (the user, the task, its discharge,
    patient and ward...). Their values are the ones this transaction read and wrote, which is
    what such a response shows.
    """
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
