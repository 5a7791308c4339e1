"""Factories for complaint tests: cases filed through the service, and a call attempt."""
from __future__ import annotations

import itertools
from datetime import date, datetime

from sqlalchemy import select

from portal.complaints import services
from portal.complaints.models import ComplaintCategory
from portal.extensions import db
from portal.timeutil import LOCAL_TZ
from tests import factories

_seq = itertools.count(1)


def category(code: str = "attitude") -> ComplaintCategory:
    return db.session.scalar(select(ComplaintCategory).where(ComplaintCategory.code == code))


def case(user=None, *, kind="complaint", wards=("W01",), received=None, severity="medium",
         cat="attitude", staff=(), description="家属反映夜班呼叫铃响应慢", **fields):
    user = user or factories.user("quality")
    ward_ids = [factories.ward(code).id for code in wards]
    if isinstance(received, date) and not isinstance(received, datetime):
        received = datetime(received.year, received.month, received.day, 10, 0, tzinfo=LOCAL_TZ)
    data = services.Intake(kind=kind, source=fields.pop("source", "telephone"),
                           description=description, received_at=received,
                           category_id=category(cat).id if cat else None, severity=severity,
                           ward_ids=ward_ids, staff_ids=[u.id for u in staff], **fields)
    c = services.file_case(data, user)
    db.session.flush()
    return c


def call_attempt(ward_code="W01", concerns="护士解释不清楚", compliments="感谢王护士",
                 outcome="reached_patient"):
    from portal.followups.models import CallAttempt, Discharge, FollowUpTask, Patient

    n = next(_seq)
    w = factories.ward(ward_code)
    nurse = factories.user("nurse", wards=ward_code)
    patient = Patient(mrn=f"MRN{n:06d}", name=f"患者{n}", phone="13812345678")
    discharge = Discharge(patient=patient, ward_id=w.id, discharged_on=date(2026, 11, 1))
    task = FollowUpTask(discharge=discharge, ward_id=w.id, due_on=date(2026, 11, 4),
                        window_end=date(2026, 11, 6), status="completed")
    attempt = CallAttempt(task=task, nurse_id=nurse.id, outcome=outcome, concerns=concerns,
                          compliments=compliments, idempotency_key=f"k{n}")
    db.session.add_all([patient, discharge, task, attempt])
    db.session.flush()
    return attempt
