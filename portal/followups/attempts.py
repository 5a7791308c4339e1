"""Logging a call attempt: what an outcome does to the task, and when to call again.

Outcome -> task status (the metric definitions in PRODUCT.md rely on this mapping):

=================  ===========================================================
reached_patient    completed (counts as *reached* in the reach rate)
reached_family     completed (counts as *reached*)
no_answer, busy    stays pending, rescheduled to the next attempt slot; once the
                   attempts reach the rule's maximum (default 3): lost (失访)
wrong_number       lost: the number we hold cannot reach the patient
refused            completed: contact made, the patient declined (not *reached*)
deceased           completed with that outcome (not *reached*, not lost)
readmitted         cancelled: the patient is back on a ward; no call is due
=================  ===========================================================

So: reach rate = tasks with status completed and last_outcome in REACHED ÷ tasks with
attempts > 0; lost rate = tasks with status lost ÷ tasks with attempts > 0.
`completed_at` is set whenever a task is closed (completed, lost or cancelled).
Functions flush and never commit (one commit per request).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import count
from uuid import uuid4

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from portal.dashboard import summary_events
from portal.extensions import db
from portal.followups.models import RETRY_OUTCOMES, CallAttempt, FollowUpTask
from portal.followups.services import TaskState, get_task_or_404
from portal.followups.worklist import TaskRow, task_row
from portal.timeutil import LOCAL_TZ, local_now

DEFAULT_MAX_ATTEMPTS = 3
KEY_MASK = (1 << 128) - 1   # idempotency keys: 32 hex digits
MORNING_ENDS = time(12, 0)
AFTERNOON_SLOT = time(15, 0)
MORNING_SLOT = time(9, 0)

# outcome -> status when the call closes the task (retry outcomes are handled apart)
ATTEMPTS, TASKS = CallAttempt.__table__, FollowUpTask.__table__
# the task's columns a call changes
TASK_FIELDS = ("attempts", "last_outcome", "status", "next_attempt_at", "completed_at", "version")

CLOSING_STATUS = {
    "reached_patient": "completed",
    "reached_family": "completed",
    "wrong_number": "lost",
    "refused": "completed",
    "deceased": "completed",
    "readmitted": "cancelled",
}


def new_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return uuid4().hex


def key_maker() -> Callable[[], str]:
    """new_key() for the forms of one page: a random 128-bit start, then one more per form.

    Unique within the page and unguessable across pages, like new_key(), for one read
    from the system's random source per page instead of one per row.
    """
    numbers = count(int.from_bytes(os.urandom(16)))
    return lambda: f"{next(numbers) & KEY_MASK:032x}"


# --- attempt slots ---------------------------------------------------------------------------

def next_working_day(day: date) -> date:
    """The first working day after `day`: the one place call slots meet the calendar.

    Uses the holiday calendar (public holidays and 调休 make-up workdays) of the calendar
    feature; Monday to Friday when that feature is absent.
    """
    try:
        from portal.calendar.services import working_days_after
    except ImportError:
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day
    return working_days_after(day, 1)


def next_attempt_slot(after: datetime) -> datetime:
    """When to try again after a no-answer/busy call at `after` (aware), as aware UTC.

    A call in the morning (before 12:00 local) is retried at 15:00 the same day; a call in
    the afternoon or evening at 09:00 on the next working day.
    """
    local = after.astimezone(LOCAL_TZ)
    if local.time() < MORNING_ENDS:
        slot = datetime.combine(local.date(), AFTERNOON_SLOT, LOCAL_TZ)
    else:
        slot = datetime.combine(next_working_day(local.date()), MORNING_SLOT, LOCAL_TZ)
    return slot.astimezone(UTC)


# --- recording -------------------------------------------------------------------------------

class TaskChanged(Exception):
    """The task was closed or changed by someone else since the form was shown."""

    def __init__(self, task: FollowUpTask):
        super().__init__(task.id)
        self.task = task


@dataclass
class AttemptResult:
    task: FollowUpTask | TaskState   # as given to record_attempt (another task's: ORM)
    attempt: CallAttempt
    replayed: bool = False   # the key was already used: nothing new was recorded

    @property
    def row(self) -> TaskRow:
        """The task's worklist row as it is now."""
        return self.task.row() if isinstance(self.task, TaskState) else task_row(self.task)


def find_attempt(key: str) -> CallAttempt | None:
    """The attempt recorded with this idempotency key, if any (one indexed Core statement;
    the ORM object is loaded only for a key that was used: a replay)."""
    attempt_id = db.session.connection().execute(_find_statement(), {"key": key}).scalar()
    return None if attempt_id is None else db.session.get(CallAttempt, attempt_id)


@cache
def _find_statement():
    return select(ATTEMPTS.c.id).where(ATTEMPTS.c.idempotency_key == bindparam("key"))


@cache
def _insert_statement(dialect: str):
    """The attempt, unless its key is used already: then no row and no error (both SQLite
    and PostgreSQL say ON CONFLICT DO NOTHING), so a fresh key costs one statement, with no
    lookup before it, and a used one rolls nothing back."""
    from sqlalchemy.dialects import postgresql, sqlite

    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (make(ATTEMPTS).on_conflict_do_nothing(index_elements=[ATTEMPTS.c.idempotency_key])
            .returning(ATTEMPTS.c.id))


