"""Retention of complainants' details: closed or withdrawn cases lose the complainant's name
and phone (on the case and in its history) after RETENTION_COMPLAINANT_DAYS; open cases and
recently closed ones keep them; the dry run changes nothing; retention.run counts them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.complaints import changes
from portal.complaints.models import Complaint, ComplaintEvent
from portal.db import utcnow
from portal.extensions import db
from tests import factories
from tests.complaints import factories as cf

DAY = timedelta(days=1)
NAME, PHONE = "李女士", "13912345678"


def case(state: str, closed_days_ago: int | None, *, renamed: bool = False) -> int:
    user = factories.user("quality")
    c = cf.case(user, complainant_name=NAME, complainant_relation="女儿", complainant_phone=PHONE)
    if renamed:  # the history now holds the old and the new name in full
        changes.edit(c, user, c.version, {"complainant_name": "李红", "complainant_phone": "13700001111"})
    c.state = state
    c.closed_at = None if closed_days_ago is None else utcnow() - closed_days_ago * DAY
    db.session.flush()
    return c.id


@pytest.fixture
def cases(app):
    ids = {
        "old_closed": case("closed", 400, renamed=True),   # purged, history too
        "old_withdrawn": case("withdrawn", 380),            # purged
        "recent_closed": case("closed", 100),               # kept: inside the period
        "open": case("investigating", None),                # kept: still open
    }
    db.session.commit()
    return ids


def details(case_id: int) -> tuple:
    db.session.expire_all()
    c = db.session.get(Complaint, case_id)
    history = sorted((e.old_value, e.new_value) for e in db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == case_id,
                                     ComplaintEvent.field.in_(("complainant_name",
                                                               "complainant_phone")))))
    return c.complainant_name, c.complainant_phone, history


def test_dry_run_reports_complainants_and_changes_nothing(runner, cases):
    before = {k: details(v) for k, v in cases.items()}
    assert before["old_closed"][2]  # the rename is in the history
    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would remove:" in result.output
    assert "complainant details of 2 closed cases" in result.output
    assert {k: details(v) for k, v in cases.items()} == before
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run")) is None


def test_run_removes_complainant_details_of_old_closed_cases_only(runner, cases):
    version = db.session.get(Complaint, cases["old_closed"]).version
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "complainant details of 2 closed cases" in result.output
    for key in ("old_closed", "old_withdrawn"):
        name, phone, history = details(cases[key])
        assert (name, phone) == ("", "")
        assert all(old == "" and new == "" for old, new in history)
    assert db.session.get(Complaint, cases["old_closed"]).version == version + 1  # open forms: 409
    assert db.session.get(Complaint, cases["old_closed"]).complainant_relation == "女儿"
    for key in ("recent_closed", "open"):
        assert details(cases[key])[:2] == (NAME, PHONE)
    run = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert run.detail["complainant_contacts"] == 2
    assert run.detail["periods_days"]["complainant"] == 365
    again = runner.invoke(args=["retention", "--dry-run"])
    assert "complainant details of 0 closed cases" in again.output


def test_complainant_period_is_configurable(app, runner, cases):
    app.config["RETENTION_COMPLAINANT_DAYS"] = 50
    result = runner.invoke(args=["retention", "--dry-run"])
    assert "complainant details of 3 closed cases" in result.output
    app.config["RETENTION_COMPLAINANT_DAYS"] = -1
    result = runner.invoke(args=["retention"])
    assert result.exit_code != 0 and "must not be negative" in result.output
    assert details(cases["old_closed"])[:2] == ("李红", "13700001111")


def test_default_periods_meet_the_minimums(app):
    from portal.audit import retention

    with app.app_context():
        days = retention.periods()
    assert days["security"] >= 184
    assert days["access"] >= 3 * 365
    assert days["contact"] == 365 and days["complainant"] == 365
