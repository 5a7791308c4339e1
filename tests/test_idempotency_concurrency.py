"""The same idempotency key fired at the call-logging endpoint from many clients at once
records exactly one attempt (SQLite and PostgreSQL).

Runs against `followups.log_attempt` (POST /followups/tasks/<id>/attempts with outcome and
key); skipped, saying so, while that endpoint is not part of the app.
"""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from tests import factories
from tests.conftest import sign_in_session

CLIENTS = 12


@pytest.fixture
def task(app):
    from portal.followups.models import Discharge, FollowUpRule, FollowUpTask, Patient
    from portal.timeutil import local_today

    assert "followups.log_attempt" in app.view_functions, "the call-logging endpoint moved"
    ward = factories.ward("W01")
    today = local_today()
    rule = FollowUpRule(ward_id=ward.id, label="D+3", days_after=3, max_attempts=5)
    patient = Patient(mrn="IDEM1", name="并发测试", phone="13800001111")
    discharge = Discharge(patient=patient, ward_id=ward.id, discharged_on=today - timedelta(days=3))
    db.session.add_all([rule, patient, discharge])
    db.session.flush()
    t = FollowUpTask(discharge_id=discharge.id, rule_id=rule.id, ward_id=ward.id, due_on=today,
                     window_end=today + timedelta(days=2))
    db.session.add(t)
    db.session.commit()
    return t.id


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_same_key_from_many_clients_records_one_attempt(app, task, htmx):
    from portal.followups.models import CallAttempt, FollowUpTask

    nurses = [factories.user(role="nurse", wards="W01") for _ in range(3)]
    db.session.commit()
    clients = []
    for i in range(CLIENTS):
        client = app.test_client()
        sign_in_session(client, nurses[i % len(nurses)])
        client.csrf_token()  # settle the session before the race
        clients.append(client)
    db.session.commit()  # end this thread's transaction: on SQLite it would hold the write lock
    key = uuid.uuid4().hex
    url = f"/followups/tasks/{task}/attempts"
    barrier = threading.Barrier(CLIENTS)
    statuses, errors = [], []

    def fire(client):
        try:
            barrier.wait(timeout=30)
            resp = client.post(url, data={"outcome": "no_answer", "key": key}, htmx=htmx)
            statuses.append(resp.status_code)
        except Exception as e:  # a crash in the thread must fail the test, not vanish
            errors.append(repr(e))

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(statuses) == CLIENTS
    assert all(s < 500 for s in statuses), statuses
    assert all(s in (200, 204, 303) for s in statuses), statuses  # every click sees success
    db.session.rollback()
    assert db.session.scalar(select(func.count(CallAttempt.id))
                             .where(CallAttempt.idempotency_key == key)) == 1
    t = db.session.get(FollowUpTask, task)
    assert t.attempts == 1
    assert t.last_outcome == "no_answer"


def test_different_keys_at_once_are_all_recorded(app, task):
    """The other side of the guarantee: parallel distinct attempts are neither lost nor merged."""
    from portal.followups.models import CallAttempt, FollowUpTask

    nurse = factories.user(role="nurse", wards="W01")
    db.session.commit()
    n = 4  # under the rule's max_attempts (5): the task stays pending
    clients = []
    for _ in range(n):
        client = app.test_client()
        sign_in_session(client, nurse)
        client.csrf_token()
        clients.append(client)
    db.session.commit()
    barrier = threading.Barrier(n)
    statuses = []

    def fire(client):
        barrier.wait(timeout=30)
        statuses.append(client.post(f"/followups/tasks/{task}/attempts",
                                    data={"outcome": "busy", "key": uuid.uuid4().hex},
                                    htmx=True).status_code)

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(s < 500 for s in statuses), statuses
    ok = sum(1 for s in statuses if s == 200)
    db.session.rollback()
    written = db.session.scalar(select(func.count(CallAttempt.id)).where(CallAttempt.task_id == task))
    assert written == ok  # every acknowledged attempt is stored, nothing else
    assert db.session.get(FollowUpTask, task).attempts == written


def test_concurrent_edits_of_one_case_one_wins_the_rest_get_409(app):
    """Many people save the same complaint, loaded at the same version, at the same moment:
    exactly one save is kept; every other one is refused with 409 (nothing overwritten,
    no 500), on SQLite (writers queue) and PostgreSQL (row lock, then the version check)."""
    from portal.complaints.models import Complaint
    from tests.complaints import factories as cf

    quality = [factories.user("quality") for _ in range(3)]
    case = cf.case(quality[0])
    ward_id = factories.ward("W01").id
    db.session.commit()
    case_id, loaded = case.id, case.version
    clients = []
    for i in range(CLIENTS):
        client = app.test_client()
        sign_in_session(client, quality[i % len(quality)])
        client.csrf_token()
        clients.append(client)
    db.session.commit()
    barrier = threading.Barrier(CLIENTS)
    results, errors = {}, []

    def save(i, client):
        try:
            barrier.wait(timeout=30)
            resp = client.post(f"/complaints/{case_id}/edit", htmx=True, data={
                "version": loaded, "description": f"saved by client {i}", "source": "telephone",
                "severity": "low", "ward_ids": [ward_id]})
            results[i] = resp.status_code
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=save, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == CLIENTS
    winners = [i for i, status in results.items() if status in (200, 204, 303)]
    assert len(winners) == 1, results
    assert sorted(s for i, s in results.items() if i not in winners) == [409] * (CLIENTS - 1)
    db.session.expire_all()
    saved = db.session.get(Complaint, case_id)
    assert saved.description == f"saved by client {winners[0]}"
    assert saved.version > loaded
