"""A known data set for the dashboard tests: discharges, tasks and call attempts on several
wards and months, with patients whose names and phone numbers the tests look for."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from portal.extensions import db
from portal.followups.models import CallAttempt, Discharge, FollowUpTask, Patient
from tests import factories

NAME_PREFIX = "测试患者"
PHONE_PREFIX = "1390077"
OUTCOME_POOL = ("reached_patient", "reached_family", "no_answer", "busy", "wrong_number",
                "refused", "no_answer")


def _seq():
    n = 0
    while True:
        n += 1
        yield n


def dataset(seed: int = 7, wards=("W01", "W02", "W03"), months=("2026-05", "2026-06",
            "2026-07", "2026-08", "2026-09"), per_month: int = 14) -> dict:
    """Build the data set; returns {'wards': {code: Ward}, 'nurse': User}."""
    rng = random.Random(seed)
    ward_objs = {c: factories.ward(c) for c in wards}
    nurse = factories.user("nurse", wards=list(wards), username=f"dsnurse{seed}")
    counter = _seq()
    for wi, code in enumerate(wards):
        for mi, month in enumerate(months):
            year, mon = map(int, month.split("-"))
            # W03 gets few discharges: its figures carry the small-sample mark
            count = per_month // 4 if code == "W03" else per_month + 3 * wi + mi
            for i in range(count):
                n = next(counter)
                patient = Patient(mrn=f"DS{seed}-{n:05d}", name=f"{NAME_PREFIX}{n}",
                                  phone=f"{PHONE_PREFIX}{n:04d}")
                discharged = date(year, mon, 1 + (i * 2) % 27)
                d = Discharge(patient=patient, ward_id=ward_objs[code].id, discharged_on=discharged)
                db.session.add_all([patient, d])
                for days in (3, 30):
                    _task(rng, d, ward_objs[code].id, discharged + timedelta(days=days), nurse)
    db.session.flush()
    return {"wards": ward_objs, "nurse": nurse}


def _task(rng, discharge, ward_id, due, nurse):
    kind_cancel = rng.random() < 0.05
    t = FollowUpTask(discharge=discharge, ward_id=ward_id, due_on=due,
                     window_end=due + timedelta(days=2), status="pending")
    db.session.add(t)
    if kind_cancel:
        t.status = "cancelled"
        return
    tries = rng.choice((0, 0, 1, 1, 2, 3))
    at = datetime(due.year, due.month, due.day, 2, 0, tzinfo=UTC)
    outcome, n = None, 0
    for k in range(tries):
        outcome, n = rng.choice(OUTCOME_POOL), k + 1
        db.session.add(CallAttempt(task=t, nurse_id=nurse.id, at=at + timedelta(hours=5 * k),
                                   outcome=outcome, idempotency_key=f"k{id(t)}-{k}-{rng.random()}"))
        if outcome not in ("no_answer", "busy"):
            break
    t.attempts, t.last_outcome = n, outcome
    if outcome in ("reached_patient", "reached_family", "refused", "deceased", "readmitted",
                   "wrong_number"):
        t.status = "completed"
        t.completed_at = at
    elif outcome is not None and n >= 3:
        t.status = "lost"
        t.completed_at = at
