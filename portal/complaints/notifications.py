"""Cases waiting for me: computed, not stored, so the count is never out of date.

- head nurse: complaints assigned to one of my wards that my ward must move on
  (assigned, investigating, responded) and praise/suggestions on my wards to acknowledge;
- quality: new cases to triage (received), corrective actions all done (awaiting
  verification), verified cases to close, acknowledged praise to close;
- everyone: open cases I may see whose deadline falls within 1 working day (or has passed).
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import Date, and_, bindparam, func, or_, select

from portal.calendar.services import working_days_after
from portal.complaints import services
from portal.complaints.models import Complaint, CorrectiveAction, complaint_wards
from portal.complaints.services import OPEN_STATES
from portal.extensions import db
from portal.timeutil import local_today


@cache
def _reasons(role: str) -> tuple:
    """The reasons a case waits for a user of this role, DISJOINT: (states, deadline, other
    conditions), deadline "soon" (due within a working day, or passed) or "not soon" (a
    later deadline or none): due soon; otherwise the states this role moves on. Parameters:
    `soon` (a working day after today), `my_wards` (the user's wards)."""
    reasons = [(OPEN_STATES, "soon", ())]
    if role == "head_nurse":
        on_my_wards = Complaint.id.in_(
            select(complaint_wards.c.complaint_id)
            .where(complaint_wards.c.ward_id.in_(bindparam("my_wards", expanding=True))))
        reasons.append((("assigned", "investigating", "responded"), "not soon", (on_my_wards,)))
        reasons.append((("received",), "not soon", (Complaint.kind != "complaint", on_my_wards)))
    if role == "quality":
        open_action = select(CorrectiveAction.id).where(
            CorrectiveAction.complaint_id == Complaint.id, CorrectiveAction.status == "open")
        reasons.append((("received", "verified", "acknowledged"), "not soon", ()))
        reasons.append((("corrective_action",), "not soon", (~open_action.exists(),)))
    return tuple(reasons)


def _due(which: str):
    soon = bindparam("soon", type_=Date)
    return {"soon": Complaint.next_due_on <= soon, "later": Complaint.next_due_on > soon,
            "none": Complaint.next_due_on.is_(None)}[which]


@cache
def _parts(role: str) -> tuple:
    """The reasons as conditions that an index can answer (state, or state and deadline).
    The badge is fetched on every page, so it is counted as a sum of per-part counts (one
    OR over them made SQLite read every case), with statements built once per role."""
    return tuple(and_(Complaint.state.in_(states),
                      _due("soon") if due == "soon" else or_(_due("none"), _due("later")),
                      *other)
                 for states, due, other in _reasons(role))


def _shape(user) -> tuple[str, str]:
    return services.visible_shape(user), user.role


def _params(user) -> dict:
    params = {"soon": working_days_after(local_today(), 1), **services.visible_params(user)}
    if user.role == "head_nurse":
        params["my_wards"] = user.ward_ids
    return params


@cache
def _count_statement(see: str, role: str):
    """SELECT (count of part 1) + (count of part 2) + ...: the parts are disjoint."""
    visible = services.visible_with_params(see)
    counts = [select(func.count()).select_from(Complaint).where(visible, part).scalar_subquery()
              for part in _parts(role)]
    return select(sum(counts[1:], counts[0]))


@cache
def _rows_statement(see: str, role: str):
    """A page of the waiting cases (rows.page_select), nearest deadline first; parameters
    `limit` and `offset` besides _params(). The cases are taken from pieces of one state
    and one deadline range each (due soon, later, none), each in the list's order and cut
    at limit + offset: the index on (state, next_due_on) reads a piece in that order, so a
    page reads a few entries per piece, where one OR over the reasons read and sorted every
    waiting case (7 ms of 50,000 cases for quality staff, 0.2 ms this way:
    rows.deadline_pieces_select)."""
    from portal.complaints.rows import deadline_pieces_select

    visible = services.visible_with_params(see)
    # one deadline range per piece: no NULLs among later ones, only NULLs among none
    return deadline_pieces_select(
        (visible, Complaint.state == state, _due(which), *other)
        for states, due, other in _reasons(role) for state in states
        for which in (("soon",) if due == "soon" else ("later", "none")))


def waiting_count(user) -> int:
    return db.session.connection().execute(_count_statement(*_shape(user)),
                                           _params(user)).scalar() or 0


def waiting_statements(user) -> tuple:
    """(rows statement with parameters `limit` and `offset`, count statement, parameters):
    one page of the cases waiting for this user (rows.page_of)."""
    shape = _shape(user)
    return _rows_statement(*shape), _count_statement(*shape), _params(user)
