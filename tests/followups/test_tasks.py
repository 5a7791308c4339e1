"""Task generation from ward rules, and what changing a rule does to existing tasks."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.followups import tasks
from portal.followups.models import FollowUpTask
from portal.timeutil import local_today
from tests.followups import factories as ff


def test_tasks_from_each_active_rule_of_the_ward(app):
    r3 = ff.rule("W01", days_after=3, window_days=2)
    r30 = ff.rule("W01", label="D+30", days_after=30, window_days=5)
    ff.rule("W01", label="off", days_after=7, active=False)
    ff.rule("W02", days_after=1)
    d = ff.discharge("W01")
    n = tasks.create_tasks([(d.id, d.ward_id, d.discharged_on)])
    assert n == 2
    made = {t.rule_id: t for t in db.session.scalars(select(FollowUpTask))}
    assert set(made) == {r3.id, r30.id}
    t = made[r30.id]
    assert t.due_on == d.discharged_on + timedelta(days=30)
    assert t.window_end == t.due_on + timedelta(days=5)
    assert (t.status, t.ward_id, t.kind, t.attempts) == ("pending", d.ward_id, "ward", 0)


def test_ward_without_rules_gets_no_tasks(app):
    d = ff.discharge("W03")
    assert tasks.create_tasks([(d.id, d.ward_id, d.discharged_on)]) == 0


def test_bulk_in_chunks(app, monkeypatch):
    monkeypatch.setattr(tasks, "CHUNK", 3)
    ff.rule("W01")
    ds = [ff.discharge("W01") for _ in range(7)]
    assert tasks.create_tasks([(d.id, d.ward_id, d.discharged_on) for d in ds]) == 7
    assert len(db.session.scalars(select(FollowUpTask)).all()) == 7


def test_rule_change_moves_only_pending_tasks_not_yet_due(app):
    today = local_today()
    rule = ff.rule("W01", days_after=3, window_days=2)
    future = ff.task(rule_=rule, discharge_=ff.discharge(discharged_on=today - timedelta(days=1)))
    due_today = ff.task(rule_=rule, discharge_=ff.discharge(discharged_on=today - timedelta(days=3)))
    done = ff.task(rule_=rule, status="completed",
                   discharge_=ff.discharge(discharged_on=today - timedelta(days=2)))
    lost = ff.task(rule_=rule, status="lost",
                   discharge_=ff.discharge(discharged_on=today - timedelta(days=2)))
    before = {t.id: (t.due_on, t.window_end) for t in (due_today, done, lost)}
    rule.days_after, rule.window_days = 7, 4
    db.session.flush()
    assert tasks.reschedule_for_rule(rule, today) == 1
    db.session.expire_all()
    assert future.due_on == today + timedelta(days=6)
    assert future.window_end == future.due_on + timedelta(days=4)
    for t in (due_today, done, lost):
        assert (t.due_on, t.window_end) == before[t.id]


def test_deactivated_rule_cancels_future_tasks_and_reactivation_restores(app):
    today = local_today()
    rule = ff.rule("W01", days_after=30)
    ahead = ff.task(rule_=rule, discharge_=ff.discharge(discharged_on=today - timedelta(days=2)))
    assert tasks.cancel_for_inactive_rule(rule, today) == 1
    db.session.expire_all()
    assert ahead.status == "cancelled"
    tasks.tasks_for_new_rule(rule, today)
    db.session.expire_all()
    assert ahead.status == "pending"


def test_new_rule_reaches_discharges_whose_call_is_ahead(app):
    today = local_today()
    recent = ff.discharge("W01", discharged_on=today - timedelta(days=2))
    ff.discharge("W01", discharged_on=today - timedelta(days=40))   # its D+30 is past
    ff.discharge("W02", discharged_on=today - timedelta(days=2))    # other ward
    rule = ff.rule("W01", days_after=30)
    assert tasks.tasks_for_new_rule(rule, today) == 1
    t = db.session.scalar(select(FollowUpTask))
    assert t.discharge_id == recent.id and t.due_on == recent.discharged_on + timedelta(days=30)
    assert tasks.tasks_for_new_rule(rule, today) == 0  # never twice
