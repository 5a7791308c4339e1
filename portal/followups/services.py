"""The worklist, call logging and the patient timeline: queries and state changes.

Functions take the acting user, `flush()` and never commit (one commit per request).
Object access lives here: `get_task_or_404`, `get_patient_or_404` answer 404 for a record
outside the user's wards, as if it did not exist.

Outcome -> task status (the metric definitions in PRODUCT.md rely on this mapping):

=================  ===========================================================
reached_patient    completed (counts as *reached* in the reach rate)
reached_family     completed (counts as *reached*)
no_answer, busy    stays pending, rescheduled to the next attempt slot; once the
                   attempts reach the rule's maximum (default 3): lost (失访)
wrong_number       lost: the number we hold cannot reach the patient
refused            completed: contact made, the patient declined (not *reached*)
deceased           completed with that outcome (not *reached*, not lost)
readmitted         cancelled: the patient is back on a ward; no call is due
=================  ===========================================================

So: reach rate = tasks with status completed and last_outcome in REACHED ÷ tasks with
attempts > 0; lost rate = tasks with status lost ÷ tasks with attempts > 0.
`completed_at` is set whenever a task is closed (completed, lost or cancelled).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

from flask import abort
from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.services import record
from portal.extensions import db
from portal.followups.models import (
    RETRY_OUTCOMES,
    CallAttempt,
    Discharge,
    FollowUpTask,
    Patient,
)
from portal.timeutil import LOCAL_TZ, local_now, local_today
from portal.wards.models import Ward

TABS = ("today", "overdue", "upcoming", "done")
CLOSED = ("completed", "lost", "cancelled")
DONE_DAYS = 30          # the done tab shows tasks due in the last 30 days (bounded by time, not history)
DEFAULT_MAX_ATTEMPTS = 3
QUALITY_WINDOW_DAYS = 7
MORNING_ENDS = time(12, 0)
AFTERNOON_SLOT = time(15, 0)
MORNING_SLOT = time(9, 0)

# outcome -> status when the call closes the task (retry outcomes are handled apart)
CLOSING_STATUS = {
    "reached_patient": "completed",
    "reached_family": "completed",
    "wrong_number": "lost",
    "refused": "completed",
    "deceased": "completed",
    "readmitted": "cancelled",
}


def new_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return uuid4().hex


# --- attempt slots ---------------------------------------------------------------------------

def next_working_day(day: date) -> date:
    """The first working day after `day`: the one place call slots meet the calendar.

    Uses the holiday calendar (public holidays and 调休 make-up workdays) of the calendar
    feature; Monday to Friday when that feature is absent.
    """
    try:
        from portal.calendar.services import working_days_after
    except ImportError:
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day
    return working_days_after(day, 1)


def next_attempt_slot(after: datetime) -> datetime:
    """When to try again after a no-answer/busy call at `after` (aware), as aware UTC.

    A call in the morning (before 12:00 local) is retried at 15:00 the same day; a call in
    the afternoon or evening at 09:00 on the next working day.
    """
    local = after.astimezone(LOCAL_TZ)
    if local.time() < MORNING_ENDS:
        slot = datetime.combine(local.date(), AFTERNOON_SLOT, LOCAL_TZ)
    else:
        slot = datetime.combine(next_working_day(local.date()), MORNING_SLOT, LOCAL_TZ)
    return slot.astimezone(UTC)


# --- scope and tabs --------------------------------------------------------------------------

def user_wards(user) -> list[Ward]:
    """Wards offered in the ward filter."""
    if user.sees_all_wards:
        return list(db.session.scalars(select(Ward).where(Ward.active).order_by(Ward.code)))
    return list(user.wards)


def task_scope(user, ward: Ward | None = None):
    """Which tasks this user works: own wards' ward tasks; quality staff every task."""
    T = FollowUpTask
    conds = []
    if ward is not None:
        conds.append(T.ward_id == ward.id)
    if user.sees_all_wards:
        return and_(*conds) if conds else true()
    if ward is None:
        conds.append(T.ward_id.in_(user.ward_ids or [-1]))
    conds.append(T.kind == "ward")
    return and_(*conds)


