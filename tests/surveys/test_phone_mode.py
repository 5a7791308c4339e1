"""Phone mode inside the worklist's call form: questions shown, checked, saved with the call."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.followups.models import CallAttempt
from portal.surveys.models import Response
from tests.followups.factories_worklist import rule_w, task_w
from tests.surveys import factories as sf

KEY = "0123456789abcdef0123456789abcdef"


def _post(client, task, **data):
    return client.post(f"/followups/tasks/{task.id}/attempts", htmx=True,
                       data={"key": KEY, "version": str(task.version), **data})


def _call(tpl, answers=None):
    by_pos = {q.position: q for q in tpl.current.questions}
    return {"outcome": "reached_patient", "details": "1", "health_status": "better",
            "medication": "yes", **{f"q{by_pos[p].id}": v for p, v in (answers or {}).items()}}


@pytest.fixture
def phone_task(login):
    login("nurse")
    tpl = sf.builtin("PHONE-DISCHARGE")
    task = task_w(rule=rule_w(survey_template_id=tpl.id))
    db.session.commit()
    return task, tpl


def test_questions_appear_in_the_call_form(client, phone_task):
    task, tpl = phone_task
    body = _post(client, task, outcome="reached_patient").get_data(as_text=True)
    assert 'id="sv-phone-questions"' in body
    assert all(f'name="q{q.id}"' in body for q in tpl.current.questions)


def test_no_questions_without_a_survey_on_the_rule(client, login):
    login("nurse")
    task = task_w(rule=rule_w())
    db.session.commit()
    body = _post(client, task, outcome="reached_patient").get_data(as_text=True)
    assert 'class="call-form"' in body and "sv-phone-questions" not in body


def test_answers_saved_with_the_attempt(client, phone_task):
    task, tpl = phone_task
    resp = _post(client, task, **_call(tpl, {1: "5", 2: "4", 6: "5", 8: "谢谢"}))
    assert resp.status_code == 200
    attempt = db.session.scalar(select(CallAttempt))
    response = db.session.scalar(select(Response))
    assert response.call_attempt_id == attempt.id and response.channel == "phone"
    assert len(response.answers) == 4 and response.ward_id == task.ward_id


def test_bad_answer_is_422_and_nothing_is_saved(client, phone_task):
    task, tpl = phone_task
    resp = _post(client, task, **_call(tpl, {1: "9", 2: "4"}))
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    q1, q6 = tpl.current.questions[0], tpl.current.questions[5]
    assert f'id="q{q1.id}-error"' in body and f'id="q{q6.id}-error"' in body
    assert 'name="details" value="1"' in body  # still the call form, answers kept
    assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_patient_declining_the_survey_saves_the_call_only(client, phone_task):
    task, tpl = phone_task
    assert _post(client, task, **_call(tpl)).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_question_of_another_template_is_400(client, phone_task):
    task, tpl = phone_task
    other = sf.builtin("NURSE-SELF").current.questions[0]
    resp = _post(client, task, **_call(tpl, {1: "5", 2: "5", 6: "5"}), **{f"q{other.id}": "3"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CallAttempt)) == 0
