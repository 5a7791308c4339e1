"""The one place that keeps the summary tables current: session events.

Each flush notes the (ward, day) keys its inserts, updates and deletes touch (old and new
values, so a record moved to another ward or day recomputes both) and recomputes them from
the base tables before the transaction goes on. Bulk Core statements that bypass the ORM
(imports, task generation, demo data) call `touch_*`; their keys are recomputed at the next
flush or before commit. A rollback forgets the pending keys.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from portal.followups.models import Discharge, FollowUpTask

PENDING = "summary_pending"
DEFERRED = "summary_deferred"
EXPAND_CHUNK = 2000


@contextmanager
def deferred(session):
    """Bulk loading (demo data): no recompute per flush, one rebuild of every summary at the
    end. Recomputing the keys of every chunk re-reads the rows of the chunks before it, so a
    million rows loaded in chunks would cost time quadratic in their number."""
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
    return session.info.setdefault(PENDING, {"discharges": set(), "followups": set(),
                                             "surveys": set(), "task_discharges": set(),
                                             "responses": set()})


def _models() -> dict:
    """Watched model -> the columns its summary keys come from."""
    from portal.surveys.models import Answer, Invitation, Response

    return {Discharge: ("ward_id", "discharged_on"),
            FollowUpTask: ("ward_id", "due_on", "discharge_id"),
            Response: ("ward_id", "period"), Invitation: ("ward_id", "period"),
            Answer: ("response_id",)}


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


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances):
    """Records about to change or go: their keys as the database holds them now (the old
    values, whether or not the objects had them loaded)."""
    models = _models()
    ids: dict = {}
    for obj in list(session.dirty) + list(session.deleted):
        model = type(obj)
        if model in models and inspect(obj).identity:
            ids.setdefault(model, set()).add(inspect(obj).identity[0])
    if not ids:
        return
    pending = _pending(session)
    conn = session.connection()
    for model, found in ids.items():
        cols = [getattr(model, c) for c in models[model]]
        for row in conn.execute(select(*cols).where(model.id.in_(sorted(found)))):
            _add(model, dict(zip(models[model], row, strict=True)), pending)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    """New and changed records: their keys as written; then recompute every pending key."""
    models = _models()
    pending = _pending(session)
    for obj in list(session.new) + list(session.dirty):
        names = models.get(type(obj))
        if names:
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
    process(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if any(session.info.get(PENDING, {}).values()):
        process(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(PENDING, None)


def _expand(conn, pending: dict) -> None:
    """Keys of every task of the touched discharges (a task's change moves the 'previous
    task' of the discharge's later tasks) and of the touched responses' answers."""
    from portal.surveys.models import Response

    T = FollowUpTask
    ids = sorted(pending.pop("task_discharges", set()))
    for i in range(0, len(ids), EXPAND_CHUNK):
        pending["followups"] |= {(w, d) for w, d in conn.execute(
            select(T.ward_id, T.due_on).where(T.discharge_id.in_(ids[i:i + EXPAND_CHUNK]))
            .distinct())}
    ids = sorted(pending.pop("responses", set()))
    for i in range(0, len(ids), EXPAND_CHUNK):
        pending["surveys"] |= {(w or 0, p) for w, p in conn.execute(
            select(Response.ward_id, Response.period)
            .where(Response.id.in_(ids[i:i + EXPAND_CHUNK])).distinct())}


def process(session) -> None:
    """Recompute every pending key now (inside the session's transaction)."""
    from portal.dashboard import summaries

    pending = session.info.pop(PENDING, None)
    if not pending or not any(pending.values()) or session.info.get(DEFERRED):
        return
    conn = session.connection()
    _expand(conn, pending)
    for name in ("discharges", "followups", "surveys"):
        if pending.get(name):
            summaries.refresh(conn, name, pending[name])


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
