"""Follow-up factories (patients, discharges, rules, tasks), shared by every follow-up test.

Each returns a flushed object; the caller commits if needed. Wards come from
tests/factories.ward(code), created on first use.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from portal.extensions import db
from portal.followups.models import Discharge, FollowUpRule, FollowUpTask, Patient
from portal.timeutil import local_today
from tests import factories

_seq = itertools.count(1)


def patient(mrn: str | None = None, name: str = "张三", phone: str | None = "13812345678",
            **fields) -> Patient:
    p = Patient(mrn=mrn or f"T{next(_seq):07d}", name=name, phone=phone,
                sex=fields.pop("sex", "F"), **fields)
    db.session.add(p)
    db.session.flush()
    return p


def rule(ward: str = "W01", label: str = "D+3 call", days_after: int = 3, window_days: int = 2,
         **fields) -> FollowUpRule:
    r = FollowUpRule(ward=factories.ward(ward), label=label, days_after=days_after,
                     window_days=window_days, **fields)
    db.session.add(r)
    db.session.flush()
    return r


def discharge(ward: str = "W01", discharged_on: date | None = None, patient_=None,
              **fields) -> Discharge:
    discharged_on = discharged_on or local_today() - timedelta(days=3)
    d = Discharge(patient=patient_ or patient(), ward=factories.ward(ward),
                  discharged_on=discharged_on,
                  admitted_on=fields.pop("admitted_on", discharged_on - timedelta(days=5)),
                  diagnosis=fields.pop("diagnosis", "支气管肺炎"), **fields)
    db.session.add(d)
    db.session.flush()
    return d


def task(ward: str = "W01", due_on: date | None = None, status: str = "pending",
         discharge_=None, rule_=None, **fields) -> FollowUpTask:
    d = discharge_ or discharge(ward=ward)
    r = rule_ if rule_ is not None else rule(ward=d.ward.code)
    due_on = due_on or d.discharged_on + timedelta(days=r.days_after)
    t = FollowUpTask(discharge=d, rule=r, ward_id=d.ward_id, due_on=due_on,
                     window_end=fields.pop("window_end", due_on + timedelta(days=r.window_days)),
                     status=status, **fields)
    db.session.add(t)
    db.session.flush()
    return t
