"""The case lists (register, quality queue, waiting for me): rows, not entities.

A list shows nine columns of fifty cases; loading them as Complaint objects (every column,
identity map, relationship loaders) and formatting each date through Babel and a Jinja
macro per row cost several times the SQL. Here the page is one Core query of the columns
shown, one query for the wards' codes of those cases, and the category labels come from
the categories the page loads anyway; dates and "time left" badges are formatted once per
distinct value.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import select

from portal.complaints.models import Complaint, complaint_wards
from portal.extensions import db
from portal.timeutil import LOCAL_TZ
from portal.wards.models import Ward

COLUMNS = (Complaint.id, Complaint.reference, Complaint.kind, Complaint.state,
           Complaint.severity, Complaint.category_id, Complaint.received_at,
           Complaint.next_due_on, Complaint.is_repeat)


def list_select(*conditions):
    """select(the list columns) where conditions; the caller orders it."""
    return select(*COLUMNS).where(*conditions)


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination over a select of columns (rows, not entities),
    counted by the given COUNT statement rather than a subquery of every column."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query))

    def _query_count(self) -> int:
        return self._query_args["session"].scalar(self._query_args["count_select"]) or 0


def paginate(query, count_query, page: int, per_page: int) -> RowPagination:
    return RowPagination(select=query, count_select=count_query, session=db.session,
                         page=page, per_page=per_page, error_out=False)


@dataclass(slots=True)
class CaseRow:
    id: int
    reference: str
    kind: str
    state: str
    severity: str
    is_repeat: bool
    wards: str          # ward codes, comma-separated
    category: str       # label in the page's language
    received: str       # local time, yyyy-MM-dd HH:mm
    due: str            # yyyy-MM-dd or ""
    left: tuple[str, str] | None   # (badge class, text) or None without a deadline


def time_left_badge(cal, due: date | None, today: date) -> tuple[str, str] | None:
    """The "time left" badge: (css class, text); the one wording for lists and case pages."""
    left = cal.time_left(due, today)
    if left is None:
        return None
    if left < 0:
        return "bad", _("Overdue by %(n)d working days", n=-left)
    if left == 0:
        return "warn", _("Due today")
    return ("warn" if left <= 1 else ""), _("%(n)d working days left", n=left)


def local_minute(value: datetime) -> str:
    """As the |dt filter (yyyy-MM-dd HH:mm, Asia/Shanghai) without a Babel call per row."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def case_rows(rows, cal, today: date, category_labels: dict[int, str]) -> list[CaseRow]:
    ids = [r.id for r in rows]
    codes: dict[int, list[str]] = {}
    if ids:
        for case_id, code in db.session.execute(
                select(complaint_wards.c.complaint_id, Ward.code)
                .join(Ward, Ward.id == complaint_wards.c.ward_id)
                .where(complaint_wards.c.complaint_id.in_(ids)).order_by(Ward.code)):
            codes.setdefault(case_id, []).append(code)
    badges: dict[date | None, tuple[str, str] | None] = {}
    out = []
    for r in rows:
        due = r.next_due_on
        if due not in badges:
            badges[due] = time_left_badge(cal, due, today)
        out.append(CaseRow(
            id=r.id, reference=r.reference, kind=r.kind, state=r.state, severity=r.severity,
            is_repeat=bool(r.is_repeat), wards=", ".join(codes.get(r.id, ())),
            category=category_labels.get(r.category_id, "") if r.category_id else "",
            received=local_minute(r.received_at), due=due.isoformat() if due else "",
            left=badges[due]))
    return out


def export_columns() -> list:
    """The register as a file (?export=csv|xlsx): what the list shows plus the complainant
    (phone masked) and the description; text is formula-neutralised by reports.exports."""
    from flask_babel import lazy_gettext as _l

    from portal.complaints import forms, workflow
    from portal.reports.exports import Column

    return [
        Column(_l("Reference"), lambda c: c.reference),
        Column(_l("Kind"), lambda c: str(forms.KIND_LABELS[c.kind])),
        Column(_l("State"), lambda c: str(workflow.STATE_LABELS[c.state])),
        Column(_l("Wards"), lambda c: ", ".join(w.code for w in c.wards)),
        Column(_l("Category"), lambda c: c.category.name_zh if c.category else ""),
        Column(_l("Severity"), lambda c: str(forms.SEVERITY_LABELS[c.severity])),
        Column(_l("Source"), lambda c: str(forms.SOURCE_LABELS[c.source])),
        Column(_l("Received"), lambda c: c.received_at, kind="datetime"),
        Column(_l("Deadline"), lambda c: c.next_due_on, kind="date"),
        Column(_l("Repeat"), lambda c: c.is_repeat),
        Column(_l("Complainant"), lambda c: c.complainant_name),
        Column(_l("Phone"), lambda c: c.complainant_phone, kind="phone"),
        Column(_l("Description"), lambda c: c.description),
    ]


def export_select(query):
    """The register's select of list columns turned into one of Complaint entities (same
    conditions and order) with what the export columns read loaded up front."""
    from sqlalchemy.orm import selectinload

    return (query.with_only_columns(Complaint)
            .options(selectinload(Complaint.wards), selectinload(Complaint.category)))