@cache
def _update_statement():
    """The task after a call, if nobody changed it meanwhile (version_id_col by hand)."""
    return (update(TASKS)
            .where(TASKS.c.id == bindparam("task_id"), TASKS.c.version == bindparam("loaded"))
            .values({TASKS.c[name]: bindparam(f"new_{name}") for name in TASK_FIELDS}))


def _max_attempts(task: FollowUpTask | TaskState) -> int:
    if isinstance(task, TaskState):
        found = task.max_attempts
    else:
        found = task.rule.max_attempts if task.rule else None
    return DEFAULT_MAX_ATTEMPTS if found is None else found


def _apply(task: FollowUpTask | TaskState, outcome: str, at: datetime) -> dict:
    """What the call changes on the task: {column: new value} (TASK_FIELDS)."""
    new = {"attempts": task.attempts + 1, "last_outcome": outcome, "status": task.status,
           "next_attempt_at": task.next_attempt_at, "completed_at": task.completed_at,
           "version": task.version + 1}
    if outcome in RETRY_OUTCOMES:
        if new["attempts"] >= _max_attempts(task):
            new.update(status="lost", next_attempt_at=None, completed_at=at)
        else:
            new["next_attempt_at"] = next_attempt_slot(at)
        return new
    new.update(status=CLOSING_STATUS[outcome], next_attempt_at=None, completed_at=at)
    return new


def _replay(task: FollowUpTask | TaskState, existing: CallAttempt, user) -> AttemptResult:
    if existing.task_id != task.id:   # the key was used for another task: show that one
        task = get_task_or_404(existing.task_id, user)
    return AttemptResult(task, existing, replayed=True)


def record_attempt(task: FollowUpTask | TaskState, user, *, outcome: str, key: str, version: int | None,
                   details: dict | None = None, at: datetime | None = None) -> AttemptResult:
    """Log one call attempt on `task` and move the task on, idempotently.

    `task` comes from get_task_or_404(..., for_update=True), or is a TaskState from
    lock_task_state(), in this transaction: its row is locked (SQLite: the request's write transaction), so a parallel request with the same
    key has either committed already, and is found here, or waits for this one.
    The same `key` twice records one attempt: the second call returns the first result
    (replayed=True). A task closed or changed by someone else since the form was shown
    (status not pending, or `version` differs) raises TaskChanged. The result's task is the
    ORM task with the new values, or a new TaskState.
    """
    if task.status != "pending" or (version is not None and version != task.version):
        # moved on since the form was shown: by this very click sent before (a replay)?
        existing = find_attempt(key)
        if existing is not None:
            return _replay(task, existing, user)
        raise TaskChanged(task)
    at = at or local_now()
    details = details or {}
    values = {"task_id": task.id, "nurse_id": user.id, "at": at, "outcome": outcome,
              "idempotency_key": key,
              "answered_by": {"reached_patient": "patient",
                              "reached_family": "family"}.get(outcome),
              "health_status": details.get("health_status") or None,
              "medication": details.get("medication") or None,
              "concerns": details.get("concerns") or "",
              "compliments": details.get("compliments") or "",
              "notes": details.get("notes") or ""}
    new = _apply(task, outcome, at)
    task_id = task.id
    # Two Core statements instead of the ORM's unit of work (which cost more than both of
    # them together); the task is updated only at the version it was read at, like the ORM's
    # version_id_col, and the session's objects are told what was written.
    conn = db.session.connection()
    attempt_id = conn.execute(_insert_statement(conn.dialect.name), values).scalar()
    if attempt_id is None:
        # the key is used: this click sent before (the task is locked, so that one has
        # committed), or the same key saved by a parallel request for another task
        existing = find_attempt(key)
        if existing is None:   # cannot happen: the conflicting row is committed or ours
            raise TaskChanged(task)
        return _replay(task, existing, user)
    changed = conn.execute(_update_statement(), {
        "task_id": task_id, "loaded": task.version,
        **{f"new_{name}": new[name] for name in TASK_FIELDS}}).rowcount
    if changed != 1:   # cannot happen while the row is locked; as the ORM would, roll back
        db.session.rollback()
        existing = find_attempt(key)
        if existing is not None:   # the parallel request was this same click
            return AttemptResult(get_task_or_404(existing.task_id, user), existing, replayed=True)
        raise TaskChanged(get_task_or_404(task_id, user))
    if isinstance(task, TaskState):
        result_task = task._replace(**new)
    else:
        for name in TASK_FIELDS:
            set_committed_value(task, name, new[name])
        result_task = task
    # the dashboard summaries of the task's (ward, day) are marked now, as the ORM flush
    # would have marked them: a read later in this transaction recomputes them
    summary_events.touch_rows(db.session, "followup_tasks", [
        {"ward_id": task.ward_id, "due_on": task.due_on, "discharge_id": task.discharge_id}])
    summary_events.write(db.session)
    attempt = CallAttempt(id=attempt_id, **values)
    make_transient_to_detached(attempt)   # persistent as if loaded: no INSERT at the next flush
    db.session.add(attempt)
    return AttemptResult(result_task, attempt)
