"""Nurses logging calls at once on tasks of the same ward and day recompute the same summary
key concurrently: every call is saved and the summary equals the base tables afterwards
(PostgreSQL: the advisory lock orders the recomputes; SQLite: BEGIN IMMEDIATE)."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from portal.dashboard import summaries
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in_session

CLIENTS = 6


def test_parallel_calls_on_one_ward_and_day(app):
    from portal.followups.models import Discharge, FollowUpRule, FollowUpTask, Patient
    from portal.timeutil import local_today

    ward = factories.ward("W01")
    today = local_today()
    rule = FollowUpRule(ward_id=ward.id, label="D+3", days_after=3)
    db.session.add(rule)
    task_ids = []
    for i in range(CLIENTS):
        d = Discharge(patient=Patient(mrn=f"PAR{i}", name="并发", phone="13800001111"),
                      ward_id=ward.id, discharged_on=today - timedelta(days=3))
        t = FollowUpTask(discharge=d, rule=rule, ward_id=ward.id, due_on=today,
                         window_end=today + timedelta(days=2))
        db.session.add_all([d, t])
        db.session.flush()
        task_ids.append(t.id)
    nurse = factories.user("nurse", wards="W01")
    db.session.commit()
    clients = []
    for _ in range(CLIENTS):
        client = app.test_client()
        sign_in_session(client, nurse)
        client.csrf_token()
        clients.append(client)
    db.session.commit()
    barrier = threading.Barrier(CLIENTS)
    statuses, errors = [], []

    def fire(client, task_id):
        try:
            barrier.wait(timeout=30)
            statuses.append(client.post(f"/followups/tasks/{task_id}/attempts",
                                        data={"outcome": "no_answer",
                                              "key": uuid.uuid4().hex}, htmx=True).status_code)
        except Exception as e:  # noqa: BLE001  (a crash in a thread must fail the test)
            errors.append(repr(e))

    threads = [threading.Thread(target=fire, args=(c, t)) for c, t in zip(clients, task_ids,
                                                                            strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(statuses) == CLIENTS and all(s in (200, 204, 303) for s in statuses), \
        statuses
    db.session.rollback()
    assert summaries.differences(db.session.connection()) == {}
    attempted = db.session.execute(db.text(
        "SELECT sum(tasks_attempted) FROM summary_followups_daily")).scalar()
    assert attempted == CLIENTS


def test_parallel_calls_while_dashboards_read(app):
    """Writers mark keys while readers recompute them (each GET in a transaction of its own):
    nobody deadlocks or fails, and the summaries equal the base tables afterwards."""
    from portal.followups.models import Discharge, FollowUpRule, FollowUpTask, Patient
    from portal.timeutil import local_today

    wards = [factories.ward(c) for c in ("W01", "W02")]
    today = local_today()
    task_ids = []
    for n in range(CLIENTS * 2):
        ward = wards[n % 2]
        rule = FollowUpRule(ward_id=ward.id, label=f"D+3 {n}", days_after=3)
        d = Discharge(patient=Patient(mrn=f"RW{n}", name="并发", phone="13800001111"),
                      ward_id=ward.id, discharged_on=today - timedelta(days=3 + n % 3))
        t = FollowUpTask(discharge=d, rule=rule, ward_id=ward.id,
                         due_on=today - timedelta(days=n % 3),
                         window_end=today + timedelta(days=2))
        db.session.add_all([rule, d, t])
        db.session.flush()
        task_ids.append(t.id)
    nurse = factories.user("nurse", wards=["W01", "W02"])
    leader = factories.user("leader")
    db.session.commit()
    writers, readers = [], []
    for _ in range(CLIENTS):
        client = app.test_client()
        sign_in_session(client, nurse)
        client.csrf_token()
        writers.append(client)
    for _ in range(2):
        client = app.test_client()
        sign_in_session(client, leader)
        readers.append(client)
    db.session.commit()
    barrier = threading.Barrier(CLIENTS + len(readers))
    statuses, reads, errors = [], [], []

    def write(client, ids):
        try:
            barrier.wait(timeout=30)
            for task_id in ids:
                statuses.append(client.post(f"/followups/tasks/{task_id}/attempts",
                                            data={"outcome": "no_answer",
                                                  "key": uuid.uuid4().hex},
                                            htmx=True).status_code)
        except Exception as e:  # noqa: BLE001  (a crash in a thread must fail the test)
            errors.append(repr(e))

    def read(client):
        try:
            barrier.wait(timeout=30)
            for _ in range(3):
                reads.append(client.get(f"/dashboard?period={today:%Y-%m}").status_code)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=write, args=(c, task_ids[i::CLIENTS]))
               for i, c in enumerate(writers)]
    threads += [threading.Thread(target=read, args=(c,)) for c in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(statuses) == len(task_ids) and all(s in (200, 204, 303) for s in statuses), \
        statuses
    assert reads == [200] * 6
    db.session.rollback()
    summaries.current()
    assert db.session.execute(db.text("SELECT count(*) FROM summary_dirty")).scalar() == 0
    assert summaries.differences(db.session.connection()) == {}
    attempted = db.session.execute(db.text(
        "SELECT sum(tasks_attempted) FROM summary_followups_daily")).scalar()
    assert attempted == len(task_ids)
