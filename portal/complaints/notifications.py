"""Cases waiting for me: computed, not stored, so the count is never out of date.

- head nurse: complaints assigned to one of my wards that my ward must move on
  (assigned, investigating, responded) and praise/suggestions on my wards to acknowledge;
- quality: new cases to triage (received), corrective actions all done (awaiting
  verification), verified cases to close, acknowledged praise to close;
- everyone: open cases I may see whose deadline falls within 1 working day (or has passed).
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, func, or_, select

from portal.calendar.services import working_days_after
from portal.complaints.models import Complaint, CorrectiveAction, complaint_wards
from portal.complaints.services import OPEN_STATES, visible
from portal.extensions import db
from portal.timeutil import local_today


def _parts(user) -> list:
    """The reasons a case waits for this user, as DISJOINT conditions that an index can
    answer (state, or state and deadline): due within a working day; otherwise (no deadline
    or a later one) the states this role moves on. The badge is fetched on every page, so it
    is counted as a sum of per-part counts: one OR over them made SQLite read every case."""
    soon = working_days_after(local_today(), 1)
    not_soon = or_(Complaint.next_due_on.is_(None), Complaint.next_due_on > soon)
    parts = [and_(Complaint.state.in_(OPEN_STATES), Complaint.next_due_on <= soon)]
    if user.role == "head_nurse":
        on_my_wards = Complaint.id.in_(select(complaint_wards.c.complaint_id)
                                       .where(complaint_wards.c.ward_id.in_(user.ward_ids)))
        parts.append(and_(Complaint.state.in_(("assigned", "investigating", "responded")),
                          not_soon, on_my_wards))
        parts.append(and_(Complaint.state == "received", not_soon,
                          Complaint.kind != "complaint", on_my_wards))
    if user.role == "quality":
        open_action = select(CorrectiveAction.id).where(
            CorrectiveAction.complaint_id == Complaint.id, CorrectiveAction.status == "open")
        parts.append(and_(Complaint.state.in_(("received", "verified", "acknowledged")),
                          not_soon))
        parts.append(and_(Complaint.state == "corrective_action", not_soon,
                          ~open_action.exists()))
    return parts


def _waiting(user):
    return and_(visible(user), or_(*_parts(user)))


def waiting_count_query(user):
    """SELECT (count of part 1) + (count of part 2) + ...: the parts are disjoint."""
    see = visible(user)
    counts = [select(func.count(Complaint.id)).where(see, part).scalar_subquery()
              for part in _parts(user)]
    return select(sum(counts[1:], counts[0]))


def waiting_count(user) -> int:
    return db.session.scalar(waiting_count_query(user)) or 0


def waiting_query(user):
    from portal.complaints.rows import list_select

    return (list_select(_waiting(user))
            .order_by(Complaint.next_due_on.asc().nulls_last(), Complaint.id))


def waiting_statements(user) -> tuple:
    """(rows statement with parameters `limit` and `offset`, count statement, parameters):
    one page of the cases waiting for this user (rows.page_of)."""
    return (waiting_query(user).limit(bindparam("limit")).offset(bindparam("offset")),
            waiting_count_query(user), {})
