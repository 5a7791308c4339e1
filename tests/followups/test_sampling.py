"""Sampled second-level follow-up (抽查回访): drawing the sample and the agreement figures."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.followups import sampling
from portal.followups.models import FollowUpTask
from portal.timeutil import local_today
from tests import factories
from tests.followups.factories_worklist import attempt_w, discharge_w, task_w

URL = "/followups/sampling"


def _completed_ward_tasks(n, ward="W01", days_ago=10):
    nurse = factories.user("nurse", wards=ward)
    tasks = []
    for _ in range(n):
        d = discharge_w(ward, days_ago=days_ago)
        t = task_w(discharge=d, due_in=-days_ago + 3, status="completed",
                   last_outcome="reached_patient", attempts=1)
        attempt_w(t, nurse, "reached_patient", health_status="better", medication="yes")
        tasks.append(t)
    return tasks


def _form(**over):
    today = local_today()
    return {"ward": "W01", "date_from": (today - timedelta(days=30)).isoformat(),
            "date_to": today.isoformat(), "size": "3", **over}


def test_draw_sample_creates_quality_tasks(client, login):
    ward_tasks = _completed_ward_tasks(5)
    discharge_w("W01", days_ago=10)                   # no completed task: not eligible
    pending = task_w(due_in=0)                        # pending: not eligible
    _completed_ward_tasks(2, days_ago=100)            # outside the period
    _completed_ward_tasks(2, ward="W02")              # other ward
    db.session.commit()
    quality = login("quality")
    resp = client.post(URL, data=_form())
    assert resp.status_code == 303
    created = db.session.scalars(select(FollowUpTask).where(FollowUpTask.kind == "quality")).all()
    assert len(created) == 3
    ids = {t.id for t in ward_tasks}
    for t in created:
        assert t.sampled_task_id in ids and t.rule_id is None and t.assignee_id == quality.id
        assert t.due_on == local_today() and t.status == "pending"
        assert t.sampled_task_id != pending.id
    # drawing again samples only discharges not sampled before
    client.post(URL, data=_form(size="10"))
    all_q = db.session.scalars(select(FollowUpTask).where(FollowUpTask.kind == "quality")).all()
    assert len(all_q) == 5 and len({t.discharge_id for t in all_q}) == 5
    # they are on the quality user's worklist, due today
    html = client.get("/followups/?tab=today").get_data(as_text=True)
    assert all(f'id="task-{t.id}"' in html for t in all_q)


def test_sample_is_random(app):
    _completed_ward_tasks(30)
    quality = factories.user("quality")
    db.session.commit()
    ward, today = factories.ward("W01"), local_today()
    draws = []
    for _ in range(3):
        tasks = sampling.draw_sample(quality, ward, today - timedelta(days=30), today, 5)
        draws.append(frozenset(t.sampled_task_id for t in tasks))
        db.session.rollback()
    # 3 draws of 5 out of 30 all equal: probability (1/142506)^2
    assert len(set(draws)) > 1 and all(len(d) == 5 for d in draws)


@pytest.mark.parametrize("htmx", [True, False])
def test_bad_input_is_422(client, login, htmx):
    login("quality")
    factories.ward("W01")
    db.session.commit()
    resp = client.post(URL, data=_form(size="0", date_to="2000-01-01"), htmx=htmx)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="size-error"' in body and 'id="date_to-error"' in body
    assert ("<html" in body) is not htmx


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "leader", "admin"])
def test_only_quality(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403


def test_page_and_agreement_figures(client, login):
    ward_tasks = _completed_ward_tasks(4)
    quality = factories.user("quality")
    # ward task 3 was not reached (the ward nurse logged "refused")
    ward_tasks[3].last_outcome = "refused"
    db.session.commit()
    q = []
    for wt in ward_tasks:
        q.append(task_w(discharge=wt.discharge, kind="quality", sampled_task_id=wt.id,
                        assignee_id=quality.id))
    # 0: reached, same health -> agree/agree; 1: reached, worse -> agree/disagree;
    # 2: quality could not reach -> reached disagrees; 3: both not reached -> agree; 4th pending
    for task, outcome, health in ((q[0], "reached_patient", "better"),
                                  (q[1], "reached_family", "worse"),
                                  (q[2], "wrong_number", None),
                                  (q[3], "refused", None)):
        task.status = "completed" if outcome != "wrong_number" else "lost"
        task.last_outcome = outcome
        attempt_w(task, quality, outcome, health_status=health)
    extra = _completed_ward_tasks(1)[0]
    task_w(discharge=extra.discharge, kind="quality", sampled_task_id=extra.id)   # pending
    db.session.commit()
    rows, overall = sampling.agreement()
    assert len(rows) == 1
    r = rows[0]
    assert (r.sampled, r.closed, r.reached_agree, r.health_compared, r.health_agree) == (5, 4, 3, 2, 1)
    assert r.reached_pct == 75.0 and r.health_pct == 50.0
    assert overall.sampled == 5 and overall.reached_pct == 75.0
    login("quality")
    html = client.get(URL).get_data(as_text=True)
    assert "75.0%" in html and "50.0%" in html
    frag = client.get(URL, htmx=True).get_data(as_text=True)
    assert frag.lstrip().startswith('<form id="sampling-form"')
