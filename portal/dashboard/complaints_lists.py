"""Complaint lists for the dashboards and the monthly report: the quality queue, top
categories, the month's cases and corrective actions. No complainant names or phones here."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from portal.dashboard.sqlutil import rare, utc_bounds
from portal.extensions import db
from portal.timeutil import local_today, to_local

try:
    from portal.complaints.models import (
        STATES,
        Complaint,
        ComplaintCategory,
        CorrectiveAction,
        complaint_wards,
    )
    OPEN_STATES = tuple(s for s in STATES if s not in ("closed", "withdrawn"))
except ImportError:  # pragma: no cover - metrics_complaints.AVAILABLE is False then
    Complaint = None

QUEUE_TEMPLATE = "dashboard/_queue_complaints.html"
LEADER_TEMPLATE = "dashboard/_complaint_categories.html"
QUEUE_LIMIT = 15
CLOSED = ("closed", "withdrawn")


def _in_wards(q, column, ward_ids):
    if ward_ids is None:
        return q
    return q.where(column.in_(select(complaint_wards.c.complaint_id)
                              .where(complaint_wards.c.ward_id.in_(ward_ids))))


def with_loads(query, kind):
    return query.options(selectinload(Complaint.wards), selectinload(Complaint.category))


def queue(filters) -> dict:
    """Open complaints by nearest deadline, overdue and repeat counts, actions due."""
    today = local_today()
    # state IN (the open ones), not NOT IN: an index reads the open cases, not every case ever
    is_open = [Complaint.kind == "complaint", rare(Complaint.state.in_(OPEN_STATES))]
    base = _in_wards(select(Complaint).where(*is_open), Complaint.id, filters.ward_ids)
    cases = db.session.scalars(
        with_loads(base, "cases").order_by(Complaint.next_due_on.is_(None),
                                           Complaint.next_due_on, Complaint.id)
        .limit(QUEUE_LIMIT)).all()
    flag = lambda cond: func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # noqa: E731
    counts = _in_wards(select(func.count(), flag(Complaint.next_due_on < today),
                              flag(Complaint.is_repeat.is_(True)))
                       .select_from(Complaint).where(*is_open), Complaint.id, filters.ward_ids)
    total, overdue, repeats = db.session.execute(counts).one()
    A = CorrectiveAction
    actions = db.session.scalars(_in_wards(
        select(A).where(A.status == "open").options(selectinload(A.complaint)),
        A.complaint_id, filters.ward_ids).order_by(A.due_on, A.id).limit(QUEUE_LIMIT)).all()
    return {"complaints": {"rows": cases, "total": total, "overdue": overdue or 0,
                           "repeats": repeats or 0, "today": today, "actions": actions}}


def top_categories(filters, limit: int = 5) -> list[tuple[str, str, int]]:
    """[(category code, label, complaints)] received in the period, most first (from the
    daily summary; a case on several of the chosen wards counts once)."""
    from portal.dashboard import summaries
    from portal.dashboard.metrics_complaints import by_ward_set
    from portal.dashboard.models import ComplaintDaily as S
    from portal.dashboard.summary_sql import complaint_ward_filter

    summaries.current()
    start, end = filters.period.clipped()
    q = (select(S.category_id, S.wards, func.sum(S.complaints))
         .where(S.day >= start, S.day <= end, S.category_id != 0, S.complaints > 0)
         .group_by(S.category_id, S.wards))
    if filters.ward_ids is not None:
        q = q.where(complaint_ward_filter(S.__table__, filters.ward_ids))
    counts = by_ward_set(db.session.execute(q), filters.ward_ids, "month", ("complaints",))
    cats = {c.id: c for c in db.session.scalars(
        select(ComplaintCategory).where(ComplaintCategory.id.in_(list(counts))))}
    english = str(get_locale()) == "en"
    rows = [(cats[i].code, cats[i].name_en if english else cats[i].name_zh, n["complaints"])
            for i, n in counts.items() if i in cats and n["complaints"]]
    rows.sort(key=lambda r: (-r[2], r[0]))
    return rows[:limit]


def _case_row(c) -> list:
    return [c.reference, c.kind, " ".join(w.code for w in c.wards),
            c.category.label(str(get_locale())) if c.category else "", c.severity, c.state,
            to_local(c.received_at).strftime("%Y-%m-%d"),
            c.response_due_on.isoformat() if c.response_due_on else "",
            to_local(c.responded_at).strftime("%Y-%m-%d") if c.responded_at else ""]


def report_lists(filters, user) -> dict:
    """Complaints and praise received in the month; corrective actions open or due in it."""
    lo, hi = utc_bounds(filters.period.start, filters.period.end)
    cases = db.session.scalars(with_loads(_in_wards(
        select(Complaint).where(Complaint.received_at >= lo, Complaint.received_at < hi),
        Complaint.id, filters.ward_ids), "cases").order_by(Complaint.received_at)).all()
    A = CorrectiveAction
    actions = db.session.scalars(_in_wards(
        select(A).where((A.status == "open") | (A.due_on.between(filters.period.start,
                                                                 filters.period.end)))
        .options(selectinload(A.complaint).selectinload(Complaint.wards)),
        A.complaint_id, filters.ward_ids).order_by(A.due_on, A.id)).all()
    return {
        "complaints": {"title": _l("Complaints and praise of the month"),
                       "headers": [_l("Reference"), _l("Kind"), _l("Wards"), _l("Category"),
                                   _l("Severity"), _l("State"), _l("Received"),
                                   _l("Response due"), _l("Responded")],
                       "rows": [_case_row(c) for c in cases]},
        "actions": {"title": _l("Corrective actions"),
                    "headers": [_l("Reference"), _l("Wards"), _l("Corrective action"), _l("Owner"),
                                _l("Due"), _l("Status"), _l("Effective")],
                    "rows": [[a.complaint.reference,
                              " ".join(w.code for w in a.complaint.wards), a.what,
                              a.owner_name, a.due_on.isoformat(), a.status,
                              "" if a.effective is None else ("✓" if a.effective else "✗")]
                             for a in actions]},
    }


def _export_columns():
    from portal.reports.exports import Column

    return {"cases": [Column(title, (lambda c, i=i: _case_row(c)[i]))
                      for i, title in enumerate(
                          [_l("Reference"), _l("Kind"), _l("Wards"), _l("Category"),
                           _l("Severity"), _l("State"), _l("Received"), _l("Response due"),
                           _l("Responded")])]}


EXPORT_COLUMNS = _export_columns() if Complaint is not None else {}
