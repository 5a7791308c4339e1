"""Complaint services: deadlines, repeats, reference numbers, limits, timeline and audit."""
from datetime import date, datetime, timedelta
from threading import Barrier, Thread

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.complaints import changes, services, timeline
from portal.complaints.models import Complaint, ComplaintEvent
from portal.extensions import db
from portal.timeutil import LOCAL_TZ
from tests import factories
from tests.complaints import factories as cf

FRIDAY = date(2026, 2, 13)  # before Spring Festival 2026 (Feb 14 make-up workday; 15-23 off)


def test_deadlines_single_ward(app):
    c = cf.case(received=FRIDAY)
    assert c.ack_due_on == date(2026, 2, 14)
    assert c.response_due_on == date(2026, 2, 27)   # 14, 24, 25, 26, 27
    assert c.next_due_on == c.ack_due_on


def test_deadlines_multi_ward(app):
    c = cf.case(received=FRIDAY, wards=("W01", "W02"))
    assert c.response_due_on == date(2026, 3, 5)    # ... 27, 28 (make-up), Mar 2, 3, 4, 5


def test_deadlines_critical_same_day(app):
    c = cf.case(received=FRIDAY, severity="critical", wards=("W01", "W02"))
    assert c.ack_due_on == FRIDAY and c.response_due_on == FRIDAY
    on_holiday = cf.case(received=date(2026, 2, 16), severity="critical")
    assert on_holiday.response_due_on == date(2026, 2, 24)


def test_deadlines_configurable(app):
    app.config["COMPLAINT_RESPONSE_DAYS"] = 2
    assert cf.case(received=FRIDAY).response_due_on == date(2026, 2, 24)


def test_adding_a_ward_recomputes_deadline(app):
    q = factories.user("quality")
    c = cf.case(q, received=FRIDAY)
    changes.move(c, q, "assign", c.version, wards=factories.wards("W01", "W02"))
    assert c.state == "assigned" and c.response_due_on == date(2026, 3, 5)
    assert c.next_due_on == c.response_due_on


def test_praise_has_no_response_deadline(app):
    c = cf.case(kind="praise", praise_type="banner", received=FRIDAY)
    assert c.reference.startswith("BY-2026-") and c.response_due_on is None
    assert c.praise_type == "banner"


def test_reference_numbers_per_kind_and_year(app):
    a, b = cf.case(), cf.case()
    s = cf.case(kind="suggestion")
    old = cf.case(received=date(2025, 12, 31))
    assert a.reference == "TS-2026-0001" and b.reference == "TS-2026-0002"
    assert s.reference == "JY-2026-0001" and old.reference == "TS-2025-0001"


