"""Export columns of list pages owned by other features (kept here so their views stay thin)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.reports.exports import Column

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
