"""Follow-up figures: follow-up rate, reach rate, lost-to-follow-up rate, discharges.

Counted over ward follow-up tasks (not the quality staff's sampled second-level calls,
not cancelled ones) whose due date falls in the period, up to today. A task counts as
attempted when at least one call was logged on it (`attempts > 0`); as reached when it was
completed with the patient or the family on the line (`last_outcome`); as lost when the
worklist closed it as lost to follow-up after the last allowed attempt.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, distinct, func, or_, select

from portal.dashboard.models import DischargeDaily, FollowUpDaily
from portal.dashboard.sqlutil import grouped, month_of_date
from portal.extensions import db
from portal.followups.models import REACHED, Discharge
from portal.followups.models import FollowUpTask as T

NAME = "followups"
ATTEMPTED = T.attempts > 0
REACHED_TASK = and_(ATTEMPTED, T.status == "completed", T.last_outcome.in_(REACHED))
LOST_TASK = and_(ATTEMPTED, T.status == "lost")

TASK_COUNTS = ("discharges_due", "discharges_attempted", "tasks_attempted",
               "tasks_reached", "tasks_lost")
COUNT_NAMES = TASK_COUNTS + ("discharges",)

# (metric, part) -> (record kind, condition on the task, or None for every task in scope)
PARTS = {
    ("followup_rate", "numerator"): ("discharges", ATTEMPTED),
    ("followup_rate", "denominator"): ("discharges", None),
    ("reach_rate", "numerator"): ("tasks", REACHED_TASK),
    ("reach_rate", "denominator"): ("tasks", ATTEMPTED),
    ("lost_rate", "numerator"): ("tasks", LOST_TASK),
    ("lost_rate", "denominator"): ("tasks", ATTEMPTED),
    ("discharges", "numerator"): ("discharged", None),
}


def _scope(start: date, end: date, ward_ids):
    conds = [T.kind == "ward", T.status != "cancelled", T.due_on >= start, T.due_on <= end]
    if ward_ids is not None:
        conds.append(T.ward_id.in_(ward_ids))
    return conds


def _discharge_scope(start: date, end: date, ward_ids):
    conds = [Discharge.discharged_on >= start, Discharge.discharged_on <= end]
    if ward_ids is not None:
        conds.append(Discharge.ward_id.in_(ward_ids))
    return conds


def _key(by: str | None, ward_col, date_col):
    if by == "ward":
        return [ward_col]
    if by == "month":
        return [month_of_date(date_col)]
    return []


def aggregate(start: date, end: date, ward_ids=None, by: str | None = None, **_filters) -> dict:
    """{ward id | 'YYYY-MM' | None: {count name: n}} from the daily summary tables
    (portal/dashboard/models.py): two GROUP BY queries over days, not over records."""
    from portal.dashboard import summaries

    summaries.current()
    F, DD = FollowUpDaily, DischargeDaily
    # a task is its discharge's first in the bucket when the previous one is due before the
    # bucket starts: before `start`, or for a month bucket before max(start, first of month)
    first = F.prev_day < start
    if by == "month":
        first = or_(first, month_of_date(F.prev_day) < month_of_date(F.day))
    total = lambda col: func.coalesce(func.sum(col), 0)  # noqa: E731
    key = _key(by, F.ward_id, F.day)
    tasks = select(*key, total(case((first, F.due_links), else_=0)),
                   total(case((first, F.attempted_links), else_=0)),
                   total(F.tasks_attempted), total(F.tasks_reached), total(F.tasks_lost)
                   ).where(*_days(F, start, end, ward_ids))
    if key:
        tasks = tasks.group_by(*key)
    result = grouped(db.session.execute(tasks), by, TASK_COUNTS)
    dkey = _key(by, DD.ward_id, DD.day)
    discharged = select(*dkey, total(DD.discharges)).where(*_days(DD, start, end, ward_ids))
    if dkey:
        discharged = discharged.group_by(*dkey)
    for k, counts in grouped(db.session.execute(discharged), by, ("discharges",)).items():
        result.setdefault(k, dict.fromkeys(TASK_COUNTS, 0)).update(counts)
    for counts in result.values():
        counts.setdefault("discharges", 0)
    return result


def _days(table, start: date, end: date, ward_ids) -> list:
    conds = [table.day >= start, table.day <= end]
    if ward_ids is not None:
        conds.append(table.ward_id.in_(ward_ids))
    return conds


def drill_kind(metric: str, part: str) -> str | None:
    found = PARTS.get((metric, part))
    return found[0] if found else None


def drill_counts(metric: str, part: str, start: date, end: date, ward_ids=None, **_f):
    """[(ward id, 'YYYY-MM', n)] behind one part of a figure (what leaders see)."""
    kind, cond = PARTS[(metric, part)]
    if kind == "discharged":
        month = month_of_date(Discharge.discharged_on)
        q = (select(Discharge.ward_id, month, func.count())
             .where(*_discharge_scope(start, end, ward_ids)))
        return db.session.execute(q.group_by(Discharge.ward_id, month).order_by(
            Discharge.ward_id, month)).all()
    conds = _scope(start, end, ward_ids) + ([cond] if cond is not None else [])
    if kind == "discharges":
        # each discharge once, in the month of its first task due in the period,
        # so the cells add up to the figure
        first = (select(T.ward_id.label("ward_id"), func.min(T.due_on).label("due_on"))
                 .where(*conds).group_by(T.discharge_id, T.ward_id).subquery())
        month = month_of_date(first.c.due_on)
        q = select(first.c.ward_id, month, func.count()).group_by(first.c.ward_id, month)
        return db.session.execute(q.order_by(first.c.ward_id, month)).all()
    month = month_of_date(T.due_on)
    q = select(T.ward_id, month, func.count()).where(*conds).group_by(T.ward_id, month)
    return db.session.execute(q.order_by(T.ward_id, month)).all()


def drill_rows(metric: str, part: str, start: date, end: date, ward_ids=None, **_f):
    """A select() of the records behind one part of a figure, for a paginated list."""
    kind, cond = PARTS[(metric, part)]
    if kind == "discharged":
        return (select(Discharge).where(*_discharge_scope(start, end, ward_ids))
                .order_by(Discharge.discharged_on.desc(), Discharge.id.desc()))
    conds = _scope(start, end, ward_ids) + ([cond] if cond is not None else [])
    if kind == "discharges":
        ids = select(T.discharge_id).where(*conds)
        return (select(Discharge).where(Discharge.id.in_(ids))
                .order_by(Discharge.discharged_on.desc(), Discharge.id.desc()))
    return select(T).where(*conds).order_by(T.due_on.desc(), T.id.desc())


def today_calls(ward_ids) -> dict:
    """Today on the ward: tasks called today (done) and pending tasks due by today (left)."""
    from portal.dashboard.sqlutil import utc_bounds
    from portal.followups.models import CallAttempt
    from portal.timeutil import local_today

    today = local_today()
    lo, hi = utc_bounds(today, today)
    done = db.session.scalar(
        select(func.count(distinct(CallAttempt.task_id))).join(T, T.id == CallAttempt.task_id)
        .where(CallAttempt.at >= lo, CallAttempt.at < hi, T.ward_id.in_(ward_ids)))
    left = db.session.scalar(
        select(func.count()).select_from(T)
        .where(T.ward_id.in_(ward_ids), T.status == "pending", T.kind == "ward",
               T.due_on <= today, (T.next_attempt_at.is_(None)) | (T.next_attempt_at < hi)))
    return {"done": done or 0, "left": left or 0}


def second_level(filters) -> dict:
    """Sampled second-level calls (抽查回访) due in the period: done, pending, and agreement
    (the quality call reached the patient when the ward's call did)."""
    from sqlalchemy.orm import aliased

    start, end = filters.period.clipped()
    Q, W = T, aliased(T)
    # status IN (...), not != 'cancelled': SQLite then reads the few quality tasks through
    # (kind, status, due_on) instead of every ward task of the period (0.8 s at 100,000)
    conds = [Q.kind == "quality", Q.due_on >= start, Q.due_on <= end,
             Q.status.in_(("pending", "completed", "lost"))]
    if filters.ward_ids is not None:
        conds.append(Q.ward_id.in_(filters.ward_ids))
    done = and_(Q.status != "pending")
    agree = and_(Q.status == "completed", Q.last_outcome.in_(REACHED),
                 W.status == "completed", W.last_outcome.in_(REACHED))
    row = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((done, 1), else_=0)), 0),
               func.coalesce(func.sum(case((agree, 1), else_=0)), 0))
        .select_from(Q).outerjoin(W, W.id == Q.sampled_task_id).where(*conds)).one()
    return {"total": row[0], "done": int(row[1]), "agree": int(row[2])}
