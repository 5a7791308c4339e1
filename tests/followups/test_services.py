"""Worklist services: attempt slots, outcome -> status, lost after N, idempotency, tab counts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.followups import attempts, services, worklist
from portal.followups.models import CallAttempt
from portal.timeutil import LOCAL_TZ, local_today
from tests import factories
from tests.followups.factories_worklist import rule_w, task_w


def local(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("after", "expected"), [
    (local(2026, 11, 23, 9, 30), local(2026, 11, 23, 15)),   # Monday morning -> 15:00
    (local(2026, 11, 23, 11, 59), local(2026, 11, 23, 15)),
    (local(2026, 11, 23, 12, 0), local(2026, 11, 24, 9)),    # Monday afternoon -> Tuesday 09:00
    (local(2026, 11, 23, 20, 0), local(2026, 11, 24, 9)),
    (local(2026, 11, 27, 16, 0), local(2026, 11, 30, 9)),    # Friday afternoon -> Monday
    (local(2026, 11, 28, 10, 0), local(2026, 11, 28, 15)),   # Saturday morning -> same day
])
def test_next_attempt_slot(app, after, expected):
    slot = attempts.next_attempt_slot(after.astimezone(UTC))
    assert slot == expected
    assert slot.tzinfo is UTC


def test_next_attempt_slot_skips_holidays_and_uses_make_up_days(app):
    from portal.calendar.models import CalendarDay

    # December 2026 has no official holidays: an admin's own entries
    db.session.add_all([CalendarDay(day=local(2026, 12, 17, 0).date(), kind="holiday"),
                        CalendarDay(day=local(2026, 12, 18, 0).date(), kind="holiday"),
                        CalendarDay(day=local(2026, 12, 19, 0).date(), kind="workday")])
    db.session.flush()
    # Wednesday afternoon: Thursday and Friday are holidays, Saturday a make-up workday (调休)
    assert attempts.next_attempt_slot(local(2026, 12, 16, 16)) == local(2026, 12, 19, 9)
    # Saturday (worked) afternoon -> Monday
    assert attempts.next_attempt_slot(local(2026, 12, 19, 16)) == local(2026, 12, 21, 9)


def record(task_id, user, **kwargs):
    """What the view does: look the task up locked, in the user's scope, then record."""
    task = services.get_task_or_404(task_id, user, for_update=True)
    return attempts.record_attempt(task, user, **kwargs)


def _nurse():
    return factories.user("nurse", wards="W01")


@pytest.mark.parametrize(("outcome", "status"), [
    ("reached_patient", "completed"), ("reached_family", "completed"),
    ("wrong_number", "lost"), ("refused", "completed"), ("deceased", "completed"),
    ("readmitted", "cancelled"), ("no_answer", "pending"), ("busy", "pending"),
])
def test_outcome_sets_status(app, outcome, status):
    nurse, task = _nurse(), task_w()
    at = local(2026, 11, 23, 10).astimezone(UTC)
    result = record(task.id, nurse, outcome=outcome, key="a" * 32,
                                     version=task.version, at=at)
    assert result.task.status == status
    assert result.task.attempts == 1 and result.task.last_outcome == outcome
    if status == "pending":
        assert result.task.next_attempt_at == local(2026, 11, 23, 15)
        assert result.task.completed_at is None
    else:
        assert result.task.completed_at == at and result.task.next_attempt_at is None


@pytest.mark.parametrize("max_attempts", [1, 2, 3])
def test_lost_after_max_attempts(app, max_attempts):
    nurse = _nurse()
    task = task_w(rule=rule_w(max_attempts=max_attempts))
    for i in range(max_attempts):
        assert task.status == "pending"
        record(task.id, nurse, outcome="no_answer" if i % 2 else "busy",
                                key=f"{i:032x}", version=task.version)
    assert task.status == "lost" and task.attempts == max_attempts
    assert task.next_attempt_at is None and task.completed_at is not None


