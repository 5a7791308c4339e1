"""Logging a call from the worklist: outcomes, the call form, idempotency, conflicts, errors."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.followups.models import CallAttempt
from tests.followups.factories_worklist import rule_w, task_w

KEY = "0123456789abcdef0123456789abcdef"


def url(task):
    return f"/followups/tasks/{task.id}/attempts"


def n_attempts():
    return db.session.scalar(select(func.count(CallAttempt.id)))


def post(client, task, htmx=True, **data):
    data = {"key": KEY, "version": str(task.version), **data}
    return client.post(url(task), data=data, htmx=htmx)


def test_no_answer_in_place(client, login):
    login("nurse")
    task = task_w(rule=rule_w())
    db.session.commit()
    resp = post(client, task, outcome="no_answer")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tbody id="task-{task.id}"')
    events = json.loads(resp.headers["HX-Trigger"])
    assert "worklist-changed" in events and "toast" in events
    db.session.expire_all()
    assert task.attempts == 1 and task.status == "pending" and task.next_attempt_at is not None
    assert n_attempts() == 1
    assert f'value="{KEY}"' not in body   # the re-rendered row carries a fresh key


def test_without_javascript_redirects_back(client, login):
    login("nurse")
    task = task_w()
    db.session.commit()
    resp = post(client, task, htmx=False, outcome="wrong_number", next="/followups/?tab=today")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/followups/?tab=today")
    evil = post(client, task_w(), htmx=False, outcome="busy", key="f" * 32, next="//evil.example/")
    assert evil.headers["Location"].endswith("/followups/")
    db.session.expire_all()
    assert task.status == "lost"


@pytest.mark.parametrize("htmx", [True, False])
def test_reached_opens_the_call_form(client, login, htmx):
    login("nurse")
    task = task_w(rule=rule_w(call_script="请询问伤口情况"))
    db.session.commit()
    resp = post(client, task, htmx=htmx, outcome="reached_patient")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'class="call-form"' in body and "请询问伤口情况" in body
    assert 'name="details" value="1"' in body and f'value="{KEY}"' in body
    assert ("<html" in body) is not htmx
    assert n_attempts() == 0


def test_call_form_saves_in_one_go(client, login):
    nurse = login("nurse")
    task = task_w()
    db.session.commit()
    resp = post(client, task, outcome="reached_family", details="1", health_status="worse",
                medication="unsure", concerns="护士态度不好", compliments="", notes="家属接听")
    assert resp.status_code == 200
    attempt = db.session.scalar(select(CallAttempt))
    assert (attempt.outcome, attempt.answered_by, attempt.health_status, attempt.medication) == (
        "reached_family", "family", "worse", "unsure")
    assert attempt.concerns == "护士态度不好" and attempt.notes == "家属接听"
    assert attempt.nurse_id == nurse.id
    db.session.expire_all()
    assert task.status == "completed"


def test_complaint_links_when_the_feature_exists(app, client, login):
    if "complaints.new" not in app.view_functions:   # before the complaints feature is merged
        from portal.auth.permissions import allow
        app.add_url_rule("/complaints/new", endpoint="complaints.new",
                         view_func=allow("nurse")(lambda: ""))
    login("nurse")
    task = task_w()
    db.session.commit()
    resp = post(client, task, outcome="reached_patient", details="1", health_status="same",
                medication="yes", concerns="等待时间长", compliments="谢谢王护士")
    body = resp.get_data(as_text=True)
    attempt = db.session.scalar(select(CallAttempt))
    assert f"/complaints/new?attempt={attempt.id}&amp;kind=complaint" in body
    assert f"/complaints/new?attempt={attempt.id}&amp;kind=praise" in body
    # the link opens the complaint form pre-filled from this call
    assert client.get(f"/complaints/new?attempt={attempt.id}&kind=complaint").status_code == 200


def test_no_complaint_links_without_concerns(client, login):
    login("nurse")
    task = task_w()
    db.session.commit()
    resp = post(client, task, outcome="reached_patient", details="1", health_status="same",
                medication="yes")
    assert "/complaints/new" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False])
def test_call_form_errors_beside_the_field(client, login, htmx):
    login("nurse")
    task = task_w()
    db.session.commit()
    resp = post(client, task, htmx=htmx, outcome="reached_patient", details="1",
                medication="yes", concerns="x" * 2001)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="health_status-error"' in body and 'id="concerns-error"' in body
    assert 'name="details" value="1"' in body    # still the call form
    assert n_attempts() == 0


def test_bad_outcome_is_422(client, login):
    login("nurse")
    task = task_w()
    db.session.commit()
    assert post(client, task, outcome="teleported").status_code == 422
    assert post(client, task, outcome="no_answer", key="not-a-key").status_code == 422
    assert n_attempts() == 0


def test_double_submit_records_one_attempt(client, login):
    login("nurse")
    task = task_w()
    db.session.commit()
    first = post(client, task, outcome="no_answer")
    second = post(client, task, outcome="no_answer")   # same key, same (now stale) version
    assert first.status_code == second.status_code == 200
    assert n_attempts() == 1
    db.session.expire_all()
    assert task.attempts == 1
    closing = post(client, task, outcome="refused", key="a" * 32)
    assert closing.status_code == 200
    again = post(client, task, outcome="refused", key="a" * 32)
    assert again.status_code == 200 and n_attempts() == 2


def test_colleague_completed_meanwhile_is_409(client, login):
    login("nurse")
    task = task_w()
    db.session.commit()
    stale = str(task.version)
    assert post(client, task, outcome="reached_patient", details="1", health_status="better",
                medication="yes", key="a" * 32).status_code == 200
    resp = post(client, task, outcome="no_answer", key="b" * 32, version=stale)
    assert resp.status_code == 409
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tbody id="task-{task.id}"') and 'role="alert"' in body
    assert n_attempts() == 1
    page = post(client, task, htmx=False, outcome="reached_patient", key="c" * 32, version=stale)
    assert page.status_code == 409 and "<html" in page.get_data(as_text=True)


def test_colleague_logged_a_retry_meanwhile_is_409(client, login):
    login("nurse")
    task = task_w()
    db.session.commit()
    stale = str(task.version)
    post(client, task, outcome="busy", key="a" * 32)
    resp = post(client, task, outcome="no_answer", key="b" * 32, version=stale)
    assert resp.status_code == 409 and n_attempts() == 1


def test_other_ward_404_leader_403_csrf_400(client, login):
    task = task_w(ward="W02")
    own = task_w(ward="W01")
    db.session.commit()
    login("nurse")
    assert post(client, task, outcome="no_answer").status_code == 404
    resp = client.post(url(own), data={"key": KEY, "outcome": "no_answer"}, csrf=False)
    assert resp.status_code == 400
    # htmx without the X-CSRFToken header, and with a forged one (the forms carry no check
    # of their own: CSRFProtect refuses before the view)
    for headers in ({"HX-Request": "true"}, {"HX-Request": "true", "X-CSRFToken": "forged"}):
        resp = client.post(url(own), data={"key": KEY, "outcome": "no_answer"}, csrf=False,
                           headers=headers)
        assert resp.status_code == 400
    details = {"key": KEY, "outcome": "reached_patient", "details": "1",
               "health_status": "better", "medication": "yes"}
    assert client.post(url(own), data=details, csrf=False).status_code == 400
    assert n_attempts() == 0


def test_leader_403(client, login):
    task = task_w()
    db.session.commit()
    login("leader")
    assert post(client, task, outcome="no_answer").status_code == 403


def test_quality_logs_second_level_task(client, login):
    login("quality")
    task = task_w(kind="quality")
    db.session.commit()
    assert post(client, task, outcome="no_answer").status_code == 200
    assert n_attempts() == 1


def test_double_click_in_parallel_with_version_records_one(app, login):
    """Two clients post the same form (same key and version) at once: one attempt, no 409."""
    import threading

    from tests.conftest import sign_in_session

    nurse = login("nurse")
    task = task_w()
    db.session.commit()
    clients = []
    for _ in range(4):
        c = app.test_client()
        sign_in_session(c, nurse)
        c.csrf_token()
        clients.append(c)
    target = url(task)
    db.session.commit()
    barrier, statuses = threading.Barrier(len(clients)), []

    def fire(c):
        barrier.wait(timeout=30)
        statuses.append(c.post(target, data={"outcome": "no_answer", "key": KEY,
                                                "version": "1"}, htmx=True).status_code)

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * len(clients)
    db.session.rollback()
    assert n_attempts() == 1


@pytest.mark.parametrize(("max_attempts", "posts"), [(2, 2), (None, 3)])
def test_row_buttons_lose_the_task_at_the_rules_maximum(client, login, max_attempts, posts):
    """The row's buttons read the task as one Core row: the rule's maximum (or the default
    of 3 without a rule) still decides when no answer means lost."""
    login("nurse")
    task = task_w(rule=rule_w(max_attempts=max_attempts) if max_attempts else None)
    db.session.commit()
    for i in range(posts):
        db.session.expire_all()
        resp = post(client, task, outcome="no_answer", key=f"{i:032x}")
        assert resp.status_code == 200
        closed = 'data-pending="1"' not in resp.get_data(as_text=True)
        assert closed is (i == posts - 1)
    db.session.expire_all()
    assert task.status == "lost" and task.attempts == posts and task.version == posts + 1
    assert n_attempts() == posts


def test_row_button_with_a_key_used_on_another_task_shows_that_task(client, login):
    login("nurse")
    first, second = task_w(), task_w()
    db.session.commit()
    assert post(client, first, outcome="no_answer").status_code == 200
    resp = post(client, second, outcome="busy")   # the same KEY
    assert resp.status_code == 200 and f'id="task-{first.id}"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert n_attempts() == 1 and second.attempts == 0 and first.attempts == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_logged_call_row_is_the_templates_markup(app, client, login, monkeypatch, lang):
    """The row written in Python after a logged call (views._row_fragment) is exactly what
    followups/_task.html renders for it, in both languages."""
    from flask import render_template

    from portal.followups import attempts, views

    monkeypatch.setattr(attempts, "key_maker", lambda: (lambda: "k" * 32))
    login("nurse")
    client.post("/language", data={"lang": lang, "next": "/followups/"})
    task = task_w(rule=rule_w())
    db.session.commit()
    seen = {}
    real = views._row_fragment

    def both(row):
        seen["python"] = real(row)
        seen["template"] = render_template("followups/_task.html", row=row,
                                           next_url=views._back_url(), form=None,
                                           message=None, attempt=None)
        return seen["python"]

    monkeypatch.setattr(views, "_row_fragment", both)
    resp = post(client, task, outcome="no_answer", next="/followups/?tab=all&x=<b>")
    assert resp.status_code == 200
    assert seen["python"] == seen["template"]
    assert resp.get_data(as_text=True) == seen["python"]
    assert ("无人接听" if lang == "zh" else "No answer") in seen["python"]
    assert "&lt;b&gt;" in seen["python"] and "<b>" not in seen["python"]
