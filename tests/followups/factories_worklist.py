"""Small factories for worklist tests: patients, discharges, rules and tasks written directly.

(The importer's factories live in tests/followups/factories.py; names here end in _w.)
"""
from __future__ import annotations

import itertools
from datetime import timedelta

from portal.extensions import db
from portal.followups.models import CallAttempt, Discharge, FollowUpRule, FollowUpTask, Patient
from portal.timeutil import local_today
from tests import factories

_seq = itertools.count(1)


def patient_w(**fields) -> Patient:
    n = next(_seq)
    p = Patient(mrn=fields.pop("mrn", f"WL{n:07d}"), name=fields.pop("name", f"患者{n}"),
                sex=fields.pop("sex", "F"), age_years=fields.pop("age_years", 60),
                phone=fields.pop("phone", f"1380000{n:04d}"), **fields)
    db.session.add(p)
    db.session.flush()
    return p


def rule_w(ward: str = "W01", **fields) -> FollowUpRule:
    r = FollowUpRule(ward_id=factories.ward(ward).id, label=fields.pop("label", "D+3 call"),
                     days_after=fields.pop("days_after", 3),
                     window_days=fields.pop("window_days", 2),
                     max_attempts=fields.pop("max_attempts", 3),
                     call_script=fields.pop("call_script", "Ask about the wound."), **fields)
    db.session.add(r)
    db.session.flush()
    return r


def discharge_w(ward: str = "W01", days_ago: int = 3, patient=None, **fields) -> Discharge:
    d = Discharge(patient_id=(patient or patient_w()).id, ward_id=factories.ward(ward).id,
                  discharged_on=local_today() - timedelta(days=days_ago),
                  diagnosis=fields.pop("diagnosis", "肺炎"), **fields)
    db.session.add(d)
    db.session.flush()
    return d


def task_w(ward: str = "W01", due_in: int = 0, window: int = 2, discharge=None, rule=None,
           discharged_days_before_due: int = 3, diagnosis: str = "肺炎",
           **fields) -> FollowUpTask:
    """A task due `due_in` days from today (negative: in the past)."""
    due = local_today() + timedelta(days=due_in)
    if discharge is None:
        discharge = discharge_w(ward, days_ago=discharged_days_before_due - due_in,
                                diagnosis=diagnosis)
    t = FollowUpTask(discharge_id=discharge.id, ward_id=discharge.ward_id,
                     rule_id=rule.id if rule else None, due_on=due,
                     window_end=due + timedelta(days=window), **fields)
    db.session.add(t)
    db.session.flush()
    return t


def attempt_w(task: FollowUpTask, nurse, outcome: str = "no_answer", **fields) -> CallAttempt:
    a = CallAttempt(task_id=task.id, nurse_id=nurse.id, outcome=outcome,
                    idempotency_key=fields.pop("idempotency_key", f"k{next(_seq):031d}"), **fields)
    db.session.add(a)
    db.session.flush()
    return a
