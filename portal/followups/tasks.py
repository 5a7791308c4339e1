"""Follow-up task generation from per-ward rules, and what a rule change does to tasks.

A task is due `days_after` days after discharge and may be called until
`window_end = due + window_days`. Tasks are written in bulk (Core inserts), never
one ORM object per row: an import of 100,000 discharges creates 200,000 tasks.
Changing a rule moves only pending tasks that are not yet due; completed and lost
tasks (and pending ones already due) keep the dates the nurse worked with.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import and_, select, update

from portal.db import utcnow
from portal.extensions import db
from portal.followups.bulk import bulk_insert
from portal.followups.models import Discharge, FollowUpRule, FollowUpTask
from portal.timeutil import local_today

CHUNK = 10_000


class RuleSpec(NamedTuple):
    id: int
    days_after: int
    window_days: int


def active_rules_by_ward(ward_ids: Iterable[int] | None = None) -> dict[int, list[RuleSpec]]:
    """ward id -> the ward's active rules (one query)."""
    query = select(FollowUpRule.id, FollowUpRule.ward_id, FollowUpRule.days_after,
                   FollowUpRule.window_days).where(FollowUpRule.active.is_(True))
    if ward_ids is not None:
        query = query.where(FollowUpRule.ward_id.in_(list(ward_ids)))
    rules: dict[int, list[RuleSpec]] = {}
    for rule_id, ward_id, days, window in db.session.execute(query.order_by(FollowUpRule.id)):
        rules.setdefault(ward_id, []).append(RuleSpec(rule_id, days, window))
    return rules


def task_values(discharge_id: int, ward_id: int, discharged_on: date, rule: RuleSpec,
                now=None) -> dict:
    due = discharged_on + timedelta(days=rule.days_after)
    return {"discharge_id": discharge_id, "rule_id": rule.id, "ward_id": ward_id, "kind": "ward",
            "due_on": due, "window_end": due + timedelta(days=rule.window_days),
            "status": "pending", "attempts": 0, "created_at": now or utcnow(), "version": 1}


def create_tasks(discharges: Iterable[tuple[int, int, date]],
                 rules_by_ward: dict[int, list[RuleSpec]] | None = None) -> int:
    """Create the tasks of new discharges, given as (discharge id, ward id, discharge date).

    Returns how many tasks were written. The caller guarantees the discharges are new
    (the unique constraint on discharge + rule refuses a second task).
    """
    if rules_by_ward is None:
        rules_by_ward = active_rules_by_ward()
    now = utcnow()
    table = FollowUpTask.__table__
    rows: list[dict] = []
    written = 0
    for discharge_id, ward_id, discharged_on in discharges:
        for rule in rules_by_ward.get(ward_id, ()):
            rows.append(task_values(discharge_id, ward_id, discharged_on, rule, now))
        if len(rows) >= CHUNK:
            bulk_insert(table, rows)
            written += len(rows)
            rows = []
    if rows:
        bulk_insert(table, rows)
        written += len(rows)
    return written


def _not_yet_due(rule_id: int, today: date):
    return and_(FollowUpTask.rule_id == rule_id, FollowUpTask.kind == "ward",
                FollowUpTask.due_on > today)


def reschedule_for_rule(rule: FollowUpRule, today: date | None = None) -> int:
    """After a change of days or window: move pending tasks of the rule not yet due.

    Completed, lost and cancelled tasks, and tasks already due (a nurse may be on them),
    are left alone. Returns the number of tasks moved.
    """
    today = today or local_today()
    rows = db.session.execute(
        select(FollowUpTask.id, Discharge.discharged_on)
        .join(Discharge, Discharge.id == FollowUpTask.discharge_id)
        .where(_not_yet_due(rule.id, today), FollowUpTask.status == "pending")
    ).all()
    changes = []
    for task_id, discharged_on in rows:
        due = discharged_on + timedelta(days=rule.days_after)
        changes.append({"task_id": task_id, "due_on": due,
                        "window_end": due + timedelta(days=rule.window_days)})
    _bulk_update_dates(changes)
    return len(changes)


def _touch(condition) -> None:
    """Tasks a bulk UPDATE is about to change: the dashboard summaries recompute them."""
    from portal.dashboard.summary_events import touch_tasks

    touch_tasks(db.session, db.session.scalars(select(FollowUpTask.id).where(condition)))


def _bulk_update_dates(changes: list[dict]) -> None:
    if not changes:
        return
    from portal.dashboard.summary_events import touch_tasks

    touch_tasks(db.session, [c["task_id"] for c in changes])
    from sqlalchemy import bindparam

    table = FollowUpTask.__table__
    stmt = (update(table).where(table.c.id == bindparam("task_id"))
            .values(due_on=bindparam("due_on"), window_end=bindparam("window_end"),
                    version=table.c.version + 1))
    # executemany through the Connection: the ORM's bulk-update-by-primary-key path
    # would want the mapped attribute names and the version counter of each object.
    connection = db.session.connection()
    for start in range(0, len(changes), CHUNK):
        connection.execute(stmt, changes[start:start + CHUNK])


def cancel_for_inactive_rule(rule: FollowUpRule, today: date | None = None) -> int:
    """A deactivated rule: its pending tasks not yet due are cancelled."""
    today = today or local_today()
    _touch(and_(_not_yet_due(rule.id, today), FollowUpTask.status == "pending"))
    result = db.session.execute(
        update(FollowUpTask).where(_not_yet_due(rule.id, today), FollowUpTask.status == "pending")
        .values(status="cancelled", version=FollowUpTask.version + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def tasks_for_new_rule(rule: FollowUpRule, today: date | None = None) -> int:
    """A new (or re-activated) rule applies to the ward's discharges whose call is still ahead.

    Cancelled tasks of the rule that are not yet due come back; discharges without a task
    for this rule and a due date after today get one.
    """
    today = today or local_today()
    _touch(and_(_not_yet_due(rule.id, today), FollowUpTask.status == "cancelled"))
    db.session.execute(
        update(FollowUpTask).where(_not_yet_due(rule.id, today), FollowUpTask.status == "cancelled")
        .values(status="pending", version=FollowUpTask.version + 1)
        .execution_options(synchronize_session=False))
    earliest = today - timedelta(days=rule.days_after) + timedelta(days=1)
    has_task = select(FollowUpTask.id).where(FollowUpTask.discharge_id == Discharge.id,
                                             FollowUpTask.rule_id == rule.id).exists()
    discharges = db.session.execute(
        select(Discharge.id, Discharge.ward_id, Discharge.discharged_on)
        .where(Discharge.ward_id == rule.ward_id, Discharge.discharged_on >= earliest, ~has_task)
    ).all()
    spec = RuleSpec(rule.id, rule.days_after, rule.window_days)
    return create_tasks(((d, w, on) for d, w, on in discharges), {rule.ward_id: [spec]})
