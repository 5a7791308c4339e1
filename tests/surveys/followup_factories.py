"""A minimal discharge -> task -> call attempt chain for phone-mode tests."""
from __future__ import annotations

import itertools
from datetime import date

from portal.extensions import db
from portal.followups.models import CallAttempt, Discharge, FollowUpRule, FollowUpTask, Patient
from tests import factories as f

_seq = itertools.count(1)


def call_attempt(template=None, ward_code: str = "W01"):
    ward = f.ward(ward_code)
    nurse = f.user("nurse", wards=ward_code)
    n = next(_seq)
    rule = FollowUpRule(ward_id=ward.id, label="D+3", days_after=3,
                        survey_template_id=template.id if template else None)
    patient = Patient(mrn=f"MRN{n:06d}", name="测试患者", phone="13800000000")
    discharge = Discharge(patient=patient, ward_id=ward.id, discharged_on=date(2026, 10, 5))
    db.session.add_all([rule, patient, discharge])
    db.session.flush()
    task = FollowUpTask(discharge_id=discharge.id, rule_id=rule.id, ward_id=ward.id,
                        due_on=date(2026, 10, 8), window_end=date(2026, 10, 10))
    db.session.add(task)
    db.session.flush()
    attempt = CallAttempt(task_id=task.id, nurse_id=nurse.id, outcome="reached_patient",
                          idempotency_key=f"k{n}")
    db.session.add(attempt)
    db.session.flush()
    return attempt, rule
