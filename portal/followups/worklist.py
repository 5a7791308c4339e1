"""The nurse's worklist: whose tasks (scope), the four tabs, their counts and one page of rows.

The worklist is the page nurses keep open all day, so it is kept to the work its SQL does:

- statements are built once per shape (cross-ward or own wards, one ward or all, tab) and
  run with parameters: building and hashing a SQLAlchemy statement of this size costs more
  than SQLite needs to run it;
- they run on the session's connection as Core statements and return plain rows with what
  a row shows (`TaskRow`), not ORM objects: 25 read-only rows need no identity map; each
  row becomes a TaskRow (a named tuple), whose fields read ten times faster than a
  SQLAlchemy Row's, and a rendered row reads about thirty;
- `task_row()` gives an ORM task the same shape, for the one-task fragments.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Date, and_, bindparam, func, or_, select, true

from portal.db import UTCDateTime
from portal.extensions import db
from portal.followups.models import Discharge, FollowUpTask, Patient
from portal.templating import Page
from portal.timeutil import LOCAL_TZ, local_today
from portal.wards.models import Ward

TABS = ("today", "overdue", "upcoming", "done")
CLOSED = ("completed", "lost", "cancelled")
DONE_DAYS = 30   # the done tab shows tasks due in the last 30 days (bounded by time, not history)

T = FollowUpTask


def user_wards(user) -> list[Ward]:
    """Wards offered in the ward filter."""
    if user.sees_all_wards:
        return list(db.session.scalars(select(Ward).where(Ward.active).order_by(Ward.code)))
    return list(user.wards)


# --- scope and tabs: conditions with parameters ----------------------------------------------

def scope_shape(user, ward: Ward | None = None) -> tuple[bool, bool]:
    """(works across wards, one ward chosen): which task_scope() statement applies."""
    return (user.sees_all_wards, ward is not None)


def scope_params(user, ward: Ward | None = None) -> dict:
    if ward is not None:
        return {"scope_ward": ward.id}
    return {} if user.sees_all_wards else {"scope_wards": user.ward_ids or [-1]}


@cache
def task_scope(all_wards: bool, one_ward: bool):
    """Which tasks a user works: own wards' ward tasks; quality staff every task.

    The condition of one shape (scope_shape), run with scope_params(): `scope_ward` (the
    ward filter) or `scope_wards` (the user's wards, as a list: SQLite plans a list of
    ward ids onto the worklist indexes, but a subquery reading user_wards into a scan).
    """
    conds = []
    if one_ward:
        conds.append(T.ward_id == bindparam("scope_ward"))
    elif not all_wards:
        conds.append(T.ward_id.in_(bindparam("scope_wards", expanding=True)))
    if all_wards:
        return and_(true(), *conds)
    conds.append(T.kind == "ward")
    return and_(*conds)


@dataclass(frozen=True)
class TabConditions:
    today: object
    overdue: object
    upcoming: object
    done: object


@cache
def tab_conditions() -> TabConditions:
    """SQL conditions for the four tabs; run with day_params(today).

    A no-answer reschedules a task (next_attempt_at): a slot later today keeps it in
    "due today"; a slot on a later day moves it to "upcoming" until then. Pending tasks past
    their window are overdue. Done = closed tasks due in the last DONE_DAYS days.
    """
    today = bindparam("today", type_=Date)
    start, end = bindparam("day_start", type_=UTCDateTime), bindparam("day_end", type_=UTCDateTime)
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
        done=and_(T.status.in_(CLOSED), T.due_on >= bindparam("done_since", type_=Date)),
    )


def day_params(today: date | None = None) -> dict:
    """The parameters of tab_conditions() for the local day `today`."""
    today = today or local_today()
    start = datetime.combine(today, time(), LOCAL_TZ)
    return {"today": today, "day_start": start, "day_end": start + timedelta(days=1),
            "done_since": today - timedelta(days=DONE_DAYS)}


def params(user, ward: Ward | None = None, today: date | None = None) -> dict:
    return {**scope_params(user, ward), **day_params(today)}


# --- counts ----------------------------------------------------------------------------------

@cache
def _counts_statement(all_wards: bool, one_ward: bool):
    """Today/overdue/upcoming are counted over the pending tasks in scope; done is a scalar
    subquery that an index answers alone (ix_followup_tasks_ward_kind_status_due for ward
    staff, ix_followup_tasks_status_due for quality), so a long history costs nothing."""
    tabs, scope = tab_conditions(), task_scope(all_wards, one_ward)
    done = select(func.count()).select_from(T).where(scope, tabs.done).scalar_subquery()
    return (select(func.count().filter(tabs.today), func.count().filter(tabs.overdue),
                   func.count().filter(tabs.upcoming), done)
            .select_from(T).where(scope, T.status == "pending"))


def tab_counts(user, ward: Ward | None = None, today: date | None = None) -> dict[str, int]:
    """The four tab counts, in one SQL statement."""
    stmt = _counts_statement(*scope_shape(user, ward))
    row = db.session.connection().execute(stmt, params(user, ward, today)).one()
    return dict(zip(TABS, (n or 0 for n in row), strict=True))


# --- rows ------------------------------------------------------------------------------------

class TaskRow(NamedTuple):
    """What one worklist row shows (followups/_rows.html)."""

    id: int
    status: str
    kind: str
    version: int
    due_on: date
    window_end: date
    next_attempt_at: datetime | None
    attempts: int
    last_outcome: str | None
    ward_code: str
    discharged_on: date
    diagnosis: str
    patient_id: int
    name: str
    sex: str
    birth_date: date | None
    age_years: int | None
    phone: str | None
    phone2: str | None


def row_columns():
    d, p = Discharge, Patient
    return (T.id, T.status, T.kind, T.version, T.due_on, T.window_end, T.next_attempt_at,
            T.attempts, T.last_outcome, Ward.code.label("ward_code"), d.discharged_on,
            d.diagnosis, p.id.label("patient_id"), p.name, p.sex, p.birth_date, p.age_years,
            p.phone, p.phone2)


def task_row(task: FollowUpTask) -> TaskRow:
    """An ORM task (with discharge, patient and ward loaded) in the shape of a worklist row."""
    d = task.discharge
    p = d.patient
    return TaskRow(task.id, task.status, task.kind, task.version, task.due_on, task.window_end,
                   task.next_attempt_at, task.attempts, task.last_outcome, task.ward.code,
                   d.discharged_on, d.diagnosis, p.id, p.name, p.sex, p.birth_date,
                   p.age_years, p.phone, p.phone2)


@cache
def _rows_statement(all_wards: bool, one_ward: bool, tab: str, paged: bool):
    """The rows of a tab in worklist order; `paged`: parameters `limit` and `offset`.

    A page is chosen first on the narrow (task, discharge date) rows and only its tasks are
    joined to patients and wards: the sort does not carry wide rows.
    """
    if tab == "done":
        order = (T.completed_at.desc(), T.id.desc())
    else:
        order = (T.due_on, Discharge.discharged_on, T.id)
    where = (task_scope(all_wards, one_ward), getattr(tab_conditions(), tab))
    query = (select(*row_columns()).select_from(T)
             .join(T.discharge).join(Discharge.patient).join(T.ward))
    assert tuple(query.selected_columns.keys()) == TaskRow._fields
    if not paged:
        return query.where(*where).order_by(*order)
    page_ids = (select(T.id).join(T.discharge).where(*where).order_by(*order)
                .limit(bindparam("limit")).offset(bindparam("offset")))
    return query.where(T.id.in_(page_ids)).order_by(*order)


def worklist_rows(user, tab: str, ward: Ward | None = None, today: date | None = None,
                  limit: int | None = None, offset: int = 0) -> list[TaskRow]:
    """The rows of a tab (all of them, or `limit` from `offset`)."""
    stmt = _rows_statement(*scope_shape(user, ward), tab, limit is not None)
    values = params(user, ward, today)
    if limit is not None:
        values.update(limit=limit, offset=offset)
    return list(map(TaskRow._make, db.session.connection().execute(stmt, values)))


def worklist_export(user, tab: str, ward: Ward | None = None):
    """The statement of every row of a tab and its parameters (rows shaped like TaskRow)."""
    return _rows_statement(*scope_shape(user, ward), tab, False), params(user, ward)


def worklist_page(user, tab: str, ward: Ward | None, page: int,
                  per_page: int) -> tuple[Page, dict[str, int]]:
    """The rows of one page of a tab, and the four tab counts (the page's total).

    Two SQL statements in all: the counts, and the page's rows.
    """
    today = local_today()
    counts = tab_counts(user, ward, today)
    page = max(page, 1)
    rows = worklist_rows(user, tab, ward, today, limit=per_page, offset=(page - 1) * per_page)
    return Page(rows, page, per_page, counts[tab]), counts


def age_at(patient, day: date) -> int | None:
    """Age on `day` from the birth date, else the age the discharge list gave (a patient
    or a worklist row)."""
    if patient.birth_date:
        b = patient.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))
    return patient.age_years
