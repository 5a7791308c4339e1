"""Export columns of list pages owned by other features (kept here so their views stay thin)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.followups.worklist import age_at
from portal.followups.worklist_forms import OUTCOME_LABELS, SEX_LABELS, STATUS_LABELS
from portal.reports.exports import Column
from portal.timeutil import local_today

AUDIT_TITLE = _l("Audit log")
AUDIT = [
    Column(_l("Time"), lambda e: e.at, kind="datetime"),
    Column(_l("User"), lambda e: e.username),
    Column(_l("Address"), lambda e: e.ip),
    Column(_l("Action"), lambda e: e.action),
    Column(_l("Object type"), lambda e: e.object_type),
    Column(_l("Object id"), lambda e: e.object_id),
    Column(_l("Detail"), lambda e: "; ".join(f"{k}: {v}" for k, v in (e.detail or {}).items())),
]



def _label(mapping: dict, key: str | None) -> str:
    return str(mapping[key]) if key in mapping else (key or "")


WORKLIST_TITLE = _l("Follow-up calls")
WORKLIST = [
    Column(_l("Due"), lambda t: t.due_on, kind="date"),
    Column(_l("Ward"), lambda t: t.ward_code),
    Column(_l("Patient"), lambda t: t.name),
    Column(_l("Sex"), lambda t: _label(SEX_LABELS, t.sex)),
    Column(_l("Age"), lambda t: age_at(t, local_today())),  # a row has the patient's columns
    Column(_l("Phone"), lambda t: t.phone, kind="phone"),
    Column(_l("Discharged"), lambda t: t.discharged_on, kind="date"),
    Column(_l("Diagnosis"), lambda t: t.diagnosis),
    Column(_l("Attempts"), lambda t: t.attempts),
    Column(_l("Last outcome"), lambda t: _label(OUTCOME_LABELS, t.last_outcome)),
    Column(_l("Status"), lambda t: _label(STATUS_LABELS, t.status)),
]
