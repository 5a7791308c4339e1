"""Sampled second-level follow-up (抽查回访): draw discharges whose ward call is done, create
quality-owned tasks for them, and measure how often the quality call agrees with the ward's.

Agreement (computed in SQL, per ward and overall), over sampled tasks the quality staff closed:
- reached: both calls reached the patient or family, or neither did;
- health status: both calls reached someone and recorded the same health status
  (out of the pairs where both recorded one).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Numeric, and_, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from portal.audit.services import record
from portal.extensions import db
from portal.followups.models import REACHED, CallAttempt, Discharge, FollowUpTask
from portal.timeutil import local_today
from portal.wards.models import Ward

MAX_SAMPLE = 500
QUALITY_WINDOW_DAYS = 7   # a sampled quality call is due within a week


def draw_sample(user, ward: Ward, date_from: date, date_to: date, size: int) -> list[FollowUpTask]:
    """Create up to `size` quality tasks for a random sample of the ward's discharges in the
    period whose ward task is completed and which were not sampled before."""
    T, Q = FollowUpTask, aliased(FollowUpTask)
    sampled_before = exists(select(Q.id).where(Q.kind == "quality",
                                               Q.discharge_id == T.discharge_id))
    picked = db.session.scalars(
        select(func.min(T.id)).join(T.discharge)
        .where(Discharge.ward_id == ward.id, Discharge.discharged_on >= date_from,
               Discharge.discharged_on <= date_to, T.kind == "ward", T.status == "completed",
               ~sampled_before)
        .group_by(T.discharge_id).order_by(func.random()).limit(size)).all()
    today = local_today()
    created = []
    for ward_task in db.session.scalars(select(T).where(T.id.in_(picked))):
        task = FollowUpTask(discharge_id=ward_task.discharge_id, rule_id=None,
                            ward_id=ward_task.ward_id, kind="quality", due_on=today,
                            window_end=today + timedelta(days=QUALITY_WINDOW_DAYS),
                            assignee_id=user.id, sampled_task_id=ward_task.id)
        db.session.add(task)
        created.append(task)
    db.session.flush()
    record("followup.sample_drawn", object_type="wards", object_id=ward.id,
           requested=size, created=len(created), date_from=date_from.isoformat(),
           date_to=date_to.isoformat())
    return created


@dataclass
class Agreement:
    ward_code: str
    ward_name: str
    sampled: int
    closed: int
    reached_agree: int
    reached_pct: float | None
    health_compared: int
    health_agree: int
    health_pct: float | None


def _pct(part, whole):
    # numeric on PostgreSQL (round(double, int) does not exist there), real on SQLite
    return func.round(literal(Decimal("100.0"), Numeric(10, 1)) * part / func.nullif(whole, 0), 1)


def agreement() -> tuple[list[Agreement], Agreement | None]:
    """Agreement between quality and ward calls: per ward, and overall (two SQL queries)."""
    Q, W = aliased(FollowUpTask), aliased(FollowUpTask)
    QA, WA = aliased(CallAttempt), aliased(CallAttempt)

    def reached(t):
        return case((and_(t.status == "completed", t.last_outcome.in_(REACHED)), 1), else_=0)

    closed = Q.status != "pending"
    both_health = and_(closed, QA.health_status.is_not(None), WA.health_status.is_not(None))
    n_closed = func.count().filter(closed)
    n_reached = func.count().filter(and_(closed, reached(Q) == reached(W)))
    n_health = func.count().filter(both_health)
    n_health_agree = func.count().filter(and_(both_health, QA.health_status == WA.health_status))
    columns = (func.count(Q.id), n_closed, n_reached, _pct(n_reached, n_closed),
               n_health, n_health_agree, _pct(n_health_agree, n_health))
    base = (select().select_from(Q).join(W, W.id == Q.sampled_task_id)
            .outerjoin(QA, and_(QA.task_id == Q.id, QA.outcome.in_(REACHED)))
            .outerjoin(WA, and_(WA.task_id == W.id, WA.outcome.in_(REACHED)))
            .where(Q.kind == "quality"))
    per_ward = db.session.execute(
        base.add_columns(Ward.code, Ward.name, *columns).join(Ward, Ward.id == Q.ward_id)
        .group_by(Ward.id, Ward.code, Ward.name).order_by(Ward.code)).all()
    rows = [Agreement(code, name, *_numbers(rest)) for code, name, *rest in per_ward]
    total = db.session.execute(base.add_columns(*columns)).one()
    overall = Agreement("", "", *_numbers(total)) if total[0] else None
    return rows, overall


def _numbers(values):
    sampled, closed, r_agree, r_pct, h_n, h_agree, h_pct = values
    return (sampled, closed, r_agree, float(r_pct) if r_pct is not None else None,
            h_n, h_agree, float(h_pct) if h_pct is not None else None)
