"""Complaint figures: complaints per 1,000 discharges, on-time first-response rate, praise,
open and overdue cases, corrective actions open and overdue; counted in SQL.

A case may involve several wards: each ward counts it, the hospital counts it once
(ADDITIVE = False makes the dashboard count the hospital total without grouping).
Complaints are counted on the local (Asia/Shanghai) day they were received; withdrawn
complaints are left out. Open, overdue and action counts are as of today (snapshots).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, exists, func, select

from portal.dashboard import summaries, summary_sql
from portal.dashboard.complaints_lists import (
    EXPORT_COLUMNS,
    LEADER_TEMPLATE,
    QUEUE_TEMPLATE,
    queue,
    report_lists,
    top_categories,
    with_loads,
)
from portal.dashboard.metrics import Metric
from portal.dashboard.models import ComplaintDaily
from portal.dashboard.sqlutil import (
    grouped,
    local_date_of,
    month_of_date,
    month_of_datetime,
    rare,
    utc_bounds,
)
from portal.extensions import db
from portal.timeutil import local_today

try:
    from portal.complaints.models import STATES, Complaint, CorrectiveAction, complaint_wards
    # every state but closed and withdrawn, as a list an index can use
    OPEN_STATES = tuple(s for s in STATES if s not in ("closed", "withdrawn"))
    AVAILABLE = True
except ImportError:  # the complaints feature is not built on this branch
    AVAILABLE = False

NAME = "complaints"
ADDITIVE = False
CLOSED = ("closed", "withdrawn")
PERIOD_COUNTS = ("complaints", "praise", "deadline_due", "on_time")
SNAPSHOT_COUNTS = ("open_cases", "overdue_cases", "actions_open", "actions_overdue")

METRICS = (
    Metric("complaint_rate", "complaints", _l("Complaints per 1,000 discharges"),
           _l("Complaint rate (投诉率) = complaints ÷ discharges × 1,000 (complaints received in "
              "the period, withdrawn ones left out; discharges in the period)."),
           "complaints", "discharges", unit="per1000", higher_is_better=False,
           numerator_label=_l("Complaints"), denominator_label=_l("Discharges")),
    Metric("on_time_rate", "complaints", _l("On-time first response"),
           _l("On-time response rate (按时回复率) = complaints answered within their deadline ÷ "
              "complaints whose deadline fell in the period (up to today)."),
           "on_time", "deadline_due", numerator_label=_l("Answered on time"),
           denominator_label=_l("Deadlines in the period")),
    Metric("praise", "complaints", _l("Praise"),
           _l("Praise (表扬): praise, banners and letters of thanks received in the period."),
           "praise", None, unit="count", numerator_label=_l("Praise")),
    Metric("open_cases", "complaints", _l("Open complaints"),
           _l("Open complaints (未结案投诉): complaints not closed or withdrawn, as of today."),
           "open_cases", None, unit="count", higher_is_better=False, snapshot=True,
           numerator_label=_l("Open complaints")),
    Metric("overdue_cases", "complaints", _l("Overdue complaints"),
           _l("Overdue complaints (超期投诉): open complaints whose next deadline has passed, "
              "as of today."),
           "overdue_cases", None, unit="count", higher_is_better=False, snapshot=True,
           numerator_label=_l("Overdue complaints")),
    Metric("actions_open", "complaints", _l("Corrective actions open"),
           _l("Corrective actions open (未完成整改措施), as of today; overdue when past their "
              "due date."),
           "actions_open", None, unit="count", higher_is_better=False, snapshot=True,
           numerator_label=_l("Open actions")),
    Metric("actions_overdue", "complaints", _l("Corrective actions overdue"),
           _l("Corrective actions overdue (超期整改措施): open actions past their due date, "
              "as of today."),
           "actions_overdue", None, unit="count", higher_is_better=False, snapshot=True,
           numerator_label=_l("Overdue actions")),
)


def _conds(start: date, end: date) -> dict:
    """Conditions on a case for each count (the drill-downs; snapshot ones ignore the period).
    The period counts of the figures come from summary_complaints_daily, which
    portal/dashboard/summary_sql.complaint_rows fills with the same conditions."""
    lo, hi = utc_bounds(start, end)
    today = local_today()
    complaint = and_(Complaint.kind == "complaint", Complaint.state != "withdrawn")
    due = and_(complaint, Complaint.response_due_on >= start, Complaint.response_due_on <= end)
    is_open = and_(Complaint.kind == "complaint", Complaint.state.not_in(CLOSED))
    return {
        "complaints": and_(complaint, Complaint.received_at >= lo, Complaint.received_at < hi),
        "praise": and_(Complaint.kind == "praise", Complaint.received_at >= lo,
                       Complaint.received_at < hi),
        "deadline_due": due,
        "on_time": and_(due, Complaint.responded_at.is_not(None),
                        local_date_of(Complaint.responded_at) <= Complaint.response_due_on),
        "open_cases": is_open,
        "overdue_cases": and_(is_open, Complaint.next_due_on < today),
    }


def _ward_join(q, ward_ids, by_ward: bool):
    if ward_ids is None and not by_ward:
        return q
    q = q.join(complaint_wards, complaint_wards.c.complaint_id == Complaint.id)
    if ward_ids is not None:
        q = q.where(complaint_wards.c.ward_id.in_(ward_ids))
    return q


def by_ward_set(rows, ward_ids, by: str | None, names: tuple[str, ...]) -> dict:
    """Counts per ward set (rows: [group key,] ward set, counts...) to {group: {name: n}}:
    a case counts once for the hospital and for any choice of wards, once in each of its
    wards when grouped by ward."""
    chosen = None if ward_ids is None else set(ward_ids)
    result: dict = {}
    for row in rows:
        key, wards, values = (row[0], row[1], row[2:]) if by == "month" else \
            (None, row[0], row[1:])
        wards = summary_sql.set_wards(wards)
        if by == "ward":
            targets = [w for w in wards if chosen is None or w in chosen]
        else:
            targets = [key] if chosen is None or chosen.intersection(wards) else []
        for target in targets:
            counts = result.setdefault(target, dict.fromkeys(names, 0))
            for name, v in zip(names, values, strict=False):
                counts[name] += int(v or 0)
    return result


def aggregate(start: date, end: date, ward_ids=None, by: str | None = None, **_f) -> dict:
    """Period counts from the daily summary (per ward set: see ComplaintDaily); open and
    overdue cases and actions as of today from the open ones (an indexed, small set)."""
    summaries.current()
    S = ComplaintDaily
    key = [month_of_date(S.day)] if by == "month" else []
    q = (select(*key, S.wards, *[func.sum(getattr(S, n)) for n in PERIOD_COUNTS])
         .where(S.day >= start, S.day <= end).group_by(*key, S.wards))
    if ward_ids is not None:
        q = q.where(summary_sql.complaint_ward_filter(S.__table__, ward_ids))
    names = PERIOD_COUNTS + (() if by == "month" else SNAPSHOT_COUNTS)
    result = by_ward_set(db.session.execute(q), ward_ids, by, names)
    if by is None:
        result.setdefault(None, dict.fromkeys(names, 0))
    if by == "month":
        return result
    today = local_today()
    count = lambda cond: func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # noqa: E731
    # the open cases through (state, next_due_on), each case's wards looked up by its key:
    # state alone (the counts check the kind), or SQLite reads every case ever through
    # (kind, received_at), or every case of the ward through complaint_wards
    A = CorrectiveAction
    for counted, rows in (
            (SNAPSHOT_COUNTS[:2], _snapshot(
                [count(Complaint.kind == "complaint"),
                 count(and_(Complaint.kind == "complaint", Complaint.next_due_on < today))],
                Complaint, rare(Complaint.state.in_(OPEN_STATES)), Complaint.id, ward_ids, by)),
            (SNAPSHOT_COUNTS[2:], _snapshot(
                [count(A.status == "open"), count(A.due_on < today)],
                A, rare(A.status == "open"), A.complaint_id, ward_ids, by))):
        for k, counts in grouped(db.session.execute(rows), by, counted).items():
            result.setdefault(k, dict.fromkeys(names, 0)).update(counts)
    return result


def _snapshot(counts: list, table, where, case_id, ward_ids, by):
    """Counts over some open records: for the chosen wards (a case once), or per ward (a
    case in each of its wards); the wards looked up by each record's case."""
    cw = complaint_wards.c
    key = [cw.ward_id] if by == "ward" else []
    q = select(*key, *counts).select_from(table).where(where)
    if by == "ward":
        q = q.join(complaint_wards, cw.complaint_id == case_id).group_by(cw.ward_id)
        if ward_ids is not None:
            q = q.where(cw.ward_id.in_(ward_ids))
    elif ward_ids is not None:
        q = q.where(exists().where(cw.complaint_id == case_id, cw.ward_id.in_(ward_ids)))
    return q


