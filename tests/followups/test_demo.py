"""Demo data: deterministic, the demo nurse has calls due today, realistic outcomes."""
import random

from sqlalchemy import func, select

from portal.extensions import db
from portal.followups import demo
from portal.followups.models import CallAttempt, Discharge, FollowUpRule, FollowUpTask, Patient
from portal.timeutil import local_today
from portal.wards import demo as ward_demo


def _load(seed=1, n=400):
    rng = random.Random(seed)
    options = {"discharges": n, "seed": seed}
    ward_demo.generate(rng, options)
    from portal.auth import demo as auth_demo

    auth_demo.generate(rng, options)
    demo.generate(rng, options)
    db.session.commit()


def _snapshot():
    return (db.session.execute(select(Patient.mrn, Patient.name, Patient.phone)
                               .order_by(Patient.id)).all(),
            db.session.execute(select(CallAttempt.outcome, CallAttempt.at)
                               .order_by(CallAttempt.id)).all())


def test_demo_followups(app):
    _load()
    today = local_today()
    assert db.session.scalar(select(func.count(Discharge.id))) == 400
    assert db.session.scalar(select(func.count(FollowUpRule.id))) == 16
    script = db.session.scalar(select(FollowUpRule.call_script))
    assert "您好" in script
    w01_today = db.session.scalar(
        select(func.count(FollowUpTask.id)).join(FollowUpTask.ward)
        .where(FollowUpTask.status == "pending", FollowUpTask.due_on == today,
               FollowUpTask.ward.has(code="W01")))
    assert w01_today >= 6
    overdue = db.session.scalar(select(func.count(FollowUpTask.id)).where(
        FollowUpTask.status == "pending", FollowUpTask.due_on < today))
    assert overdue >= 3
    # resolved tasks: most reached, some lost
    done = dict(db.session.execute(select(FollowUpTask.status, func.count())
                                   .where(FollowUpTask.window_end < today)
                                   .group_by(FollowUpTask.status)).all())
    resolved = sum(done.values())
    assert 0.6 < done.get("completed", 0) / resolved < 0.95 and done.get("lost", 0) > 0
    reached = db.session.scalars(select(CallAttempt).where(
        CallAttempt.outcome.in_(("reached_patient", "reached_family")))).all()
    assert all(a.health_status and a.medication for a in reached)
    assert db.session.scalar(select(func.max(Discharge.discharged_on))) <= today


def test_same_seed_same_data(app, tmp_path):
    _load(seed=7, n=150)
    first = _snapshot()
    for model in (CallAttempt, FollowUpTask, Discharge, Patient):
        db.session.query(model).delete()
    db.session.commit()
    demo.generate(random.Random(7), {"discharges": 150, "seed": 7})
    db.session.commit()
    second = _snapshot()
    assert [r[1:] for r in first[0]] == [r[1:] for r in second[0]]
    assert first[1] == second[1]