@dataclass(frozen=True)
class TabConditions:
    today: object
    overdue: object
    upcoming: object
    done: object


def tab_conditions(today: date | None = None) -> TabConditions:
    """SQL conditions for the four tabs, for the local day `today`.

    A no-answer reschedules a task (next_attempt_at): a slot later today keeps it in
    "due today"; a slot on a later day moves it to "upcoming" until then. Pending tasks past
    their window are overdue. Done = closed tasks due in the last DONE_DAYS days.
    """
    today = today or local_today()
    T = FollowUpTask
    start = datetime.combine(today, time(), LOCAL_TZ)
    end = start + timedelta(days=1)
    pending = T.status == "pending"
    slot_later = and_(T.next_attempt_at.is_not(None), T.next_attempt_at >= end)
    slot_today = and_(T.next_attempt_at.is_not(None), T.next_attempt_at >= start,
                      T.next_attempt_at < end)
    due_now = or_(and_(T.due_on <= today, ~slot_later), slot_today)
    in_window = T.window_end >= today
    return TabConditions(
        today=and_(pending, in_window, due_now),
        overdue=and_(pending, T.window_end < today),
        upcoming=and_(pending, in_window, ~due_now),
        done=and_(T.status.in_(CLOSED), T.due_on >= today - timedelta(days=DONE_DAYS)),
    )


def tab_counts(user, ward: Ward | None = None, today: date | None = None,
               tabs: TabConditions | None = None) -> dict[str, int]:
    """The four tab counts in one SQL statement.

    Today/overdue/upcoming are counted over the pending tasks in scope; done is a scalar
    subquery that an index answers alone (ix_followup_tasks_ward_kind_status_due for ward
    staff, ix_followup_tasks_status_due for quality), so a long history costs nothing.
    """
    tabs = tabs or tab_conditions(today)
    T = FollowUpTask
    scope = task_scope(user, ward)
    done = select(func.count()).select_from(T).where(scope, tabs.done).scalar_subquery()
    query = (select(func.count().filter(tabs.today), func.count().filter(tabs.overdue),
                    func.count().filter(tabs.upcoming), done)
             .select_from(T).where(scope, T.status == "pending"))
    row = db.session.execute(query).one()
    return dict(zip(TABS, (n or 0 for n in row), strict=True))


def worklist_query(user, tab: str, ward: Ward | None = None, today: date | None = None,
                   limit: int | None = None, offset: int = 0,
                   tabs: TabConditions | None = None):
    """A select() of tasks (with discharge, patient and ward loaded by the same join).

    With `limit`, the page is chosen first on the narrow (task, discharge date) rows and only
    its tasks are joined to patients and wards: the sort does not carry wide rows.
    """
    tabs = tabs or tab_conditions(today)
    T = FollowUpTask
    if tab == "done":
        order = (T.completed_at.desc(), T.id.desc())
    else:
        order = (T.due_on, Discharge.discharged_on, T.id)
    where = (task_scope(user, ward), getattr(tabs, tab))
    query = (select(T)
             .join(T.discharge).join(Discharge.patient).join(T.ward)
             .options(contains_eager(T.discharge).contains_eager(Discharge.patient),
                      contains_eager(T.ward)))
    if limit is None:
        return query.where(*where).order_by(*order)
    page_ids = (select(T.id).join(T.discharge).where(*where).order_by(*order)
                .limit(limit).offset(offset))
    return query.where(T.id.in_(page_ids)).order_by(*order)