PARTS = {("complaint_rate", "numerator"): "complaints", ("on_time_rate", "numerator"): "on_time",
         ("on_time_rate", "denominator"): "deadline_due", ("praise", "numerator"): "praise",
         ("open_cases", "numerator"): "open_cases", ("overdue_cases", "numerator"): "overdue_cases"}


def drill_kind(metric: str, part: str) -> str | None:
    if (metric, part) == ("complaint_rate", "denominator"):
        return "discharged"
    return "cases" if (metric, part) in PARTS else None


def _case_conds(metric, part, start, end, category=None):
    conds = [_conds(start, end)[PARTS[(metric, part)]]]
    if category:
        from portal.complaints.models import ComplaintCategory

        conds.append(Complaint.category_id.in_(
            select(ComplaintCategory.id).where(ComplaintCategory.code == category)))
    return conds


def drill_counts(metric, part, start, end, ward_ids=None, category=None, **_f):
    if drill_kind(metric, part) == "discharged":
        from portal.dashboard import metrics_followups

        return metrics_followups.drill_counts("discharges", "numerator", start, end, ward_ids)
    month = month_of_datetime(Complaint.received_at) if PARTS[(metric, part)] in (
        "complaints", "praise") else month_of_date(Complaint.response_due_on)
    q = _ward_join(select(complaint_wards.c.ward_id, month, func.count(distinct(Complaint.id)))
                   .select_from(Complaint), ward_ids, True)
    q = q.where(*_case_conds(metric, part, start, end, category))
    return db.session.execute(q.group_by(complaint_wards.c.ward_id, month)
                              .order_by(complaint_wards.c.ward_id, month)).all()


def drill_rows(metric, part, start, end, ward_ids=None, category=None, **_f):
    if drill_kind(metric, part) == "discharged":
        from portal.dashboard import metrics_followups

        return metrics_followups.drill_rows("discharges", "numerator", start, end, ward_ids)
    ids = _ward_join(select(Complaint.id), ward_ids, False).where(
        *_case_conds(metric, part, start, end, category))
    return (select(Complaint).where(Complaint.id.in_(ids))
            .order_by(Complaint.received_at.desc(), Complaint.id.desc()))


__all__ = ["EXPORT_COLUMNS", "LEADER_TEMPLATE", "QUEUE_TEMPLATE", "queue", "report_lists",
           "top_categories", "with_loads"]
