"""Repeat flags follow edits: changing an earlier case's category, wards, staff or received
time (or withdrawing it) recomputes its own flag and those of the later cases that matched
it; a flag is cleared when its only match goes away, kept while another still matches."""
from datetime import date, datetime

import pytest

from portal.complaints import changes
from portal.complaints.models import Complaint
from portal.extensions import db
from portal.timeutil import LOCAL_TZ
from tests import factories
from tests.complaints import factories as cf


def flag(case) -> bool:
    db.session.expire_all()
    return db.session.get(Complaint, case.id).is_repeat


@pytest.fixture
def q(app):
    return factories.user("quality")


@pytest.mark.parametrize("change", ["category", "wards", "received", "withdraw"])
def test_match_goes_away_clears_later_flag(q, change):
    first = cf.case(q, received=date(2026, 6, 1))
    later = cf.case(q, received=date(2026, 7, 1))
    assert flag(later)
    first = db.session.get(Complaint, first.id)
    if change == "category":
        changes.edit(first, q, first.version, {"category_id": cf.category("cost").id})
    elif change == "wards":
        changes.edit(first, q, first.version, {}, wards=[factories.ward("W02")])
    elif change == "received":  # moved after the other: now IT repeats the other one
        changes.edit(first, q, first.version,
                     {"received_at": datetime(2026, 7, 20, 9, 0, tzinfo=LOCAL_TZ)})
    else:
        changes.move(first, q, "withdraw", first.version)
    assert not flag(later)
    assert flag(first) is (change == "received")


def test_flag_kept_while_another_earlier_case_matches(q):
    cf.case(q, received=date(2026, 5, 20))
    first = cf.case(q, received=date(2026, 6, 1))
    later = cf.case(q, received=date(2026, 7, 1))
    changes.edit(first, q, first.version, {"category_id": cf.category("cost").id})
    assert flag(later)


def test_staff_match_removed_then_added(q):
    nurse = factories.user("nurse", wards="W01")
    first = cf.case(q, received=date(2026, 3, 1), staff=[nurse], cat="cost", wards=("W02",))
    later = cf.case(q, received=date(2026, 8, 1), staff=[nurse], cat="safety", wards=("W03",))
    assert flag(later)
    first = db.session.get(Complaint, first.id)
    changes.edit(first, q, first.version, {}, staff=[])
    assert not flag(later)
    first = db.session.get(Complaint, first.id)
    changes.edit(first, q, first.version, {}, staff=[nurse])
    assert flag(later)


def test_edit_makes_a_new_match(q):
    first = cf.case(q, received=date(2026, 6, 1), cat="cost")
    later = cf.case(q, received=date(2026, 7, 1))
    assert not flag(later)
    first = db.session.get(Complaint, first.id)
    changes.edit(first, q, first.version, {"category_id": cf.category("attitude").id})
    assert flag(later) and not flag(first)


def test_assign_to_other_ward_clears_later_flag(q):
    first = cf.case(q, received=date(2026, 6, 1))
    later = cf.case(q, received=date(2026, 7, 1))
    first = db.session.get(Complaint, first.id)
    changes.move(first, q, "assign", first.version, wards=[factories.ward("W05")])
    assert not flag(later)


def test_recomputed_flag_does_not_bump_other_versions(q):
    """Flags of other cases are derived: no version bump, so nobody editing them gets 409."""
    first = cf.case(q, received=date(2026, 6, 1))
    later = cf.case(q, received=date(2026, 7, 1))
    version = later.version
    changes.edit(first, q, first.version, {"category_id": cf.category("cost").id})
    db.session.expire_all()
    assert db.session.get(Complaint, later.id).version == version


def test_received_time_edit_through_the_page(client, login):
    user = login("quality")
    first = cf.case(user, received=date(2026, 6, 1))
    later = cf.case(user, received=date(2026, 7, 1))
    db.session.commit()
    page = client.get(f"/complaints/{first.id}/edit")
    assert 'value="2026-06-01T10:00"' in page.text
    data = {"version": first.version, "description": first.description, "source": "telephone",
            "severity": "medium", "category_id": first.category_id,
            "ward_ids": [w.id for w in first.wards], "received_at": "2026-07-20T09:00"}
    assert client.post(f"/complaints/{first.id}/edit", data=data).status_code == 303
    assert not flag(later)
    db.session.expire_all()
    moved = db.session.get(Complaint, first.id)
    assert moved.received_at == datetime(2026, 7, 20, 9, 0, tzinfo=LOCAL_TZ)
    assert "2026-07-20 09:00" in client.get(f"/complaints/{first.id}").text  # timeline, local
    future = {**data, "version": moved.version, "received_at": "2099-01-01T09:00"}
    r = client.post(f"/complaints/{first.id}/edit", data=future, htmx=True)
    assert r.status_code == 422 and 'id="received_at-error"' in r.text
