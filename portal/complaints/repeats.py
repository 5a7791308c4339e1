"""Repeat flags: the same ward and category within 90 days, or the same staff member within
180 days (COMPLAINT_REPEAT_WARD_DAYS / COMPLAINT_REPEAT_STAFF_DAYS), counting complaints
received before this one. The flag is stored on the case (lists filter on it) and refreshed
whenever wards, category, staff or received time change; the links are computed on demand.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, select, update

from portal.complaints.models import Complaint, complaint_staff, complaint_wards
from portal.extensions import db


def _days(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _matches(case, earlier: bool) -> list:
    """Conditions on Complaint, one per rule: the other complaints that case repeats
    (earlier=True) or that repeat case (earlier=False). Each is run as its own query so
    that each can use its index (category + received time; the staff link table)."""
    ward_days = timedelta(days=_days("COMPLAINT_REPEAT_WARD_DAYS", 90))
    staff_days = timedelta(days=_days("COMPLAINT_REPEAT_STAFF_DAYS", 180))
    at = case.received_at

    def window(days):
        if earlier:
            return and_(Complaint.received_at <= at, Complaint.received_at >= at - days)
        return and_(Complaint.received_at >= at, Complaint.received_at <= at + days)

    common = (Complaint.kind == "complaint", Complaint.state != "withdrawn",
              Complaint.id != case.id)
    conditions = []
    ward_ids = [w.id for w in case.wards]
    if ward_ids and case.category_id:
        same_ward = select(complaint_wards.c.complaint_id).where(
            complaint_wards.c.complaint_id == Complaint.id,
            complaint_wards.c.ward_id.in_(ward_ids)).exists()
        conditions.append(and_(*common, Complaint.category_id == case.category_id,
                               window(ward_days), same_ward))
    staff_ids = [u.id for u in case.staff]
    if staff_ids:
        same_staff = select(complaint_staff.c.complaint_id).where(
            complaint_staff.c.user_id.in_(staff_ids))
        conditions.append(and_(*common, Complaint.id.in_(same_staff), window(staff_days)))
    return conditions


def earlier_cases(case) -> list:
    """The earlier complaints this case repeats, newest first: rows (id, reference,
    received_at), at most 20; one query per rule."""
    if case.kind != "complaint":
        return []
    found = {}
    for condition in _matches(case, earlier=True):
        for row in db.session.execute(select(Complaint.id, Complaint.reference,
                                             Complaint.received_at).where(condition)
                                      .order_by(Complaint.received_at.desc()).limit(20)):
            found[row.id] = row
    return sorted(found.values(), key=lambda c: c.received_at, reverse=True)[:20]


def refresh(case) -> None:
    """Set this case's flag, and flag the later complaints that now repeat it."""
    db.session.flush()
    if case.kind != "complaint":
        case.is_repeat = False
        return
    case.is_repeat = any(db.session.scalar(select(Complaint.id).where(condition).limit(1))
                         for condition in _matches(case, earlier=True))
    if case.state == "withdrawn":
        return
    for later in _matches(case, earlier=False):
        db.session.execute(update(Complaint).where(later, Complaint.is_repeat.is_(False))
                           .values(is_repeat=True).execution_options(synchronize_session=False))
