"""Cases: who may see which, filing a new one, the register and queue queries.

Object access: quality staff see every case; nurses and head nurses the cases of their
wards and the ones they received or filed; leaders and admins no case rows (404).
Changes to an existing case live in portal/complaints/changes.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import abort
from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import selectinload

from portal.audit.services import record
from portal.complaints import deadlines, repeats
from portal.complaints.models import (
    STATES,
    Complaint,
    ComplaintCategory,
    CorrectiveAction,
    complaint_staff,
    complaint_wards,
)
from portal.complaints.phones import normalise_phone
from portal.complaints.references import next_reference
from portal.complaints.workflow import CLOSED_STATES
from portal.db import utcnow
from portal.extensions import db
from portal.timeutil import to_local

OPEN_STATES = tuple(s for s in STATES if s not in CLOSED_STATES)


def visible(user):
    """A condition on Complaint: the cases this user may see."""
    if user.role == "quality":
        return true()
    if user.role in ("nurse", "head_nurse"):
        mine = select(complaint_wards.c.complaint_id).where(
            complaint_wards.c.ward_id.in_(user.ward_ids))
        return or_(Complaint.id.in_(mine), Complaint.receiver_id == user.id,
                   Complaint.filed_by_id == user.id)
    return false()


def get_complaint_or_404(case_id: int, user) -> Complaint:
    case = db.session.scalar(select(Complaint).where(Complaint.id == case_id, visible(user))
                             .options(selectinload(Complaint.wards),
                                      selectinload(Complaint.staff),
                                      selectinload(Complaint.causes),
                                      selectinload(Complaint.actions)
                                      .selectinload(CorrectiveAction.owner)))
    if case is None:
        abort(404)
    return case


def categories(*, active_only: bool = True) -> list[ComplaintCategory]:
    query = select(ComplaintCategory).order_by(ComplaintCategory.sort, ComplaintCategory.id)
    if active_only:
        query = query.where(ComplaintCategory.active)
    return list(db.session.scalars(query))


@dataclass
class Intake:
    kind: str
    source: str
    description: str
    received_at: datetime | None = None
    receiver_id: int | None = None
    praise_type: str | None = None
    category_id: int | None = None
    severity: str = "medium"
    ward_ids: list[int] = field(default_factory=list)
    staff_ids: list[int] = field(default_factory=list)
    staff_names: str = ""
    complainant_name: str = ""
    complainant_relation: str = ""
    complainant_phone: str = ""
    patient_id: int | None = None
    task_id: int | None = None
    call_attempt_id: int | None = None
    survey_response_id: int | None = None


def file_case(data: Intake, user) -> Complaint:
    """File a new case: reference number, deadlines, repeat flag, timeline entry, audit."""
    from portal.auth.models import User
    from portal.complaints.changes import log
    from portal.wards.models import Ward

    received = data.received_at or utcnow()
    case = Complaint(
        reference=next_reference(data.kind, to_local(received).year),
        kind=data.kind, source=data.source, received_at=received,
        receiver_id=data.receiver_id or user.id, filed_by_id=user.id,
        praise_type=data.praise_type if data.kind == "praise" else None,
        category_id=data.category_id, severity=data.severity, state="received",
        complainant_name=data.complainant_name.strip(),
        complainant_relation=data.complainant_relation.strip(),
        complainant_phone=normalise_phone(data.complainant_phone),
        staff_names=data.staff_names.strip(), description=data.description,
        patient_id=data.patient_id, task_id=data.task_id,
        call_attempt_id=data.call_attempt_id, survey_response_id=data.survey_response_id,
    )
    if data.ward_ids:
        case.wards = list(db.session.scalars(select(Ward).where(Ward.id.in_(data.ward_ids))))
    if data.staff_ids:
        case.staff = list(db.session.scalars(select(User).where(User.id.in_(data.staff_ids))))
    db.session.add(case)
    deadlines.set_deadlines(case)
    repeats.refresh(case)
    log(case, user, [("state", "filed", "", "received")])
    record("complaint.filed", case, kind=case.kind)
    return case


@dataclass
class Filters:
    kind: str = ""
    state: str = ""          # a state, "open" or ""
    ward_id: int | None = None
    staff_id: int | None = None
    category_id: int | None = None
    repeat: bool = False
    overdue: bool = False
    reference: str = ""
    queue: bool = False      # open cases by nearest deadline
    action_owner_id: int | None = None   # cases with an open corrective action this user owns


def register_query(user, filters: Filters, today):
    """The list columns (portal/complaints/rows.py) of the register or the queue."""
    from portal.complaints.rows import list_select

    query = list_select(visible(user), *_conditions(filters, today))
    if filters.queue:
        return query.order_by(Complaint.next_due_on.asc().nulls_last(),
                              Complaint.id)
    return query.order_by(Complaint.received_at.desc(), Complaint.id.desc())


def register_count(user, filters: Filters, today):
    return select(func.count(Complaint.id)).where(visible(user), *_conditions(filters, today))


def _conditions(f: Filters, today) -> list:
    c = []
    if f.kind:
        c.append(Complaint.kind == f.kind)
    if f.queue or f.state == "open":  # IN, not NOT IN: a range search on the state index
        c.append(Complaint.state.in_(OPEN_STATES))
    elif f.state:
        c.append(Complaint.state == f.state)
    if f.ward_id:
        c.append(Complaint.id.in_(select(complaint_wards.c.complaint_id)
                                  .where(complaint_wards.c.ward_id == f.ward_id)))
    if f.staff_id:
        c.append(Complaint.id.in_(select(complaint_staff.c.complaint_id)
                                  .where(complaint_staff.c.user_id == f.staff_id)))
    if f.category_id:
        c.append(Complaint.category_id == f.category_id)
    if f.repeat:
        c.append(Complaint.is_repeat.is_(True))
    if f.overdue:
        c.append(Complaint.next_due_on < today)
    if f.reference:
        c.append(Complaint.reference == f.reference.strip().upper())
    if f.action_owner_id:
        c.append(Complaint.id.in_(select(CorrectiveAction.complaint_id).where(
            CorrectiveAction.owner_id == f.action_owner_id, CorrectiveAction.status == "open")))
    return c


def kind_counts(user, filters: Filters, today) -> dict[str, int]:
    """Cases per kind under the same filters (praise on a ward's or a staff member's record)."""
    f = Filters(**{**filters.__dict__, "kind": "", "queue": False})
    rows = db.session.execute(select(Complaint.kind, func.count(Complaint.id))
                              .where(visible(user), *_conditions(f, today))
                              .group_by(Complaint.kind))
    return dict(rows.all())


def prefill_from_attempt(attempt_id: int, user, kind: str) -> dict:
    """Intake values from a follow-up call's concerns (complaint) or compliments (praise).

    404 unless the user may see the attempt's ward (quality staff see every ward)."""
    from portal.followups.models import CallAttempt, FollowUpTask

    attempt = db.session.scalar(select(CallAttempt).where(CallAttempt.id == attempt_id)
                                .options(selectinload(CallAttempt.task)
                                         .selectinload(FollowUpTask.discharge)))
    if attempt is None or not (user.sees_all_wards or attempt.task.ward_id in user.ward_ids):
        abort(404)
    if user.role not in ("nurse", "head_nurse", "quality"):
        abort(404)
    patient = attempt.task.discharge.patient
    by_patient = attempt.outcome == "reached_patient"
    return {
        "kind": kind, "source": "call",
        "description": attempt.concerns if kind == "complaint" else attempt.compliments,
        "ward_ids": [attempt.task.ward_id], "patient_id": patient.id,
        "task_id": attempt.task_id, "call_attempt_id": attempt.id,
        "complainant_name": patient.name if by_patient else "",
        "complainant_relation": "",
        "patient": patient,
    }
