"""Reference numbers: TS-2026-0001 (complaint), BY- (praise), JY- (suggestion).

One counter row per (prefix, year), bumped with a single INSERT ... ON CONFLICT DO UPDATE
... RETURNING. On PostgreSQL the upsert locks the row until the filing transaction commits,
so two concurrent filings get different numbers; on SQLite the write transaction starts
with BEGIN IMMEDIATE (portal.db), which serialises writers. The unique index on
complaints.reference is the last line of defence.
"""
from __future__ import annotations

from portal.complaints.models import ReferenceCounter
from portal.extensions import db

PREFIXES = {"complaint": "TS", "praise": "BY", "suggestion": "JY"}


def _insert():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def next_reference(kind: str, year: int) -> str:
    prefix = PREFIXES[kind]
    table = ReferenceCounter.__table__
    stmt = _insert()(table).values(prefix=prefix, year=year, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.prefix, table.c.year],
                                      set_={"last": table.c.last + 1}).returning(table.c.last)
    number = db.session.execute(stmt).scalar_one()
    return f"{prefix}-{year}-{number:04d}"
