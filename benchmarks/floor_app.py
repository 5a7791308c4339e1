"""The floor for benchmarks/load.py: the least a Flask app can do per write request.

One POST endpoint inserting one row into `floor_rows` in its own transaction, on the same
database (DATABASE_URL) with the portal's database setup: importing portal.db installs the
same connection listeners (SQLite: WAL, busy timeout, foreign keys, synchronous=NORMAL,
BEGIN IMMEDIATE for a POST; the test of a connection idle in the pool), and the engine gets the
portal's engine options.
Served by gunicorn with the settings of gunicorn.conf.py (load.py does this):
`gunicorn benchmarks.floor_app:app`.
"""
from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

import portal.db  # noqa: F401 - the portal's connection and transaction listeners
from portal.config import DEFAULTS

SCHEMA = ("CREATE TABLE IF NOT EXISTS floor_rows (id {pk}, key VARCHAR(64) NOT NULL UNIQUE, "
          "at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")


def make_engine(url: str):
    return create_engine(url, **DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"])


def create_schema(url: str) -> None:
    engine = make_engine(url)
    pk = "INTEGER PRIMARY KEY" if url.startswith("sqlite") else "SERIAL PRIMARY KEY"
    with engine.begin() as con:
        con.execute(text(SCHEMA.format(pk=pk)))
    engine.dispose()


def count_rows(url: str, keys) -> tuple[int, int]:
    """(rows in floor_rows, acknowledged keys missing from it)."""
    engine = make_engine(url)
    with engine.connect() as con:
        stored = set(con.execute(text("SELECT key FROM floor_rows")).scalars())
    engine.dispose()
    return len(stored), len(set(keys) - stored)


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
