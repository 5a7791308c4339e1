"""Recomputing the summary tables (portal/dashboard/models.py) from the base tables.

A change never increments a count: the (ward, day) keys it touched are recomputed from the
base tables, in the same transaction, as contiguous day ranges per ward (delete the range,
insert it again from a GROUP BY). On PostgreSQL a transaction-scoped advisory lock per
(summary, ward) is taken first: two transactions recomputing the same ward then run one
after the other, and the second one's statements see the first one's committed rows (an
upsert alone would let a recompute made before the other commit overwrite a newer one).
On SQLite writers are serialised already (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select, text

from portal.dashboard import summary_sql
from portal.dashboard.models import (
    DischargeDaily,
    FollowUpDaily,
    SurveyDimensionMonthly,
    SurveyMonthly,
)

GAP_DAYS = 31  # touched days closer than this are recomputed as one range


@dataclass(frozen=True)
class Summary:
    name: str
    table: object           # the model
    rows: object            # rows(conn, ward_ids, lo, hi) -> select() of the table's columns


SUMMARIES = {s.name: s for s in (
    Summary("discharges", DischargeDaily, summary_sql.discharge_rows),
    Summary("followups", FollowUpDaily, summary_sql.followup_rows),
    Summary("surveys", SurveyMonthly, summary_sql.survey_rows),
    Summary("survey_dimensions", SurveyDimensionMonthly, summary_sql.dimension_rows),
)}
# a survey key recomputes both survey tables
ALSO = {"surveys": ("survey_dimensions",)}


def ranges(keys, gap: int = GAP_DAYS) -> list[tuple[int, date, date]]:
    """(ward, first day, last day) ranges covering the keys, one per run of close days."""
    by_ward: dict[int, list[date]] = defaultdict(list)
    for ward_id, day in keys:
        if day is not None:
            by_ward[ward_id or 0].append(summary_sql.as_date(day))
    out = []
    for ward_id, days in sorted(by_ward.items()):
        days.sort()
        lo = hi = days[0]
        for d in days[1:]:
            if (d - hi).days > gap:
                out.append((ward_id, lo, hi))
                lo = d
            hi = d
        out.append((ward_id, lo, hi))
    return out


def _lock(conn, name: str, ward_ids) -> None:
    if conn.dialect.name != "postgresql":
        return
    for ward_id in sorted(ward_ids):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                     {"k": zlib.crc32(f"careloop-summary:{name}:{ward_id}".encode())})


def _replace(conn, summary: Summary, ward_ids, lo, hi) -> None:
    table = summary.table.__table__
    conds = []
    if ward_ids is not None:
        conds.append(table.c.ward_id.in_(ward_ids))
    if lo is not None:
        conds += [table.c.day >= lo, table.c.day <= hi]
    conn.execute(delete(table).where(*conds))
    rows = summary.rows(conn, ward_ids, lo, hi)
    conn.execute(insert(table).from_select([c.name for c in table.c], rows))


def refresh(conn, name: str, keys) -> None:
    """Recompute the (ward, day) keys of one summary (and the tables that go with it)."""
    found = ranges(keys)
    if not found:
        return
    for each in (name, *ALSO.get(name, ())):
        summary = SUMMARIES[each]
        _lock(conn, each, {w for w, _lo, _hi in found})
        for ward_id, lo, hi in found:
            _replace(conn, summary, [ward_id], lo, hi)


def rebuild(conn, names=None, lo: date | None = None, hi: date | None = None) -> None:
    """Recompute whole tables (or every ward between two days) from the base tables."""
    for name in names or SUMMARIES:
        summary = SUMMARIES[name]
        wards = [w for (w,) in conn.execute(text("SELECT id FROM wards"))] + [0]
        _lock(conn, name, wards)
        _replace(conn, summary, None, lo, hi)


def differences(conn, names=None) -> dict[str, list[tuple]]:
    """{summary: [(key, stored counts, base counts)]} where the table and the base differ."""
    out = {}
    for name in names or SUMMARIES:
        summary = SUMMARIES[name]
        table = summary.table.__table__
        width = len(table.primary_key.columns)  # key columns come first in each table

        def load(query, width=width):
            result = {}
            for row in conn.execute(query):
                key = tuple(summary_sql.as_key(v) for v in row[:width])
                values = tuple(int(v or 0) for v in row[width:])
                if any(values):
                    result[key] = values
            return result

        stored = load(select(table))
        base = load(summary.rows(conn, None, None, None))
        diff = [(k, stored.get(k), base.get(k)) for k in sorted(set(stored) | set(base))
                if stored.get(k) != base.get(k)]
        if diff:
            out[name] = diff
    return out
