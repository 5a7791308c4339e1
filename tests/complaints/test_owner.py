"""Corrective action owner: a nurse or head nurse of the ward concerned (checked on the
server), or a name typed for someone without an account; one of the two is required.
Owners find their open actions with the register's "mine" filter."""
from __future__ import annotations

import pytest

from portal.complaints import changes
from portal.complaints.models import Complaint, CorrectiveAction
from portal.extensions import db
from tests import factories
from tests.complaints import factories as cf


@pytest.fixture
def setup(client, login):
    q = factories.user("quality")
    case = cf.case(q, wards=("W01",))
    changes.move(case, q, "assign", case.version)
    owner = factories.user("nurse", wards="W01", display_name="王护士")
    other_ward = factories.user("nurse", wards="W02", display_name="李护士")
    head = login("head_nurse", ward="W01")
    changes.move(case, head, "investigate", case.version)
    db.session.commit()
    return case, owner, other_ward, head, q


def post(client, case, **data):
    return client.post(f"/complaints/{case.id}/actions", htmx=True,
                       data={"what": "夜班增加巡视", "due_on": "2026-12-15", **data})


def test_form_offers_the_ward_s_nurses_only(client, setup):
    case, owner, other_ward, head, q = setup
    text = client.get(f"/complaints/{case.id}").text
    assert f'<option value="{owner.id}">王护士</option>' in text
    assert f'value="{other_ward.id}"' not in text
    assert f'value="{q.id}"' not in text


def test_owner_from_the_ward(client, setup):
    case, owner, *_ = setup
    r = post(client, case, owner_id=str(owner.id))
    assert r.status_code == 200 and "王护士" in r.text
    action = db.session.query(CorrectiveAction).one()
    assert action.owner_id == owner.id and action.owner_name == ""


@pytest.mark.parametrize("who", ["other_ward", "quality", "missing", "junk"])
def test_owner_refused_422(client, setup, who):
    case, owner, other_ward, head, q = setup
    value = {"other_ward": str(other_ward.id), "quality": str(q.id), "missing": "99999",
             "junk": "x"}[who]
    r = post(client, case, owner_id=value)
    assert r.status_code == 422 and 'id="owner_id-error"' in r.text
    assert db.session.query(CorrectiveAction).count() == 0


def test_owner_required_name_as_fallback(client, setup):
    case, *_ = setup
    r = post(client, case)
    assert r.status_code == 422 and 'id="owner_id-error"' in r.text
    r = post(client, case, owner_name="外包保洁组长")
    assert r.status_code == 200
    action = db.session.query(CorrectiveAction).one()
    assert action.owner_id is None and action.owner_name == "外包保洁组长"


def test_my_open_actions_filter(client, login, setup):
    case, owner, *_ = setup
    other = cf.case(wards=("W01",))
    db.session.commit()
    assert post(client, case, owner_id=str(owner.id)).status_code == 200
    login_as = db.session.get(type(owner), owner.id)
    from tests.conftest import sign_in_session

    sign_in_session(client, login_as)
    page = client.get("/complaints?view=all&mine=1").text
    assert case.reference in page and other.reference not in page
    assert 'name="mine" value="1" checked' in page
    db.session.query(CorrectiveAction).update({"status": "done"})
    db.session.commit()
    assert case.reference not in client.get("/complaints?view=all&mine=1").text
    assert db.session.get(Complaint, case.id) is not None
