"""Recomputing the summary tables (portal/dashboard/models.py) from the base tables.

Writes only mark the (ward, day) keys they touch (portal/dashboard/summary_events.py writes
rows to `summary_dirty`); whoever reads a summary calls `current()` first, which recomputes
the marked keys and deletes their marks. A key is recomputed, never incremented: its
contiguous day ranges per ward are deleted and inserted again from a GROUP BY over the base
tables.

Why a read sees every change committed before it: the reader deletes the marks first
(DELETE ... RETURNING) and recomputes after, in later statements. A mark committed before
that DELETE was committed with its change, so the recompute sees the change; a mark not
yet committed is invisible to the DELETE and stays for the next reader. Marks are
append-only (no ON CONFLICT): a writer never waits for a reader, nor a reader for a writer.
One reader recomputes at a time: PostgreSQL takes a transaction-scoped advisory lock first,
SQLite's write lock serialises them anyway. A rollback of the reader puts its marks back.
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select, text

from portal.dashboard import summary_sql
from portal.dashboard.models import (
    ComplaintDaily,
    DischargeDaily,
    FollowUpDaily,
    SummaryDirty,
    SurveyDimensionMonthly,
    SurveyMonthly,
)

GAP_DAYS = 31  # touched days closer than this are recomputed as one range
REFRESH_LOCK = zlib.crc32(b"careloop-summary-refresh")  # PostgreSQL advisory lock key


@dataclass(frozen=True)
class Summary:
    name: str
    table: object           # the model
    rows: object            # rows(conn, ward_ids, lo, hi) -> select() of the table's columns
    wards: object = None    # wards(table, ward_ids) -> condition; None: table.c.ward_id IN


def _complaints_built() -> bool:
    try:
        import portal.complaints.models  # noqa: F401
    except ImportError:  # the complaints feature is not built on this branch
        return False
    return True


SUMMARIES = {s.name: s for s in (
    Summary("discharges", DischargeDaily, summary_sql.discharge_rows),
    Summary("followups", FollowUpDaily, summary_sql.followup_rows),
    Summary("surveys", SurveyMonthly, summary_sql.survey_rows),
    Summary("survey_dimensions", SurveyDimensionMonthly, summary_sql.dimension_rows),
    *([Summary("complaints", ComplaintDaily, summary_sql.complaint_rows,
               summary_sql.complaint_ward_filter)] if _complaints_built() else []),
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


def _lock(conn) -> None:
    """One recompute at a time (PostgreSQL; SQLite's write lock serialises them already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REFRESH_LOCK})


def _replace(conn, summary: Summary, ward_ids, lo, hi) -> None:
    table = summary.table.__table__
    conds = []
    if ward_ids is not None:
        conds.append(summary.wards(table, ward_ids) if summary.wards
                     else table.c.ward_id.in_(ward_ids))
    if lo is not None:
        conds += [table.c.day >= lo, table.c.day <= hi]
    conn.execute(delete(table).where(*conds))
    rows = summary.rows(conn, ward_ids, lo, hi)
    conn.execute(insert(table).from_select([c.name for c in table.c], rows))


def refresh(conn, name: str, keys) -> None:
    """Recompute the (ward, day) keys of one summary (and the tables that go with it).
    The caller holds the recompute lock (`_lock`)."""
    found = ranges(keys)
    if not found:
        return
    for each in (name, *ALSO.get(name, ())):
        summary = SUMMARIES[each]
        for ward_id, lo, hi in found:
            _replace(conn, summary, [ward_id], lo, hi)


def rebuild(conn, names=None, lo: date | None = None, hi: date | None = None) -> None:
    """Recompute whole tables (or every ward between two days) from the base tables."""
    _lock(conn)
    if names is None and lo is None:  # everything is recomputed: the marks are done with
        # (deleted first, as refresh_dirty does: a mark committed after this stays)
        conn.execute(delete(SummaryDirty.__table__))
    for name in names or SUMMARIES:
        _replace(conn, SUMMARIES[name], None, lo, hi)


def refresh_dirty(conn) -> int:
    """Recompute the keys writers marked and delete their marks, in `conn`'s transaction
    (which must be able to write: on SQLite, hold the write lock or be about to take it
    with this first statement). Returns the number of marks."""
    from portal.dashboard.summary_events import BY_ID, MARKED

    _lock(conn)
    D = SummaryDirty.__table__
    marks = conn.execute(delete(D).returning(D.c.summary, D.c.ref, D.c.day)).all()
    _forget(MARKED)
    if not marks:
        return 0
    keys: dict[str, set] = defaultdict(set)
    for name, ref, day in marks:
        keys[name].add(ref if name in BY_ID else (ref, day))
    _expand(conn, keys)
    for name in ("discharges", "followups", "surveys", "complaints"):
        if keys.get(name) and name in SUMMARIES:
            refresh(conn, name, keys[name])
    return len(marks)


def _forget(key: str) -> None:
    """This app context's session wrote marks the refresh has just deleted: it writes them
    again when it touches their keys again."""
    from flask import has_app_context

    if has_app_context():
        from portal.extensions import db

        db.session.info.pop(key, None)


def _expand(conn, keys: dict) -> None:
    """Keys of the records marked by id, as they are now: every task of a discharge (a
    task's change moves the 'previous task' of the discharge's later tasks), a response's
    ward and month, a complaint's wards and days. (Their keys before a change were marked
    by the change itself.)"""
    from portal.followups.models import FollowUpTask as T
    from portal.surveys.models import Response

    chunk = 2000
    ids = sorted(keys.pop("task_discharges", set()))
    for i in range(0, len(ids), chunk):
        keys["followups"] |= {(w, d) for w, d in conn.execute(
            select(T.ward_id, T.due_on).where(T.discharge_id.in_(ids[i:i + chunk])).distinct())}
    ids = sorted(keys.pop("responses", set()))
    for i in range(0, len(ids), chunk):
        keys["surveys"] |= {(w or 0, p) for w, p in conn.execute(
            select(Response.ward_id, Response.period)
            .where(Response.id.in_(ids[i:i + chunk])).distinct())}
    ids = sorted(keys.pop("complaint_cases", set()))
    if ids and "complaints" in SUMMARIES:
        for i in range(0, len(ids), chunk):
            keys["complaints"] |= {(w or 0, d) for w, d in conn.execute(
                summary_sql.complaint_keys(conn, ids[i:i + chunk]))}


def current(session=None) -> None:
    """Make the summaries exact before reading them: recompute what writers marked.

    Cheap when nothing is marked (one indexed read). In a transaction that may write (CLI,
    tests, a POST before its commit) the recompute joins it. A read-only request's
    transaction cannot take SQLite's write lock midway (its snapshot may be stale): it ends
    (nothing to lose), the recompute runs and commits in a transaction of its own whose first
    statement is the write, and the reads that follow start from a snapshot that has it.
    """
    from portal.db import commit_keeping_state, wants_write_lock

    if session is None:
        from portal.extensions import db

        session = db.session()  # the Session itself (commit_keeping_state sets its options)
    if session.execute(select(SummaryDirty.id).limit(1)).first() is None:
        return
    if wants_write_lock():
        refresh_dirty(session.connection())
        return
    commit_keeping_state(session)
    refresh_dirty(session.connection())
    commit_keeping_state(session)


def differences(conn, names=None) -> dict[str, list[tuple]]:
    """{summary: [(key, stored counts, base counts)]} where the table and the base differ,
    once the marked keys are recomputed (in `conn`'s transaction)."""
    refresh_dirty(conn)
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
