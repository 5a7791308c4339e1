"""The navigation: one list, filtered by what the signed-in role may open.

Entries whose endpoint does not exist (a feature not built yet) are left out.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.auth.permissions import may

ROLE_LABELS = {
    "nurse": _l("Nurse"),
    "head_nurse": _l("Head nurse"),
    "quality": _l("Quality staff"),
    "leader": _l("Leader"),
    "admin": _l("Administrator"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


# Where each role lands after sign-in.
ROLE_HOME = {
    "nurse": "followups.worklist",
    "head_nurse": "followups.worklist",
    "quality": "dashboard.quality",
    "leader": "dashboard.leader",
    "admin": "admin.users",
}

NAV = (
    ("followups.worklist", _l("Follow-up calls")),
    ("followups.import_page", _l("Import discharges")),
    ("followups.sampling", _l("Second-level calls")),
    ("surveys.results", _l("Surveys")),
    ("surveys.reviews", _l("Low-score reviews")),
    ("complaints.register", _l("Complaints & praise")),
    ("dashboard.leader", _l("Dashboard")),
    ("dashboard.quality", _l("Quality dashboard")),
    ("dashboard.ward", _l("Ward dashboard")),
    ("reports.monthly", _l("Monthly report")),
    ("surveys.templates", _l("Survey templates")),
    ("admin.users", _l("Users")),
    ("admin.wards", _l("Wards")),
    ("followups.rules", _l("Follow-up rules")),
    ("calendar.holidays", _l("Holiday calendar")),
    ("complaints.categories", _l("Complaint categories")),
    ("audit.search", _l("Audit log")),
)


def nav_items() -> list[tuple[str, str]]:
    views = current_app.view_functions
    return [(endpoint, label) for endpoint, label in NAV if endpoint in views and may(endpoint)]
