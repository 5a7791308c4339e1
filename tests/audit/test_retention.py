"""Retention: dry run changes nothing; a real run deletes only old entries of the right kinds,
removes closed patients' phones after the period, writes retention.run; the audit table still
refuses plain DELETE and every UPDATE."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.audit.models import AuditEntry, RetentionUnlock
from portal.db import utcnow
from portal.extensions import db
from portal.followups.models import Discharge, FollowUpTask, Patient
from tests import factories

DAY = timedelta(days=1)


def entry(action: str, age_days: int) -> AuditEntry:
    e = AuditEntry(action=action, at=utcnow() - age_days * DAY, object_type="test")
    db.session.add(e)
    return e


def patient(mrn: str, statuses: list[str], closed_days_ago: int) -> Patient:
    ward = factories.ward("W01")
    p = Patient(mrn=mrn, name="张三" + mrn, phone="13812345678", phone2="0371-65237437")
    d = Discharge(patient=p, ward_id=ward.id, discharged_on=date(2024, 1, 1))
    db.session.add_all([p, d])
    db.session.flush()
    closed = utcnow() - closed_days_ago * DAY
    for status in statuses:
        db.session.add(FollowUpTask(discharge_id=d.id, ward_id=ward.id, due_on=date(2024, 1, 4),
                                    window_end=date(2024, 1, 6), status=status,
                                    completed_at=None if status == "pending" else closed,
                                    created_at=closed - 10 * DAY))
    db.session.flush()
    return p


@pytest.fixture
def records(app):
    entry("login.success", 400)      # old security: goes
    entry("login.failed", 185)       # old security: goes
    entry("logout", 190)             # old security: goes
    entry("login.locked", 100)       # recent security: stays
    entry("patient.phone_revealed", 400)   # access, under 3 years: stays
    entry("export.complaints", 1200)       # access, over 3 years: goes
    entry("patient.phone_revealed", 1100)  # access, over 3 years: goes
    entry("user.created", 2000)      # not a retention kind: stays
    entry("loginx", 400)             # "login." is a prefix, not "login": stays
    patient("A1", ["completed", "lost"], 400)      # purged
    patient("A2", ["completed", "pending"], 400)   # one still open: kept
    patient("A3", ["completed"], 100)              # closed recently: kept
    patient("A4", [], 400)                         # no tasks yet: kept
    db.session.commit()


def counts():
    return {
        "entries": db.session.scalar(select(func.count(AuditEntry.id))),
        "phones": db.session.scalar(select(func.count(Patient.id)).where(Patient.phone.is_not(None))),
        "actions": sorted(db.session.scalars(select(AuditEntry.action)).all()),
    }


def test_dry_run_reports_and_changes_nothing(runner, records):
    before = counts()
    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would remove: 3 security audit entries, 2 personal-data access entries, " \
           "contact details of 1 patients" in result.output
    assert counts() == before


def test_run_deletes_only_old_entries_of_retention_kinds(runner, records):
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "removed: 3 security audit entries, 2 personal-data access entries" in result.output
    actions = counts()["actions"]
    assert actions == sorted(["login.locked", "patient.phone_revealed", "user.created", "loginx",
                              "retention.run"])
    run = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert run.detail["security_entries"] == 3
    assert run.detail["access_entries"] == 2
    assert run.detail["patient_contacts"] == 1
    assert db.session.scalar(select(func.count(RetentionUnlock.id))) == 0


def test_run_removes_contact_details_of_closed_patients_only(runner, records):
    runner.invoke(args=["retention"])
    db.session.expire_all()
    phones = {p.mrn: (p.phone, p.phone2, p.contact_purged_at is not None)
              for p in db.session.scalars(select(Patient))}
    assert phones["A1"] == (None, None, True)
    for mrn in ("A2", "A3", "A4"):
        assert phones[mrn] == ("13812345678", "0371-65237437", False)
    again = runner.invoke(args=["retention", "--dry-run"])
    assert "contact details of 0 patients" in again.output


def test_configured_periods_apply_and_minimums_hold(app, runner, records):
    app.config["RETENTION_CONTACT_DAYS"] = 50
    app.config["RETENTION_SECURITY_DAYS"] = 300
    result = runner.invoke(args=["retention", "--dry-run"])
    assert "1 security audit entries" in result.output
    assert "contact details of 2 patients" in result.output
    app.config["RETENTION_SECURITY_DAYS"] = 30
    result = runner.invoke(args=["retention"])
    assert result.exit_code != 0
    assert "at least 184" in result.output
    assert counts()["entries"] == 9


def test_plain_delete_still_refused(app, records):
    for statement in ("DELETE FROM audit_entries", "UPDATE audit_entries SET action = 'x'"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert counts()["entries"] == 9


def test_unlocked_transaction_still_refuses_recent_rows_and_updates(app, records):
    from portal.audit import retention

    retention._unlock()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_entries WHERE action = 'login.locked'"))
    db.session.rollback()
    retention._unlock()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_entries SET action = 'x'"))
    db.session.rollback()
    assert counts()["entries"] == 9
    assert db.session.scalar(select(func.count(RetentionUnlock.id))) == 0
