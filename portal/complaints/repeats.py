"""Repeat flags: the same ward and category within 90 days, or the same staff member within
180 days (COMPLAINT_REPEAT_WARD_DAYS / COMPLAINT_REPEAT_STAFF_DAYS), counting complaints
received before this one. The flag is stored on the case (lists filter on it) and refreshed
whenever wards, category, staff or received time change; the links are computed on demand.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from portal.complaints.models import Complaint, complaint_staff, complaint_wards
from portal.extensions import db


def _days(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _matches(case, earlier: bool):
    """A condition on Complaint: another complaint that case repeats (earlier=True) or that
    repeats case (earlier=False)."""
    ward_days = timedelta(days=_days("COMPLAINT_REPEAT_WARD_DAYS", 90))
    staff_days = timedelta(days=_days("COMPLAINT_REPEAT_STAFF_DAYS", 180))
    at = case.received_at

    def window(days):
        if earlier:
            return and_(Complaint.received_at <= at, Complaint.received_at >= at - days)
        return and_(Complaint.received_at >= at, Complaint.received_at <= at + days)

    conditions = []
    ward_ids = [w.id for w in case.wards]
    if ward_ids and case.category_id:
        same_ward = select(complaint_wards.c.complaint_id).where(
            complaint_wards.c.ward_id.in_(ward_ids))
        conditions.append(and_(Complaint.category_id == case.category_id,
                               Complaint.id.in_(same_ward), window(ward_days)))
    staff_ids = [u.id for u in case.staff]
    if staff_ids:
        same_staff = select(complaint_staff.c.complaint_id).where(
            complaint_staff.c.user_id.in_(staff_ids))
        conditions.append(and_(Complaint.id.in_(same_staff), window(staff_days)))
    if not conditions:
        return None
    return and_(Complaint.kind == "complaint", Complaint.state != "withdrawn",
                Complaint.id != case.id, or_(*conditions))


def earlier_cases(case) -> list[Complaint]:
    """The earlier complaints this case repeats, newest first (one query)."""
    condition = _matches(case, earlier=True) if case.kind == "complaint" else None
    if condition is None:
        return []
    return list(db.session.scalars(select(Complaint).where(condition)
                                   .order_by(Complaint.received_at.desc()).limit(20)))


def refresh(case) -> None:
    """Set this case's flag, and flag the later complaints that now repeat it."""
    db.session.flush()
    if case.kind != "complaint":
        case.is_repeat = False
        return
    condition = _matches(case, earlier=True)
    case.is_repeat = bool(condition is not None and db.session.scalar(
        select(Complaint.id).where(condition).limit(1)))
    later = _matches(case, earlier=False)
    if later is not None and case.state != "withdrawn":
        db.session.execute(update(Complaint).where(later, Complaint.is_repeat.is_(False))
                           .values(is_repeat=True).execution_options(synchronize_session=False))
