"""The summary tables the dashboard reads stay equal to the base tables through every kind
of change once the keys writes marked are recomputed (every test of the suite checks this
at teardown too: tests/conftest.py), and `verify-summaries` / `rebuild-summaries` find and
repair a difference."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from portal.dashboard import summaries
from portal.extensions import db
from portal.followups import attempts, services
from portal.followups import tasks as task_service
from portal.surveys.answers import record_response
from portal.surveys.models import Answer, Invitation, Response
from portal.timeutil import local_today
from tests import factories
from tests.dashboard import survey_data
from tests.followups import factories as ff


def same() -> dict:
    db.session.flush()
    return summaries.differences(db.session.connection())


def stored(table: str) -> int:
    summaries.current()
    return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


@pytest.fixture
def world(app):
    rule3 = ff.rule("W01", days_after=3)
    rule30 = ff.rule("W01", label="D+30", days_after=30)
    ff.rule("W02", days_after=3)
    nurse = factories.user("nurse", wards=["W01", "W02"], username="sumnurse")
    today = local_today()
    ds = [ff.discharge("W01", today - timedelta(days=d)) for d in (5, 20, 40)]
    made = task_service.create_tasks([(d.id, d.ward_id, d.discharged_on) for d in ds],
                                     {ds[0].ward_id: [task_service.RuleSpec(r.id, r.days_after,
                                                                            r.window_days)
                                                      for r in (rule3, rule30)]})
    db.session.commit()
    assert made == 6 and stored("summary_followups_daily") > 0
    db.session.commit()  # as a dashboard would: the marks are recomputed and gone
    return {"nurse": nurse, "discharges": ds, "rules": (rule3, rule30)}


def record_attempt(task_id, user, **kwargs):
    """What the view does: look the task up locked, in the user's scope, then record."""
    return attempts.record_attempt(services.get_task_or_404(task_id, user, for_update=True),
                                   user, **kwargs)


def _task(d, days):
    return next(t for t in d.tasks if (t.due_on - d.discharged_on).days == days)


def test_attempts_reschedule_lost_and_reach(world):
    nurse, (_d5, d20, d40) = world["nurse"], world["discharges"]
    t = _task(d20, 3)
    for i in range(3):   # no answer three times: rescheduled, then lost
        record_attempt(t.id, nurse, outcome="no_answer", key=f"k{i}", version=None)
        db.session.commit()
        assert same() == {}
    assert t.status == "lost"
    record_attempt(_task(d40, 30).id, nurse, outcome="reached_family", key="r1", version=None)
    db.session.commit()
    assert same() == {}
    row = db.session.execute(text(
        "SELECT sum(tasks_lost), sum(tasks_reached), sum(tasks_attempted)"
        " FROM summary_followups_daily")).one()
    assert tuple(row) == (1, 1, 2)


def test_moves_between_wards_and_days_and_deletes(world):
    d5, d20, d40 = world["discharges"]
    factories.ward("W02")
    d20.ward_id = factories.ward("W02").id
    for t in d20.tasks:
        t.ward_id = d20.ward_id
    db.session.commit()
    assert same() == {}
    late = _task(d5, 30)
    d5.discharged_on += timedelta(days=2)
    late.due_on -= timedelta(days=40)   # now before its D+3 task: the order changes
    db.session.commit()
    assert same() == {}
    _task(d40, 3).status = "cancelled"
    db.session.commit()
    assert same() == {}
    for t in list(d40.tasks):
        db.session.delete(t)
    db.session.flush()
    db.session.delete(d40)
    db.session.commit()
    assert same() == {}


def test_rule_changes_through_bulk_updates(world):
    rule3, rule30 = world["rules"]
    rule30.days_after = 10
    assert task_service.reschedule_for_rule(rule30) >= 1
    db.session.commit()
    assert same() == {}
    task_service.cancel_for_inactive_rule(rule30)
    db.session.commit()
    assert same() == {}
    task_service.tasks_for_new_rule(rule30)
    db.session.commit()
    assert same() == {}


def test_survey_responses_each_channel_moves_and_deletes(app):
    wards = {c: factories.ward(c) for c in ("W01", "W02")}
    survey_data.responses(wards)
    db.session.commit()
    assert same() == {}
    version = db.session.scalar(db.select(Response.version_id).limit(1))
    from portal.surveys.models import SurveyVersion

    v = db.session.get(SurveyVersion, version)
    overall = next(q for q in v.questions if q.is_overall)
    for channel in ("phone", "self", "paper"):
        record_response(v, [Answer(question_id=overall.id, value=5)], channel=channel,
                        ward_id=wards["W02"].id, period=date(2026, 8, 14))
        db.session.commit()
        assert same() == {}
    r = db.session.scalars(db.select(Response).order_by(Response.id)).first()
    r.ward_id, r.period = wards["W02"].id, date(2026, 1, 1)
    r.answers[0].value = 1
    db.session.commit()
    assert same() == {}
    db.session.add(Invitation(token_hash="x" * 64, template_id=v.template_id,
                              ward_id=wards["W01"].id, period=date(2026, 8, 1),
                              expires_at=factories_now()))
    db.session.commit()
    assert same() == {}
    for a in list(r.answers):
        db.session.delete(a)
    db.session.flush()
    db.session.delete(r)
    db.session.commit()
    assert same() == {}


def factories_now():
    from portal.db import utcnow

    return utcnow() + timedelta(days=30)


def test_rollback_leaves_nothing_pending(world):
    d5 = world["discharges"][0]
    d5.discharged_on += timedelta(days=1)
    db.session.flush()
    db.session.rollback()
    assert same() == {}


def test_verify_reports_and_rebuild_repairs(world, runner):
    ok = runner.invoke(args=["verify-summaries"])
    assert ok.exit_code == 0, ok.output
    assert "match" in ok.output
    db.session.execute(text("UPDATE summary_followups_daily SET tasks_attempted = 7"))
    db.session.execute(text("DELETE FROM summary_discharges_daily"))
    db.session.commit()
    bad = runner.invoke(args=["verify-summaries"])
    assert bad.exit_code == 1
    assert "followups:" in bad.output and "discharges:" in bad.output
    fixed = runner.invoke(args=["rebuild-summaries"])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(args=["verify-summaries"]).exit_code == 0
