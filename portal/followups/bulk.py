"""Bulk inserts for imports, task generation and demo data.

SQLAlchemy Core's executemany is the portable path; on SQLite, SQLAlchemy's per-value
bind processing costs more than SQLite's own insert at 100,000+ rows, so the rows go
straight to the driver, with dates and UTC timestamps converted exactly as
SQLAlchemy stores them (ISO dates; naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff').
"""
from __future__ import annotations

from datetime import UTC

from sqlalchemy import Date, insert

from portal.db import UTCDateTime
from portal.extensions import db


def _sqlite_date(value):
    return value.isoformat() if value is not None else None


def _sqlite_datetime(value):
    # what SQLAlchemy's SQLite DateTime stores: naive UTC with microseconds
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def bulk_insert(table, rows: list[dict]) -> None:
    """A Core bulk insert; on SQLite straight through the driver's executemany.

    SQLAlchemy's per-value bind processing costs more than SQLite's insert itself at a
    million rows; we convert the only non-native types (dates, UTC timestamps) here the
    way SQLAlchemy stores them.
    """
    if not rows:
        return
    from portal.dashboard.summary_events import touch_rows

    touch_rows(db.session, table.name, rows)  # the dashboard summaries follow at the next flush
    if db.engine.dialect.name != "sqlite":
        db.session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    converters = []
    for i, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            converters.append((i, _sqlite_datetime))
        elif isinstance(kind, Date):
            converters.append((i, _sqlite_date))
    data = []
    memo: dict = {}  # created_at and dates repeat across rows: convert each value once
    for row in rows:
        values = list(row.values())
        for i, convert in converters:
            value = values[i]
            if value is not None:
                converted = memo.get(value)
                if converted is None:
                    converted = memo[value] = convert(value)
                values[i] = converted
        data.append(tuple(values))
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    db.session.connection().exec_driver_sql(sql, data)