def test_reference_numbers_unique_under_concurrent_filing(app):
    q = factories.user("quality")
    factories.ward("W01")
    user_id, threads, errors, refs = q.id, 8, [], []
    db.session.commit()  # and no new transaction here: on SQLite it would hold the write lock
    barrier = Barrier(threads)

    def file_one():
        try:
            with app.app_context():
                from portal.auth.models import User

                barrier.wait(timeout=30)  # all threads file at the same moment
                user = db.session.get(User, user_id)
                for _ in range(3):
                    refs.append(cf.case(user).reference)
                    db.session.commit()
                db.session.remove()
        except Exception as e:  # reported below; a thread's exception is otherwise lost
            errors.append(e)

    workers = [Thread(target=file_one) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert len(refs) == 24 and len(set(refs)) == 24
    assert sorted(refs) == [f"TS-2026-{n:04d}" for n in range(1, 25)]


def test_description_limit(app):
    q = factories.user("quality")
    c = cf.case(q)
    with pytest.raises(changes.Invalid) as info:
        changes.edit(c, q, c.version, {"description": "x" * 10_001})
    assert "description" in info.value.errors
    changes.edit(c, q, c.version, {"description": "x" * 10_000})


def test_stale_edit_refused_and_changes_listed(app):
    q = factories.user("quality")
    c = cf.case(q)
    loaded = c.version
    changes.edit(c, q, loaded, {"severity": "high"})
    with pytest.raises(changes.Stale):
        changes.edit(c, q, loaded, {"severity": "low"})
    assert c.severity == "high"
    since = timeline.changes_since(c, loaded)
    assert [(e.field, e.old_value, e.new_value, e.user_id) for e in since] == [
        ("severity", "medium", "high", q.id)]


def test_repeat_flag_same_ward_category_90_days(app):
    first = cf.case(received=date(2026, 6, 1))
    second = cf.case(received=date(2026, 8, 1))
    other_cat = cf.case(received=date(2026, 8, 2), cat="cost")
    far = cf.case(received=date(2026, 12, 1), wards=("W02",))
    late = cf.case(received=date(2027, 1, 15))  # > 90 days after Aug 1? (167 days) yes
    assert not first.is_repeat and second.is_repeat and not other_cat.is_repeat
    assert not far.is_repeat and not late.is_repeat
    assert [c.id for c in __import__("portal.complaints.repeats", fromlist=["x"])
            .earlier_cases(second)] == [first.id]


def test_repeat_flag_same_staff_180_days(app):
    nurse = factories.user("nurse", wards="W01")
    first = cf.case(received=date(2026, 3, 1), staff=[nurse], cat="cost", wards=("W02",))
    second = cf.case(received=date(2026, 8, 1), staff=[nurse], cat="safety", wards=("W03",))
    third = cf.case(received=date(2027, 3, 1), staff=[nurse], cat="other", wards=("W04",))
    assert not first.is_repeat and second.is_repeat and not third.is_repeat


def test_earlier_case_entered_late_flags_the_later_one(app):
    later = cf.case(received=date(2026, 8, 1))
    assert not later.is_repeat
    cf.case(received=date(2026, 7, 1))
    db.session.expire(later)
    assert later.is_repeat


def test_praise_is_never_a_repeat(app):
    cf.case(received=date(2026, 6, 1))
    assert not cf.case(kind="praise", received=date(2026, 6, 2)).is_repeat


def test_timeline_and_audit_ids_only(app):
    q = factories.user("quality")
    c = cf.case(q, complainant_name="张三", complainant_phone="138 1234 5678")
    assert c.complainant_phone == "13812345678"
    changes.edit(c, q, c.version, {"complainant_phone": "13900001111"})
    events = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                                .order_by(ComplaintEvent.id)).all()
    assert [e.kind for e in events] == ["state", "field"]
    assert events[1].new_value == "139****1111"
    details = db.session.scalars(select(AuditEntry.detail).where(
        AuditEntry.object_type == "complaints")).all()
    text = repr(details)
    assert "张三" not in text and "1390000" not in text and "13812345678" not in text


def test_visibility(app):
    q = factories.user("quality")
    mine = cf.case(q, wards=("W01",))
    other = cf.case(q, wards=("W02",))
    nurse = factories.user("nurse", wards="W01")
    received_elsewhere = cf.case(q, wards=("W03",), receiver_id=nurse.id)
    seen = set(db.session.scalars(select(Complaint.id).where(services.visible(nurse))))
    assert seen == {mine.id, received_elsewhere.id} and other.id not in seen
    for role in ("leader", "admin"):
        u = factories.user(role)
        assert not db.session.scalars(select(Complaint.id).where(services.visible(u))).all()


def test_received_time_is_local(app):
    c = cf.case(received=datetime(2026, 2, 13, 23, 30, tzinfo=LOCAL_TZ))
    assert c.ack_due_on == date(2026, 2, 14)  # local Friday, although UTC says Friday too
    early = cf.case(received=datetime(2026, 2, 14, 7, 0, tzinfo=LOCAL_TZ))  # UTC: Feb 13 23:00
    assert early.ack_due_on == date(2026, 2, 24)
    assert early.received_at.tzinfo is not None and timedelta(0) == timedelta(0)
