"""Cases: who may see which, filing a new one, the register and queue queries.

Object access: quality staff see every case; nurses and head nurses the cases of their
wards and the ones they received or filed; leaders and admins no case rows (404).
Changes to an existing case live in portal/complaints/changes.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from flask import abort
from sqlalchemy import bindparam, false, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from portal import refdata
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
    return _visible_rule(visible_shape(user), user.ward_ids, user.id)


def _visible_rule(shape: str, ward_ids, user_id):
    """Quality staff see every case; nurses and head nurses their wards' cases and the ones
    they received or filed; anyone else none. Values, or bind parameters (visible_with_params)."""
    if shape == "all":
        return true()
    if shape == "wards":
        mine = select(complaint_wards.c.complaint_id).where(
            complaint_wards.c.ward_id.in_(ward_ids))
        return or_(Complaint.id.in_(mine), Complaint.receiver_id == user_id,
                   Complaint.filed_by_id == user_id)
    return false()


def visible_shape(user) -> str:
    if user.role == "quality":
        return "all"
    return "wards" if user.role in ("nurse", "head_nurse") else "none"


def visible_params(user) -> dict:
    if visible_shape(user) != "wards":
        return {}
    return {"see_wards": user.ward_ids, "see_user": user.id}


@cache
def visible_with_params(shape: str):
    """visible() with parameters (see_wards, see_user), built once per shape."""
    return _visible_rule(shape, bindparam("see_wards", expanding=True), bindparam("see_user"))


def get_complaint_or_404(case_id: int, user) -> Complaint:
    case = db.session.scalar(_case_statement(visible_shape(user)),
                             {"case_id": case_id, **visible_params(user)})
    if case is None:
        abort(404)
    return case


@cache
def _case_statement(see: str):
    """A case with what its page shows loaded (receiver and category joined, the
    collections in one statement each); built once per visibility shape (the case page and
    every change to a case read it), run with `case_id` and visible_params()."""
    return (select(Complaint).where(Complaint.id == bindparam("case_id"),
                                    visible_with_params(see))
            .options(joinedload(Complaint.receiver), joinedload(Complaint.category),
                     selectinload(Complaint.wards), selectinload(Complaint.staff),
                     selectinload(Complaint.causes),
                     selectinload(Complaint.actions).selectinload(CorrectiveAction.owner)))


def categories(*, active_only: bool = True) -> list[ComplaintCategory]:
    query = select(ComplaintCategory).order_by(ComplaintCategory.sort, ComplaintCategory.id)
    if active_only:
        query = query.where(ComplaintCategory.active)
    return list(db.session.scalars(query))


_CATEGORY_LABELS = (select(ComplaintCategory.id, ComplaintCategory.name_zh,
                           ComplaintCategory.name_en, ComplaintCategory.active)
                    .order_by(ComplaintCategory.sort, ComplaintCategory.id))


@dataclass
class CategoryLabels:
    all: dict[int, str]                 # every category (old cases keep retired ones)
    active: list[tuple[int, str]]       # what a filter offers


def category_labels(locale: str) -> CategoryLabels:
    """Category labels in the language of `locale` (ComplaintCategory.label), from the
    categories this process holds (portal/refdata.py)."""
    rows = refdata.held("complaint_categories", _load_categories, ComplaintCategory)
    labels = {i: ComplaintCategory.label_in(locale, zh, en) for i, zh, en, _active in rows}
    return CategoryLabels(labels, [(r[0], labels[r[0]]) for r in rows if r[3]])


def _load_categories() -> list[tuple]:
    return [tuple(r) for r in db.session.connection().execute(_CATEGORY_LABELS)]


def ward_choices() -> list[tuple[int, str]]:
    """(id, label) of every ward, by code, for the register's ward filter (held per process,
    portal/refdata.py)."""
    from portal.wards.models import Ward

    return refdata.held("ward_choices", _load_ward_choices, Ward)


def _load_ward_choices() -> list[tuple[int, str]]:
    from portal.wards.models import Ward

    return [(i, Ward.label_of(code, name))
            for i, code, name in db.session.connection().execute(_ward_choices())]


@cache
def _ward_choices():
    from portal.wards.models import Ward

    return select(Ward.id, Ward.code, Ward.name).order_by(Ward.code)


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


# The register and the queue are read on every filter change: their statements are built once
# per shape (which filters are set, whose cases) and run with parameters, as the worklist's.

def _shape(user, f: Filters) -> tuple:
    state = "open" if (f.queue or f.state == "open") else bool(f.state)
    return (visible_shape(user), f.queue, bool(f.kind), state, bool(f.ward_id),
            bool(f.staff_id), bool(f.category_id), f.repeat, f.overdue, bool(f.reference),
            bool(f.action_owner_id))


def _params(user, f: Filters, today) -> dict:
    p = visible_params(user)
    values = {"kind": f.kind or None, "ward": f.ward_id, "staff": f.staff_id,
              "category": f.category_id, "today": today if f.overdue else None,
              "ref": f.reference.strip().upper() if f.reference else None,
              "owner": f.action_owner_id}
    p.update((k, v) for k, v in values.items() if v is not None)
    if f.state and f.state != "open" and not f.queue:
        p["state"] = f.state
    return p


_OPEN = Complaint.state.in_(OPEN_STATES)


@cache
def _where(shape: tuple) -> tuple:
    """The conditions of a register shape (see _shape), with parameters (see _params)."""
    (see, _queue, kind, state, ward, staff, category, repeat, overdue, reference,
     owner) = shape
    c = [visible_with_params(see)]
    if kind:
        c.append(Complaint.kind == bindparam("kind"))
    if state == "open":  # IN, not NOT IN: a range search on the state index
        c.append(_OPEN)
    elif state:
        c.append(Complaint.state == bindparam("state"))
    if ward:
        c.append(Complaint.id.in_(select(complaint_wards.c.complaint_id)
                                  .where(complaint_wards.c.ward_id == bindparam("ward"))))
    if staff:
        c.append(Complaint.id.in_(select(complaint_staff.c.complaint_id)
                                  .where(complaint_staff.c.user_id == bindparam("staff"))))
    if category:
        c.append(Complaint.category_id == bindparam("category"))
    if repeat:
        c.append(Complaint.is_repeat.is_(True))
    if overdue:  # only open cases have a deadline: the state index answers
        if not state:
            c.append(_OPEN)
        c.append(Complaint.next_due_on < bindparam("today"))
    if reference:
        c.append(Complaint.reference == bindparam("ref"))
    if owner:
        c.append(Complaint.id.in_(select(CorrectiveAction.complaint_id).where(
            CorrectiveAction.owner_id == bindparam("owner"), CorrectiveAction.status == "open")))
    return tuple(c)


def _order(shape: tuple):
    from portal.complaints.rows import by_deadline, newest_first

    return by_deadline if shape[1] else newest_first  # the queue: nearest deadline first


@cache
def _page_statements(shape: tuple) -> tuple:
    from portal.complaints.rows import deadline_pieces_select, list_select, page_select

    if shape[1]:  # the queue: open cases by deadline, read per state and deadline set or not
        others = tuple(c for c in _where(shape) if c is not _OPEN)
        rows = deadline_pieces_select(
            (*others, Complaint.state == state, due)
            for state in OPEN_STATES
            for due in (Complaint.next_due_on.is_not(None), Complaint.next_due_on.is_(None)))
    else:
        rows = page_select(list_select(*_where(shape)), _order(shape))
    return (rows,
            # count(*), not count(id): SQLite counts index entries without reading the id
            select(func.count()).select_from(Complaint).where(*_where(shape)))


def register_statements(user, filters: Filters, today) -> tuple:
    """(rows statement with parameters `limit` and `offset`, count statement, parameters)
    of one page of the register or the queue (list columns: portal/complaints/rows.py)."""
    shape = _shape(user, filters)
    return (*_page_statements(shape), _params(user, filters, today))


def register_query(user, filters: Filters, today):
    """Every row of the register or the queue (list columns), parameters bound."""
    from portal.complaints.rows import list_select

    shape, params = _shape(user, filters), _params(user, filters, today)
    query = list_select(*_where(shape)).order_by(*_order(shape)(Complaint))
    return query.params(**params) if params else query


@cache
def _kind_counts_statement(shape: tuple):
    return (select(Complaint.kind, func.count()).where(*_where(shape))
            .group_by(Complaint.kind))


def kind_counts(user, filters: Filters, today) -> dict[str, int]:
    """Cases per kind under the same filters (praise on a ward's or a staff member's record)."""
    f = Filters(**{**filters.__dict__, "kind": "", "queue": False})
    rows = db.session.connection().execute(_kind_counts_statement(_shape(user, f)),
                                           _params(user, f, today))
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
