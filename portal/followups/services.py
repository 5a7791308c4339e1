"""Object access and the patient timeline.

Functions take the acting user, `flush()` and never commit (one commit per request).
`get_task_or_404`, `get_patient_or_404` answer 404 for a record outside the user's wards,
as if it did not exist. The worklist's queries are in worklist.py, call logging in
attempts.py.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache

from flask import abort
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.audit.services import record
from portal.auth.models import user_wards
from portal.extensions import db
from portal.followups.models import CallAttempt, Discharge, FollowUpRule, FollowUpTask, Patient
from portal.followups.worklist import TaskRow, row_columns
from portal.timeutil import LOCAL_TZ

# --- object access ---------------------------------------------------------------------------

@cache
def _task_statement(all_wards: bool, for_update: bool):
    """One task by id, with what its row and the call form show, in one statement.

    The user's wards are read from user_wards inside the statement (the task id drives
    the lookup), so they need no query of their own.
    """
    T = FollowUpTask
    query = (select(T).join(T.discharge).join(Discharge.patient).join(T.ward)
             .options(contains_eager(T.discharge).contains_eager(Discharge.patient),
                      contains_eager(T.ward), joinedload(T.rule))
             .where(T.id == bindparam("task_id")))
    if not all_wards:
        own = select(user_wards.c.ward_id).where(user_wards.c.user_id == bindparam("user_id"))
        query = query.where(T.ward_id.in_(own), T.kind == "ward")
    if for_update:
        # lock the row and refresh what this session may already hold (a parallel request
        # may have changed it since): a version check must see the committed row
        query = query.with_for_update(of=T).execution_options(populate_existing=True)
    return query


def get_task_or_404(task_id: int, user, *, for_update: bool = False) -> FollowUpTask:
    """The task with its discharge, patient, ward and rule, if it is in the user's scope
    (the worklist's: own wards' ward tasks; every task for cross-ward roles)."""
    task = db.session.scalar(_task_statement(user.sees_all_wards, for_update),
                             {"task_id": task_id, "user_id": user.id})
    if task is None:
        abort(404)
    return task


class TaskState(namedtuple("TaskState", [*TaskRow._fields, "ward_id", "discharge_id",
                                          "completed_at", "max_attempts"])):
    """A task as logging a call reads it: its worklist row's fields, then what the call
    changes or needs besides (max_attempts: of its rule; None without one)."""

    __slots__ = ()

    def row(self) -> TaskRow:
        return TaskRow._make(self[:len(TaskRow._fields)])


@cache
def _task_state_statement(all_wards: bool):
    """One task as a TaskState, locked, in the same scope as _task_statement(): one Core
    statement and a tuple instead of five ORM objects (a row's outcome button)."""
    T = FollowUpTask
    query = (select(*row_columns(), T.ward_id, T.discharge_id, T.completed_at,
                    FollowUpRule.max_attempts)
             .select_from(T).join(T.discharge).join(Discharge.patient).join(T.ward)
             .outerjoin(T.rule).where(T.id == bindparam("task_id")))
    if not all_wards:
        own = select(user_wards.c.ward_id).where(user_wards.c.user_id == bindparam("user_id"))
        query = query.where(T.ward_id.in_(own), T.kind == "ward")
    assert tuple(query.selected_columns.keys()) == TaskState._fields
    return query.with_for_update(of=T)


def lock_task_state(task_id: int, user) -> TaskState:
    """get_task_or_404(task_id, user, for_update=True) as a TaskState."""
    found = db.session.connection().execute(_task_state_statement(user.sees_all_wards),
                                            {"task_id": task_id, "user_id": user.id}).first()
    if found is None:
        abort(404)
    return TaskState._make(found)


def patient_visible(patient_id: int, user) -> bool:
    if user.sees_all_wards:
        return True
    query = select(Discharge.id).where(Discharge.patient_id == patient_id,
                                       Discharge.ward_id.in_(user.ward_ids or [-1])).limit(1)
    return db.session.scalar(query) is not None


def get_patient_or_404(patient_id: int, user) -> Patient:
    if user.role not in ("nurse", "head_nurse", "quality"):
        abort(404)
    patient = db.session.get(Patient, patient_id)
    if patient is None or not patient_visible(patient_id, user):
        abort(404)
    return patient


def reveal_phone(patient_id: int, user) -> Patient:
    """The full numbers for a patient the user may see; the reveal is audited (id only)."""
    patient = get_patient_or_404(patient_id, user)
    record("patient.phone_revealed", patient)
    return patient


# --- patient timeline ------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    at: datetime
    kind: str          # discharge / task / attempt
    obj: object


def patient_timeline(patient: Patient, user) -> list[TimelineEntry]:
    """Every discharge, ward task and attempt of the patient, on any ward, newest first.

    Seeing the patient at all is the gate (get_patient_or_404: a discharge on one of the
    user's wards); the whole history then helps the call. Second-level (quality) tasks are
    shown to quality staff only, so the ward's own call is checked blind.
    """
    discharges = db.session.scalars(
        select(Discharge).where(Discharge.patient_id == patient.id)
        .options(contains_eager(Discharge.ward)).join(Discharge.ward)).all()
    T = FollowUpTask
    tasks = db.session.scalars(
        select(T).join(T.discharge)
        .where(Discharge.patient_id == patient.id,
               true() if user.sees_all_wards else T.kind == "ward")
        .options(selectinload(T.rule), selectinload(T.call_attempts).selectinload(
            CallAttempt.nurse), selectinload(T.assignee))).all()
    entries = [TimelineEntry(datetime.combine(d.discharged_on, time(), LOCAL_TZ), "discharge", d)
               for d in discharges]
    for t in tasks:
        entries.append(TimelineEntry(datetime.combine(t.due_on, time(8), LOCAL_TZ), "task", t))
        entries.extend(TimelineEntry(a.at, "attempt", a) for a in t.call_attempts)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
