"""Writes mark the summary keys they touch (one INSERT into summary_dirty, no recompute);
every read of a summary recomputes the marks first (portal/dashboard/summaries.current)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from portal.dashboard import services, summaries
from portal.extensions import db
from portal.followups import attempts
from portal.followups import services as followup_services
from portal.followups import tasks as task_service
from portal.timeutil import local_today
from tests import factories
from tests.followups import factories as ff

SUMMARY_TABLES = ("summary_discharges_daily", "summary_followups_daily",
                  "summary_surveys_monthly", "summary_survey_dimensions_monthly",
                  "summary_complaints_daily")


def marks(summary: str | None = None) -> int:
    sql = "SELECT count(*) FROM summary_dirty" + (" WHERE summary = :s" if summary else "")
    return db.session.execute(text(sql), {"s": summary}).scalar()


def attempted() -> int:
    """What the follow-up summary holds, read raw (no recompute first)."""
    return db.session.execute(text(
        "SELECT coalesce(sum(tasks_attempted), 0) FROM summary_followups_daily")).scalar()


@pytest.fixture
def world(app):
    rule = ff.rule("W01", days_after=3)
    nurse = factories.user("nurse", wards=["W01"], username="marknurse")
    today = local_today()
    ds = [ff.discharge("W01", today - timedelta(days=d)) for d in (4, 6, 8)]
    task_service.create_tasks([(d.id, d.ward_id, d.discharged_on) for d in ds],
                              {ds[0].ward_id: [task_service.RuleSpec(rule.id, rule.days_after,
                                                                     rule.window_days)]})
    db.session.commit()
    summaries.current()
    db.session.commit()
    assert marks() == 0
    return {"nurse": nurse, "tasks": [t for d in ds for t in d.tasks]}


def call(task, nurse, key: str):
    task = followup_services.get_task_or_404(task.id, nurse, for_update=True)
    return attempts.record_attempt(task, nurse, outcome="no_answer", key=key, version=None)


def test_a_call_marks_its_keys_and_recomputes_nothing(world):
    statements = []

    def seen(conn, cursor, statement, *_a):
        statements.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        call(world["tasks"][0], world["nurse"], "m1")
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    inserts = [s for s in statements if s.startswith("insert into summary_dirty")]
    assert len(inserts) == 1, statements
    assert not [s for s in statements for t in SUMMARY_TABLES if t in s], statements
    assert marks("followups") == 1 and marks("task_discharges") == 1
    assert attempted() == 0            # not recomputed yet ...
    summaries.current()
    assert attempted() == 1 and marks() == 0   # ... until someone reads
    assert summaries.differences(db.session.connection()) == {}


def test_a_dashboard_request_recomputes_the_marks_first(world, client, login):
    call(world["tasks"][0], world["nurse"], "m2")
    db.session.commit()
    assert marks() > 0 and attempted() == 0
    login("leader")
    today = local_today()
    html = client.get(f"/dashboard?period={today:%Y-%m}").get_data(as_text=True)
    assert "Reach rate" in html
    db.session.rollback()  # a fresh snapshot: what the request committed
    assert marks() == 0 and attempted() == 1
    user = factories.user("leader", username="markleader")
    f = services.read_filters({"period": f"{today:%Y-%m}"}, user)
    figures = {x.metric.key: x for x in services.figures(f)}
    assert figures["reach_rate"].denominator == 1


def test_a_rollback_leaves_no_marks(world):
    call(world["tasks"][0], world["nurse"], "m3")
    db.session.flush()
    assert marks() > 0
    db.session.rollback()
    assert marks() == 0
    assert summaries.differences(db.session.connection()) == {}


def test_a_savepoint_rolled_back_does_not_swallow_a_later_mark(world):
    task = world["tasks"][0]
    savepoint = db.session.begin_nested()
    task.due_on += timedelta(days=1)
    db.session.flush()
    savepoint.rollback()
    assert marks() == 0
    db.session.refresh(task)
    task.due_on += timedelta(days=1)   # the same keys again, in the outer transaction
    db.session.commit()
    assert marks("followups") >= 2   # the old day and the new one
    assert summaries.differences(db.session.connection()) == {}


def test_touching_a_key_again_after_a_refresh_in_the_same_transaction(world):
    task = world["tasks"][0]
    call(task, world["nurse"], "m4")
    db.session.flush()
    assert summaries.differences(db.session.connection()) == {}   # recomputed, marks gone
    assert marks() == 0
    task.due_on += timedelta(days=2)
    db.session.flush()
    assert marks("followups") == 2
    assert summaries.differences(db.session.connection()) == {}


def test_rebuild_clears_the_marks(world, runner):
    call(world["tasks"][0], world["nurse"], "m5")
    db.session.commit()
    assert marks() > 0
    assert runner.invoke(args=["rebuild-summaries"]).exit_code == 0
    db.session.rollback()
    assert marks() == 0 and attempted() == 1
