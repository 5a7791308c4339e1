"""The one place that notes what the summary tables must recompute: session events.

Each flush notes the (ward, day) keys its inserts, updates and deletes touch (old and new
values, so a record moved to another ward or day marks both) and writes them to
`summary_dirty` in the same transaction: one INSERT, no recompute. Whoever reads the
summaries recomputes the marked keys first (portal/dashboard/summaries.py, `current()`), so
a write costs a few rows and a read sees every change committed before it. Keys that depend
on other rows (the later tasks of a discharge, a response's answers, a complaint's wards
and days) are marked by record id and looked up when they are recomputed.

Bulk Core statements that bypass the ORM (imports, task generation, demo data) call
`touch_*`; their keys are written at the next flush or before commit. A rollback forgets
the pending keys (and undoes the rows already written, with the changes they stood for).
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from portal.followups.models import Discharge, FollowUpTask

PENDING = "summary_pending"
DEFERRED = "summary_deferred"
MARKED = "summary_marked"   # rows this transaction has written already
EXPAND_CHUNK = 2000
# pending sets: summary tables keyed (ward, day), then record ids whose keys are read later
KEYED = ("discharges", "followups", "surveys", "complaints")
BY_ID = ("task_discharges", "responses", "complaint_cases")


@contextmanager
def deferred(session):
    """Bulk loading (demo data): no marks per flush, one rebuild of every summary at the end
    (marks for a million rows would recompute every ward and day anyway)."""
    session.info[DEFERRED] = True
    try:
        yield
    finally:
        session.info.pop(DEFERRED, None)
        session.info.pop(PENDING, None)
    from portal.dashboard import summaries

    summaries.rebuild(session.connection())
    session.commit()


def _pending(session) -> dict:
    return session.info.setdefault(PENDING, {name: set() for name in KEYED + BY_ID})


def _models() -> dict:
    """Watched model -> the columns its summary keys come from."""
    if _MODELS:
        return _MODELS
    from portal.surveys.models import Answer, Invitation, Response

    models = {Discharge: ("ward_id", "discharged_on"),
              FollowUpTask: ("ward_id", "due_on", "discharge_id"),
              Response: ("ward_id", "period"), Invitation: ("ward_id", "period"),
              Answer: ("response_id",)}
    complaint = _complaint_model()
    if complaint is not None:
        models[complaint] = ("id",)
    _MODELS.update(models)
    return _MODELS


_MODELS: dict = {}


def _complaint_model():
    try:
        from portal.complaints.models import Complaint
    except ImportError:  # the complaints feature is not built on this branch
        return None
    return Complaint


def _add(model, values: dict, pending: dict) -> None:
    """Note the keys of one record, given its key columns' values."""
    from portal.surveys.models import Answer, Invitation, Response

    if model is Discharge:
        pending["discharges"].add((values["ward_id"], values["discharged_on"]))
    elif model is FollowUpTask:
        pending["followups"].add((values["ward_id"], values["due_on"]))
        pending["task_discharges"].add(values["discharge_id"])
    elif model in (Response, Invitation):
        pending["surveys"].add((values["ward_id"] or 0, values["period"]))
    elif model is Answer:
        pending["responses"].add(values["response_id"])
    else:  # a complaint: its wards and days are read when its keys are recomputed
        pending["complaint_cases"].add(values["id"])


