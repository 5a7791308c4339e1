"""The one place that keeps the summary tables current: session events.

Each flush notes the (ward, day) keys its inserts, updates and deletes touch (old and new
values, so a record moved to another ward or day recomputes both) and recomputes them from
the base tables before the transaction goes on. Bulk Core statements that bypass the ORM
(imports, task generation, demo data) call `touch_*`; their keys are recomputed at the next
flush or before commit. A rollback forgets the pending keys.
"""
from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import NO_VALUE

from portal.followups.models import Discharge, FollowUpTask

PENDING = "summary_pending"
EXPAND_CHUNK = 2000


def _pending(session) -> dict:
    return session.info.setdefault(PENDING, {"discharges": set(), "followups": set(),
                                             "surveys": set(), "task_discharges": set(),
                                             "responses": set()})


def _values(obj, name: str, old: bool) -> set:
    """The attribute's current value, and with `old` its value before this flush."""
    state = inspect(obj)
    found = set()
    value = state.dict.get(name, NO_VALUE)
    if value is NO_VALUE and old and not state.transient and not state.pending:
        value = getattr(obj, name)  # before_flush: loading an expired attribute is allowed
    if value is not NO_VALUE:
        found.add(value)
    if old:
        history = state.attrs[name].history
        found.update(v for v in history.deleted if v is not NO_VALUE)
    return found


def _keys(ward_ids: set, days: set) -> set:
    return {(w or 0, d) for w in (ward_ids or {0}) for d in days if d is not None}


def _collect(obj, pending: dict, old: bool) -> None:
    from portal.surveys.models import Answer, Invitation, Response

    v = lambda name: _values(obj, name, old)  # noqa: E731
    if isinstance(obj, Discharge):
        pending["discharges"] |= _keys(v("ward_id"), v("discharged_on"))
    elif isinstance(obj, FollowUpTask):
        pending["followups"] |= _keys(v("ward_id"), v("due_on"))
        pending["task_discharges"] |= {d for d in v("discharge_id") if d is not None}
    elif isinstance(obj, Response):
        pending["surveys"] |= _keys(v("ward_id"), v("period"))
    elif isinstance(obj, Invitation):
        pending["surveys"] |= _keys(v("ward_id"), v("period"))
    elif isinstance(obj, Answer):
        pending["responses"] |= {r for r in v("response_id") if r is not None}


def _watched(obj) -> bool:
    from portal.surveys.models import Answer, Invitation, Response

    return isinstance(obj, (Discharge, FollowUpTask, Response, Invitation, Answer))


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances):
    pending = _pending(session)
    for obj in list(session.dirty) + list(session.deleted):
        if _watched(obj):
            _collect(obj, pending, old=True)


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    pending = _pending(session)
    for obj in list(session.new) + list(session.dirty):
        if _watched(obj):
            _collect(obj, pending, old=False)
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
    if not pending or not any(pending.values()):
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
