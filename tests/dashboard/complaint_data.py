"""Complaint and praise cases for the dashboard tests, written straight into the tables
(states, deadlines and answers chosen here), some on two wards, with known complainant
names and phones that leaders must never see."""
from __future__ import annotations  # noqa: I001  (portal.complaints is first-party once merged)

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.complaints.models import Complaint, ComplaintCategory, CorrectiveAction
from portal.extensions import db

COMPLAINANT = "投诉人测试"
COMPLAINANT_PHONE = "13600001111"
STATES = ("received", "assigned", "investigating", "responded", "corrective_action", "verified",
          "closed", "withdrawn")


def cases(wards: dict, user, seed: int = 5, n: int = 90) -> None:
    rng = random.Random(seed)
    cats = list(db.session.scalars(select(ComplaintCategory)))
    codes = list(wards)
    for i in range(n):
        kind = rng.choice(("complaint", "complaint", "complaint", "praise", "suggestion"))
        received = datetime(2026, rng.randrange(5, 11), rng.randrange(1, 29), rng.randrange(0, 24),
                            tzinfo=UTC)
        due = (received + timedelta(hours=8)).date() + timedelta(days=7)
        state = rng.choice(STATES) if kind == "complaint" else rng.choice(("received", "closed"))
        responded = None
        if kind == "complaint" and rng.random() < 0.7:
            responded = datetime.combine(due + timedelta(days=rng.randrange(-5, 4)),
                                         datetime.min.time(), UTC) + timedelta(hours=rng.choice((1, 15, 17)))
        c = Complaint(reference=f"T{seed}-{i:04d}", kind=kind, source="telephone",
                      received_at=received, receiver_id=user.id, filed_by_id=user.id,
                      category_id=rng.choice(cats).id if cats else None, state=state,
                      complainant_name=COMPLAINANT, complainant_phone=COMPLAINANT_PHONE,
                      response_due_on=due if kind == "complaint" else None,
                      next_due_on=(date(2026, 11, 1) + timedelta(days=rng.randrange(-20, 40)))
                      if kind == "complaint" else None,
                      responded_at=responded, is_repeat=rng.random() < 0.2)
        first = rng.randrange(len(codes))
        c.wards = [wards[codes[first]]] + ([wards[codes[(first + 1) % len(codes)]]]
                                           if rng.random() < 0.25 else [])
        db.session.add(c)
        if kind == "complaint" and rng.random() < 0.5:
            db.session.add(CorrectiveAction(
                complaint=c, what=f"整改措施{i}", due_on=date(2026, 11, 22) + timedelta(
                    days=rng.randrange(-30, 30)), status=rng.choice(("open", "done")),
                created_by_id=user.id))
    db.session.flush()