def _old_values(obj, names) -> dict | None:
    """The key columns' values as the database holds them, from the object's loaded state
    (no query), or None when one of them is unknown (unloaded, or set without the old value
    loaded)."""
    state = inspect(obj)
    if state.expired or any(n in state.unloaded for n in names):
        return None
    values = {}
    for n in names:
        added, unchanged, deleted = state.attrs[n].history
        if unchanged:
            values[n] = unchanged[0]
        elif deleted:
            values[n] = deleted[0]
        else:  # changed, the old value never loaded (or it was NULL): ask the database
            return None
    return values


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances):
    """Records about to change or go: their keys as the database holds them now (the old
    values, whether or not the objects had them loaded)."""
    if session.info.get(DEFERRED):
        return
    models = _models()
    ids: dict = {}
    pending = None
    complaint = _complaint_model()
    for obj in list(session.dirty) + list(session.deleted):
        model = type(obj)
        if model not in models or not inspect(obj).identity:
            continue
        pending = pending if pending is not None else _pending(session)
        if model is complaint:  # its old wards and days: below, from the database
            ids.setdefault(model, set()).add(inspect(obj).identity[0])
            continue
        values = _old_values(obj, models[model])
        if values is None:
            ids.setdefault(model, set()).add(inspect(obj).identity[0])
        else:
            _add(model, values, pending)
    if not ids:
        return
    conn = session.connection()
    for model, found in ids.items():
        if model is complaint:
            from portal.dashboard import summary_sql

            for ward_id, day in conn.execute(summary_sql.complaint_keys(conn, sorted(found))):
                pending["complaints"].add((ward_id or 0, day))
            continue
        cols = [getattr(model, c) for c in models[model]]
        for row in conn.execute(select(*cols).where(model.id.in_(sorted(found)))):
            _add(model, dict(zip(models[model], row, strict=True)), pending)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    """New and changed records: their keys as written; then write every pending key."""
    if session.info.get(DEFERRED):
        return
    models = _models()
    pending = None
    for obj in list(session.new) + list(session.dirty):
        names = models.get(type(obj))
        if not names:
            continue
        pending = pending if pending is not None else _pending(session)
        state = inspect(obj).dict
        if all(n in state for n in names):
            _add(type(obj), {n: state[n] for n in names}, pending)
        elif inspect(obj).identity:  # something expired: read what was written
            model = type(obj)
            row = session.connection().execute(
                select(*[getattr(model, n) for n in names])
                .where(model.id == inspect(obj).identity[0])).first()
            if row is not None:
                _add(model, dict(zip(names, row, strict=True)), pending)
    write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if any(session.info.get(PENDING, {}).values()):
        write(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session, _previous):
    # a savepoint rolled back takes its rows with it: write them again when touched again
    session.info.pop(MARKED, None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    if transaction.parent is None:  # the transaction is over: the next one starts afresh
        session.info.pop(MARKED, None)


def write(session) -> None:
    """Write the pending keys to summary_dirty (one INSERT; rows this transaction wrote
    already are left out)."""
    from portal.dashboard.models import NO_PREVIOUS, SummaryDirty
    from portal.dashboard.summary_sql import as_date

    pending = session.info.pop(PENDING, None)
    if not pending or session.info.get(DEFERRED):
        return
    rows = set()
    for name in KEYED:
        rows |= {(name, ward_id or 0, as_date(day)) for ward_id, day in pending.get(name, ())
                 if day is not None}
    for name in BY_ID:
        rows |= {(name, ref, NO_PREVIOUS) for ref in pending.get(name, ()) if ref is not None}
    marked = session.info.setdefault(MARKED, set())
    rows -= marked
    if not rows:
        return
    conn = session.connection()
    # one plain statement: the write path of every call logged (an ORM or Core executemany
    # costs three times the CPU of the INSERT itself)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    values = ", ".join([f"({mark}, {mark}, {mark})"] * len(rows))
    params = [v for s, r, d in sorted(rows) for v in (
        s, r, d.isoformat() if mark == "?" else d)]
    conn.exec_driver_sql(f"INSERT INTO {SummaryDirty.__tablename__} (summary, ref, day)"
                         f" VALUES {values}", tuple(params))
    marked |= rows


def touch_rows(session, table_name: str, rows: list[dict]) -> None:
    """Bulk-inserted rows (portal/followups/bulk.py): note the keys they touch."""
    pending = _pending(session)
    if table_name == "discharges":
        pending["discharges"] |= {(r["ward_id"], r["discharged_on"]) for r in rows}
    elif table_name == "followup_tasks":
        pending["followups"] |= {(r["ward_id"], r["due_on"]) for r in rows}
        pending["task_discharges"] |= {r["discharge_id"] for r in rows}


def touch_tasks(session, task_ids) -> None:
    """Tasks a bulk UPDATE is about to change: their current keys and their discharges."""
    T = FollowUpTask
    pending = _pending(session)
    ids = sorted(set(task_ids))
    for i in range(0, len(ids), EXPAND_CHUNK):
        for w, d, discharge_id in session.connection().execute(
                select(T.ward_id, T.due_on, T.discharge_id)
                .where(T.id.in_(ids[i:i + EXPAND_CHUNK]))):
            pending["followups"].add((w, d))
            pending["task_discharges"].add(discharge_id)


# (event, listener) pairs: benchmarks/dashboard_writes.py switches them off to measure them
LISTENERS = (("before_flush", _before_flush), ("after_flush", _after_flush),
             ("before_commit", _before_commit), ("after_rollback", _after_rollback),
             ("after_soft_rollback", _after_soft_rollback),
             ("after_transaction_end", _after_transaction_end))