@dataclass
class Page:
    """One page of a list whose total is already known (the pager macro reads these)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def worklist_page(user, tab: str, ward: Ward | None, page: int,
                  per_page: int) -> tuple[Page, dict[str, int]]:
    """The tasks of one page of a tab, and the four tab counts (the page's total).

    Two SQL statements in all: the counts, and the page's tasks with what the rows show.
    """
    tabs = tab_conditions()
    counts = tab_counts(user, ward, tabs=tabs)
    page = max(page, 1)
    query = worklist_query(user, tab, ward, limit=per_page, offset=(page - 1) * per_page,
                           tabs=tabs)
    return Page(list(db.session.scalars(query)), page, per_page, counts[tab]), counts


def age_at(patient: Patient, day: date) -> int | None:
    if patient.birth_date:
        b = patient.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))
    return patient.age_years


# --- object access ---------------------------------------------------------------------------

def get_task_or_404(task_id: int, user, *, for_update: bool = False) -> FollowUpTask:
    T = FollowUpTask
    query = (select(T).join(T.discharge).join(Discharge.patient).join(T.ward)
             .options(contains_eager(T.discharge).contains_eager(Discharge.patient),
                      contains_eager(T.ward), selectinload(T.rule))
             .where(T.id == task_id, task_scope(user)))
    if for_update:
        # lock the row and refresh what this session may already hold (a parallel request
        # may have changed it since): the version check below must see the committed row
        query = query.with_for_update(of=T).execution_options(populate_existing=True)
    task = db.session.scalar(query)
    if task is None:
        abort(404)
    return task


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


# --- logging an attempt ----------------------------------------------------------------------

class TaskChanged(Exception):
    """The task was closed or changed by someone else since the form was shown."""

    def __init__(self, task: FollowUpTask):
        super().__init__(task.id)
        self.task = task


@dataclass
class AttemptResult:
    task: FollowUpTask
    attempt: CallAttempt
    replayed: bool = False   # the key was already used: nothing new was recorded


def find_attempt(key: str) -> CallAttempt | None:
    return db.session.scalar(select(CallAttempt).where(CallAttempt.idempotency_key == key))


def _apply(task: FollowUpTask, outcome: str, at: datetime) -> None:
    task.attempts += 1
    task.last_outcome = outcome
    if outcome in RETRY_OUTCOMES:
        max_attempts = task.rule.max_attempts if task.rule else DEFAULT_MAX_ATTEMPTS
        if task.attempts >= max_attempts:
            task.status, task.next_attempt_at, task.completed_at = "lost", None, at
        else:
            task.next_attempt_at = next_attempt_slot(at)
        return
    task.status = CLOSING_STATUS[outcome]
    task.next_attempt_at = None
    task.completed_at = at


def record_attempt(task_id: int, user, *, outcome: str, key: str, version: int | None,
                   details: dict | None = None, at: datetime | None = None) -> AttemptResult:
    """Log one call attempt and move the task on, idempotently.

    The same `key` twice records one attempt: the second call returns the first result
    (replayed=True). A task closed or changed by someone else since the form was shown
    (status not pending, or `version` differs) raises TaskChanged.
    """
    existing = find_attempt(key)
    if existing is not None:
        return AttemptResult(get_task_or_404(existing.task_id, user), existing, replayed=True)
    task = get_task_or_404(task_id, user, for_update=True)
    # a parallel request with the same key may have committed while we waited for the lock
    existing = find_attempt(key)
    if existing is not None:
        return AttemptResult(task, existing, replayed=True)
    if task.status != "pending" or (version is not None and version != task.version):
        raise TaskChanged(task)
    at = at or local_now()
    details = details or {}
    attempt = CallAttempt(task_id=task.id, nurse_id=user.id, at=at, outcome=outcome,
                          idempotency_key=key,
                          answered_by={"reached_patient": "patient",
                                       "reached_family": "family"}.get(outcome),
                          health_status=details.get("health_status") or None,
                          medication=details.get("medication") or None,
                          concerns=details.get("concerns") or "",
                          compliments=details.get("compliments") or "",
                          notes=details.get("notes") or "")
    _apply(task, outcome, at)
    try:
        db.session.add(attempt)
        db.session.flush()
    except IntegrityError:
        # the same key saved meanwhile by a parallel request (double click): return that one
        db.session.rollback()
        existing = find_attempt(key)
        if existing is None:
            raise
        return AttemptResult(get_task_or_404(existing.task_id, user), existing, replayed=True)
    except StaleDataError:
        db.session.rollback()
        existing = find_attempt(key)
        if existing is not None:   # the parallel request was this same click
            return AttemptResult(get_task_or_404(existing.task_id, user), existing, replayed=True)
        raise TaskChanged(get_task_or_404(task_id, user)) from None
    return AttemptResult(task, attempt)


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
