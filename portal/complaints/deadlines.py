"""Case deadlines in working days (calendar.working_days_after is the only clock).

Configurable (app config or PORTAL_<NAME> environment variables):
COMPLAINT_ACK_DAYS (1), COMPLAINT_RESPONSE_DAYS (5), COMPLAINT_RESPONSE_DAYS_MULTI_WARD (10),
COMPLAINT_CRITICAL_DAYS (0 = the same working day). Counted from the local day received.
"""
from __future__ import annotations

from datetime import date

from flask import current_app

from portal.calendar.services import working_days_after
from portal.timeutil import to_local

DEFAULTS = {
    "COMPLAINT_ACK_DAYS": 1,
    "COMPLAINT_RESPONSE_DAYS": 5,
    "COMPLAINT_RESPONSE_DAYS_MULTI_WARD": 10,
    "COMPLAINT_CRITICAL_DAYS": 0,
}


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def response_days(severity: str, ward_count: int) -> int:
    if severity == "critical":
        return setting("COMPLAINT_CRITICAL_DAYS")
    if ward_count > 1:
        return setting("COMPLAINT_RESPONSE_DAYS_MULTI_WARD")
    return setting("COMPLAINT_RESPONSE_DAYS")


def set_deadlines(case) -> None:
    """(Re)compute ack_due_on, response_due_on and next_due_on from the case as it is now."""
    received = to_local(case.received_at).date()
    ack = setting("COMPLAINT_ACK_DAYS")
    if case.kind == "complaint" and case.severity == "critical":
        ack = min(ack, setting("COMPLAINT_CRITICAL_DAYS"))
    case.ack_due_on = working_days_after(received, ack)
    if case.kind == "complaint":
        case.response_due_on = working_days_after(
            received, response_days(case.severity, len(case.wards)))
    else:
        case.response_due_on = None
    set_next_due(case)


def set_next_due(case) -> None:
    """The deadline the case waits on in its current state (None when nothing is due)."""
    case.next_due_on = next_due(case)


def next_due(case) -> date | None:
    state = case.state
    if state == "received":
        return case.ack_due_on
    if state in ("assigned", "investigating"):
        return case.response_due_on
    if state in ("responded", "corrective_action"):
        open_dues = [a.due_on for a in case.actions if a.status == "open"]
        return min(open_dues) if open_dues else None
    return None
