"""Cases waiting for me: computed, not stored, so the count is never out of date.

- head nurse: complaints assigned to one of my wards that my ward must move on
  (assigned, investigating, responded) and praise/suggestions on my wards to acknowledge;
- quality: new cases to triage (received), corrective actions all done (awaiting
  verification), verified cases to close, acknowledged praise to close;
- everyone: open cases I may see whose deadline falls within 1 working day (or has passed).
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from portal.calendar.services import working_days_after
from portal.complaints.models import Complaint, CorrectiveAction, complaint_wards
from portal.complaints.services import OPEN_STATES, visible
from portal.extensions import db
from portal.timeutil import local_today


def _waiting(user):
    soon = working_days_after(local_today(), 1)
    due_soon = and_(Complaint.state.in_(OPEN_STATES), Complaint.next_due_on <= soon)
    mine = [due_soon]
    if user.role == "head_nurse":
        on_my_wards = Complaint.id.in_(select(complaint_wards.c.complaint_id)
                                       .where(complaint_wards.c.ward_id.in_(user.ward_ids)))
        mine.append(and_(on_my_wards, or_(
            Complaint.state.in_(("assigned", "investigating", "responded")),
            and_(Complaint.kind != "complaint", Complaint.state == "received"))))
    if user.role == "quality":
        open_action = select(CorrectiveAction.id).where(
            CorrectiveAction.complaint_id == Complaint.id, CorrectiveAction.status == "open")
        mine.append(or_(Complaint.state.in_(("received", "verified", "acknowledged")),
                        and_(Complaint.state == "corrective_action", ~open_action.exists())))
    return and_(visible(user), or_(*mine))


def waiting_count_query(user):
    return select(func.count(Complaint.id)).where(_waiting(user))


def waiting_count(user) -> int:
    return db.session.scalar(waiting_count_query(user)) or 0


def waiting_query(user):
    from portal.complaints.rows import list_select

    return (list_select(_waiting(user))
            .order_by(Complaint.next_due_on.asc().nulls_last(), Complaint.id))
