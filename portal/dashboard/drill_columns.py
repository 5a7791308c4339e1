"""Columns of the drill-down lists when exported (CSV/XLSX through portal.reports.exports)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.reports.exports import Column

DISCHARGES = [
    Column(_l("Ward"), lambda d: d.ward.code),
    Column(_l("Patient"), lambda d: d.patient.name),
    Column(_l("Phone"), lambda d: d.patient.phone, kind="phone"),
    Column(_l("Admitted"), lambda d: d.admitted_on, kind="date"),
    Column(_l("Discharged"), lambda d: d.discharged_on, kind="date"),
    Column(_l("Diagnosis"), lambda d: d.diagnosis),
]
TASKS = [
    Column(_l("Ward"), lambda t: t.ward.code),
    Column(_l("Patient"), lambda t: t.discharge.patient.name),
    Column(_l("Phone"), lambda t: t.discharge.patient.phone, kind="phone"),
    Column(_l("Discharged"), lambda t: t.discharge.discharged_on, kind="date"),
    Column(_l("Due"), lambda t: t.due_on, kind="date"),
    Column(_l("Status"), lambda t: t.status),
    Column(_l("Attempts"), lambda t: t.attempts, kind="number"),
    Column(_l("Last outcome"), lambda t: t.last_outcome),
]
COLUMNS = {"discharges": DISCHARGES, "discharged": DISCHARGES, "tasks": TASKS}


def columns_for(kind: str):
    if kind in COLUMNS:
        return COLUMNS[kind]
    from portal.dashboard import metrics as M

    module = M.source_module({"responses": "surveys", "cases": "complaints"}.get(kind, ""))
    return getattr(module, "EXPORT_COLUMNS", {}).get(kind)
