"""Retention: delete audit entries and remove patients' phone numbers past their periods.

Periods (settings, days; env PORTAL_<NAME> overrides):
- RETENTION_SECURITY_DAYS (default 184, never less): sign-ins, failed sign-ins, lockouts,
  sign-outs (RETENTION_SECURITY_ACTIONS);
- RETENTION_ACCESS_DAYS (default 1096 = 3 years, never less): personal-data access such as
  revealing a phone number or exporting (RETENTION_ACCESS_ACTIONS);
- RETENTION_CONTACT_DAYS (default 365): a patient's phone and phone2 are set to NULL (and
  contact_purged_at stamped) once every follow-up task of theirs is closed and the last
  closure is older than this.
- RETENTION_COMPLAINANT_DAYS (default 365): a complaint, praise or suggestion closed or
  withdrawn longer ago than this loses the complainant's name and phone (set to ""), and its
  case history loses the old and new values of changes to them. The case itself (category,
  wards, description, causes, actions, deadlines) stays for the statistics.
Other audit entries (user and ward changes, retention runs ...) are kept.

An action pattern ending in "." matches every action with that prefix ("login." matches
"login.failed"); any other pattern matches one action exactly.

The audit table refuses DELETE unless the transaction unlocks retention (migration 0006):
`run()` does that inside one write transaction and writes a `retention.run` entry with the
counts. `dry_run=True` counts the same rows and changes nothing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, insert, or_, select, text, update

from portal.audit import services as audit
from portal.audit.models import AuditEntry, RetentionUnlock
from portal.db import utcnow
from portal.extensions import db

MIN_SECURITY_DAYS = 184
MIN_ACCESS_DAYS = 3 * 365 + 1
DEFAULTS = {
    "RETENTION_SECURITY_DAYS": MIN_SECURITY_DAYS,
    "RETENTION_ACCESS_DAYS": MIN_ACCESS_DAYS,
    "RETENTION_CONTACT_DAYS": 365,
    "RETENTION_COMPLAINANT_DAYS": 365,
    "RETENTION_SECURITY_ACTIONS": ("login.", "logout"),
    "RETENTION_ACCESS_ACTIONS": ("patient.phone_revealed", "patient.viewed", "export."),
}
CLOSED_STATUSES = ("completed", "lost", "cancelled")


class RetentionError(ValueError):
    pass


@dataclass
class Result:
    security_entries: int = 0
    access_entries: int = 0
    patient_contacts: int = 0
    complainant_contacts: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (f"{verb}: {self.security_entries} security audit entries, "
                f"{self.access_entries} personal-data access entries, "
                f"contact details of {self.patient_contacts} patients, "
                f"complainant details of {self.complainant_contacts} closed cases")


def setting(name: str):
    value = current_app.config.get(name, DEFAULTS[name])
    if isinstance(DEFAULTS[name], int):
        return int(value)
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return tuple(value)


def periods() -> dict:
    security, access = setting("RETENTION_SECURITY_DAYS"), setting("RETENTION_ACCESS_DAYS")
    contact = setting("RETENTION_CONTACT_DAYS")
    complainant = setting("RETENTION_COMPLAINANT_DAYS")
    if security < MIN_SECURITY_DAYS:
        raise RetentionError(f"RETENTION_SECURITY_DAYS must be at least {MIN_SECURITY_DAYS}")
    if access < MIN_ACCESS_DAYS:
        raise RetentionError(f"RETENTION_ACCESS_DAYS must be at least {MIN_ACCESS_DAYS}")
    if contact < 0:
        raise RetentionError("RETENTION_CONTACT_DAYS must not be negative")
    if complainant < 0:
        raise RetentionError("RETENTION_COMPLAINANT_DAYS must not be negative")
    return {"security": security, "access": access, "contact": contact,
            "complainant": complainant}


def _matches(patterns):
    conditions = [AuditEntry.action.startswith(p, autoescape=True) if p.endswith(".")
                  else AuditEntry.action == p for p in patterns]
    return or_(*conditions) if conditions else AuditEntry.id.is_(None)


def _expired_entries(actions, days: int, now):
    return (_matches(actions), AuditEntry.at < now - timedelta(days=days))


def _purgeable_patients(days: int, now):
    """Patients with phones, at least one task, all tasks closed, last closure older than days."""
    from portal.followups.models import Discharge, FollowUpTask, Patient

    tasks = (select(FollowUpTask.id).join(Discharge, Discharge.id == FollowUpTask.discharge_id)
             .where(Discharge.patient_id == Patient.id))
    last_closed = (select(func.max(func.coalesce(FollowUpTask.completed_at, FollowUpTask.created_at)))
                   .join(Discharge, Discharge.id == FollowUpTask.discharge_id)
                   .where(Discharge.patient_id == Patient.id).scalar_subquery())
    return select(Patient.id).where(
        Patient.contact_purged_at.is_(None),
        or_(Patient.phone.is_not(None), Patient.phone2.is_not(None)),
        exists(tasks),
        ~exists(tasks.where(FollowUpTask.status.not_in(CLOSED_STATUSES))),
        last_closed < now - timedelta(days=days),
    )


COMPLAINANT_FIELDS = ("complainant_name", "complainant_phone")


def _purgeable_complaints(days: int, now):
    """Closed or withdrawn cases, closed longer ago than days, with a complainant's details
    left on the case or in its history."""
    from portal.complaints.models import Complaint, ComplaintEvent
    from portal.complaints.workflow import CLOSED_STATES

    in_history = (select(ComplaintEvent.id)
                  .where(ComplaintEvent.complaint_id == Complaint.id,
                         ComplaintEvent.field.in_(COMPLAINANT_FIELDS),
                         or_(ComplaintEvent.old_value != "", ComplaintEvent.new_value != "")))
    return select(Complaint.id).where(
        Complaint.state.in_(CLOSED_STATES),
        Complaint.closed_at < now - timedelta(days=days),
        or_(Complaint.complainant_name != "", Complaint.complainant_phone != "", exists(in_history)),
    )


def _purge_complaints(cases) -> int:
    from portal.complaints.models import Complaint, ComplaintEvent

    ids = list(db.session.scalars(cases))
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start:start + 500]
        db.session.execute(
            update(ComplaintEvent)
            .where(ComplaintEvent.complaint_id.in_(chunk),
                   ComplaintEvent.field.in_(COMPLAINANT_FIELDS))
            .values(old_value="", new_value="").execution_options(synchronize_session=False))
        # a new version: a form still open on the old one is refused (409), not replayed
        db.session.execute(
            update(Complaint).where(Complaint.id.in_(chunk))
            .values(complainant_name="", complainant_phone="", version=Complaint.version + 1)
            .execution_options(synchronize_session=False))
    return len(ids)


def _count(where) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(*where))


def _unlock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL careloop.retention = 'on'"))
    else:
        db.session.execute(insert(RetentionUnlock).values(id=1))


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL careloop.retention = 'off'"))
    else:
        db.session.execute(delete(RetentionUnlock))


def run(dry_run: bool = False) -> Result:
    """Apply (or with dry_run only count) every retention rule, in one transaction."""
    from portal.followups.models import Patient

    days = periods()
    now = utcnow()
    security = _expired_entries(setting("RETENTION_SECURITY_ACTIONS"), days["security"], now)
    access = _expired_entries(setting("RETENTION_ACCESS_ACTIONS"), days["access"], now)
    patients = _purgeable_patients(days["contact"], now)
    cases = _purgeable_complaints(days["complainant"], now)
    result = Result(dry_run=dry_run)
    if dry_run:
        result.security_entries = _count(security)
        result.access_entries = _count(access)
        result.patient_contacts = db.session.scalar(
            select(func.count()).select_from(patients.subquery()))
        result.complainant_contacts = db.session.scalar(
            select(func.count()).select_from(cases.subquery()))
        db.session.rollback()
        return result
    try:
        _unlock()
        result.security_entries = db.session.execute(
            delete(AuditEntry).where(*security).execution_options(synchronize_session=False)).rowcount
        result.access_entries = db.session.execute(
            delete(AuditEntry).where(*access).execution_options(synchronize_session=False)).rowcount
        _lock()
        result.patient_contacts = db.session.execute(
            update(Patient).where(Patient.id.in_(patients))
            .values(phone=None, phone2=None, contact_purged_at=now)
            .execution_options(synchronize_session=False)).rowcount
        result.complainant_contacts = _purge_complaints(cases)
        detail = {k: v for k, v in asdict(result).items() if k != "dry_run"}
        audit.record("retention.run", object_type="retention", **detail,
                     periods_days=days)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result
