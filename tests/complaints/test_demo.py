"""Demo data: dozens of cases in various states, praise and suggestions; idempotent."""
import random

from sqlalchemy import func, select

from portal.auth import demo as auth_demo
from portal.complaints import demo
from portal.complaints.models import Complaint
from portal.extensions import db
from portal.wards import demo as wards_demo


def test_generate(app):
    rng = random.Random(1)
    wards_demo.generate(rng, {})
    auth_demo.generate(rng, {})
    demo.generate(rng, {"discharges": 0, "seed": 1})
    rows = dict(db.session.execute(select(Complaint.kind, func.count()).group_by(Complaint.kind)).all())
    assert rows["complaint"] >= 30 and rows["praise"] >= 5 and rows["suggestion"] >= 1
    states = set(db.session.scalars(select(Complaint.state).distinct()))
    assert {"received", "assigned", "closed"} <= states
    demo.generate(rng, {})
    assert db.session.scalar(select(func.count(Complaint.id))) == sum(rows.values())
