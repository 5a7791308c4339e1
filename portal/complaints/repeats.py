"""Repeat flags: the same ward and category within 90 days, or the same staff member within
180 days (COMPLAINT_REPEAT_WARD_DAYS / COMPLAINT_REPEAT_STAFF_DAYS), counting complaints
received before this one. The flag is stored on the case (lists filter on it) and refreshed
whenever wards, category, staff or received time change; the links are computed on demand.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, select, update
from sqlalchemy.orm import selectinload

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


def later_ids(case) -> set[int]:
    """The later complaints that repeat this case now. Taken before a change to the case
    (wards, category, staff, received time, withdrawal), so that refresh() can re-check
    the ones whose only match it was."""
    if case.kind != "complaint" or case.state == "withdrawn" or case.id is None:
        return set()
    ids: set[int] = set()
    for condition in _matches(case, earlier=False):
        ids.update(db.session.scalars(select(Complaint.id).where(condition)))
    return ids


def _repeats_earlier(case) -> bool:
    return case.kind == "complaint" and any(
        db.session.scalar(select(Complaint.id).where(condition).limit(1))
        for condition in _matches(case, earlier=True))


def refresh(case, before: set[int] | frozenset = frozenset()) -> None:
    """Set this case's flag; flag the later complaints that now repeat it; re-check the
    ones in `before` (later_ids() taken before the change) that no longer do: their flag
    is cleared unless another earlier complaint still matches them."""
    db.session.flush()
    case.is_repeat = _repeats_earlier(case)
    after = later_ids(case)
    if after:  # derived, not edited: a Core UPDATE (no version bump, no 409 for others)
        db.session.execute(update(Complaint).where(Complaint.id.in_(after),
                                                   Complaint.is_repeat.is_(False))
                           .values(is_repeat=True).execution_options(synchronize_session=False))
    gone = set(before) - after - {case.id}
    cleared = {other.id for other in db.session.scalars(
        select(Complaint).where(Complaint.id.in_(gone), Complaint.is_repeat.is_(True))
        .options(selectinload(Complaint.wards), selectinload(Complaint.staff)))
        if not _repeats_earlier(other)} if gone else set()
    if cleared:  # a Core UPDATE: the flag is derived, not an edit (no version bump, no 409)
        db.session.execute(update(Complaint).where(Complaint.id.in_(cleared))
                           .values(is_repeat=False).execution_options(synchronize_session=False))
    for other in list(db.session.identity_map.values()):  # loaded before the UPDATEs
        if isinstance(other, Complaint) and other is not case and other.id in after | cleared:
            db.session.expire(other, ["is_repeat"])