def test_default_max_attempts_without_rule(app):
    quality, task = factories.user("quality"), task_w(kind="quality")
    for i in range(3):
        record(task.id, quality, outcome="no_answer", key=f"{i:032x}", version=None)
    assert task.status == "lost"


def test_same_key_records_one_attempt(app):
    nurse, task = _nurse(), task_w()
    first = record(task.id, nurse, outcome="no_answer", key="b" * 32,
                                    version=task.version)
    db.session.commit()
    again = record(task.id, nurse, outcome="no_answer", key="b" * 32,
                                    version=1)
    assert again.replayed and again.attempt.id == first.attempt.id
    assert db.session.scalar(select(func.count(CallAttempt.id))) == 1
    assert task.attempts == 1


def test_changed_task_raises(app):
    nurse, task = _nurse(), task_w()
    record(task.id, nurse, outcome="no_answer", key="c" * 32, version=1)
    with pytest.raises(attempts.TaskChanged):   # stale version
        record(task.id, nurse, outcome="no_answer", key="d" * 32, version=1)
    record(task.id, nurse, outcome="refused", key="e" * 32, version=task.version)
    with pytest.raises(attempts.TaskChanged):   # closed
        record(task.id, nurse, outcome="refused", key="f" * 32, version=None)


def test_other_ward_task_is_404(app):
    from werkzeug.exceptions import NotFound

    nurse, task = _nurse(), task_w(ward="W02")
    with pytest.raises(NotFound):
        record(task.id, nurse, outcome="no_answer", key="a" * 32, version=None)


def test_tab_counts(app):
    nurse = factories.user("nurse", wards="W01")
    today = local_today()
    start = datetime.combine(today, datetime.min.time(), LOCAL_TZ)
    task_w(due_in=0)                      # today
    task_w(due_in=-1)                     # today (inside the window)
    task_w(due_in=-5)                     # overdue (window ended 3 days ago)
    task_w(due_in=3)                      # upcoming
    task_w(due_in=0, next_attempt_at=start + timedelta(days=1, hours=9))      # upcoming (tomorrow)
    task_w(due_in=-1, next_attempt_at=start + timedelta(hours=15))           # today
    task_w(due_in=2, next_attempt_at=start + timedelta(hours=15))            # today (early retry)
    task_w(due_in=-1, status="completed")  # done
    task_w(due_in=-2, status="lost")       # done
    task_w(due_in=-90, status="completed")  # too old for the done tab
    task_w(ward="W02", due_in=0)           # other ward
    task_w(due_in=0, kind="quality")       # quality-owned: not on the nurse's list
    counts = worklist.tab_counts(nurse, today=today)
    assert counts == {"today": 4, "overdue": 1, "upcoming": 2, "done": 2}
    quality = factories.user("quality")
    assert worklist.tab_counts(quality, today=today) == {
        "today": 6, "overdue": 1, "upcoming": 2, "done": 2}
    for tab, n in counts.items():
        assert len(worklist.worklist_rows(nurse, tab, today=today)) == n, tab
        assert len(worklist.worklist_rows(nurse, tab, today=today, limit=2)) == min(n, 2), tab


def test_worklist_sorted_by_due_then_discharge(app):
    nurse = factories.user("nurse", wards="W01")
    a = task_w(due_in=0, discharged_days_before_due=3)
    b = task_w(due_in=-1, discharged_days_before_due=3)
    c = task_w(due_in=0, discharged_days_before_due=10)
    rows = worklist.worklist_rows(nurse, "today")
    assert [t.id for t in rows] == [b.id, c.id, a.id]
    assert [t.id for t in worklist.worklist_rows(nurse, "today", limit=2, offset=1)] == [
        c.id, a.id]


def test_age_at(app):
    from datetime import date

    from portal.followups.models import Patient

    p = Patient(mrn="x", name="x", birth_date=date(1950, 6, 15))
    assert worklist.age_at(p, date(2026, 6, 14)) == 75
    assert worklist.age_at(p, date(2026, 6, 15)) == 76
    assert worklist.age_at(Patient(mrn="y", name="y", age_years=40), date(2026, 1, 1)) == 40
