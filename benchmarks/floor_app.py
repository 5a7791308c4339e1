"""The floor for benchmarks/load.py: the least a Flask app can do per write request.

One POST endpoint inserting one row into `floor_rows` in its own transaction, on the same
database (DATABASE_URL) with the same SQLite setup as the portal (WAL, busy timeout,
BEGIN IMMEDIATE). Served by gunicorn exactly like the portal: `gunicorn benchmarks.floor_app:app`.
"""
from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import create_engine, event, text

SCHEMA = ("CREATE TABLE IF NOT EXISTS floor_rows (id {pk}, key VARCHAR(64) NOT NULL UNIQUE, "
          "at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")


def make_engine(url: str):
    engine = create_engine(url, pool_pre_ping=True)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, record):
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", "busy_timeout=15000", "synchronous=NORMAL"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def create_schema(url: str) -> None:
    engine = create_engine(url)  # plain: the caller may have the portal's listeners loaded
    pk = "INTEGER PRIMARY KEY" if url.startswith("sqlite") else "SERIAL PRIMARY KEY"
    with engine.begin() as con:
        con.execute(text(SCHEMA.format(pk=pk)))
    engine.dispose()


app = Flask(__name__)
_engine = None


@app.post("/floor")
def floor():
    global _engine
    if _engine is None:  # per worker, after the fork
        _engine = make_engine(os.environ["DATABASE_URL"])
    with _engine.begin() as con:
        con.execute(text("INSERT INTO floor_rows (key) VALUES (:key)"),
                    {"key": request.form.get("key", "")})
    return "ok"


@app.get("/healthz")
def healthz():
    return "ok"
