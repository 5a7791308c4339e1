"""A complaint through its whole workflow over HTTP, with the forms each step uses."""
from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.complaints.models import Complaint, ComplaintEvent
from portal.extensions import db
from tests import factories
from tests.complaints import factories as cf


def _fresh(case_id):
    db.session.expire_all()
    return db.session.get(Complaint, case_id)


def test_full_workflow(client, login):
    q = login("quality")
    c = cf.case(q, wards=("W01",))
    db.session.commit()
    w1 = factories.ward("W01")
    r = client.post(f"/complaints/{c.id}/move/assign", data={"version": c.version,
                                                              "ward_ids": [w1.id]}, htmx=True)
    assert r.status_code == 200 and 'id="case"' in r.text
    login("head_nurse", ward="W01")
    c = _fresh(c.id)
    assert c.state == "assigned"
    assert client.post(f"/complaints/{c.id}/move/investigate", data={"version": c.version},
                       htmx=True).status_code == 200
    r = client.post(f"/complaints/{c.id}/causes", htmx=True,
                    data={"category": "people", "narrative": "", "lesson": ""})
    assert r.status_code == 422 and 'class="error"' in r.text
    r = client.post(f"/complaints/{c.id}/causes", htmx=True, data={
        "category": "method", "narrative": "夜班人力不足，呼叫铃无人应答", "lesson": "弹性排班"})
    assert r.status_code == 200
    c = _fresh(c.id)
    assert client.post(f"/complaints/{c.id}/move/respond", htmx=True, data={
        "version": c.version, "response": "已向家属致歉并说明整改"}).status_code == 200
    c = _fresh(c.id)
    assert c.state == "responded" and c.response_text
    r = client.post(f"/complaints/{c.id}/move/plan", htmx=True, data={"version": c.version})
    assert r.status_code == 422  # no corrective action yet
    r = client.post(f"/complaints/{c.id}/actions", htmx=True, data={"what": "", "due_on": ""})
    assert r.status_code == 422
    r = client.post(f"/complaints/{c.id}/actions", htmx=True, data={
        "what": "夜班增加一名辅助护士", "owner_name": "护士长", "due_on": "2026-12-15"})
    assert r.status_code == 200
    c = _fresh(c.id)
    assert c.next_due_on is None or c.next_due_on == date(2026, 12, 15)
    assert client.post(f"/complaints/{c.id}/move/plan", htmx=True,
                       data={"version": c.version}).status_code == 200
    c = _fresh(c.id)
    assert c.state == "corrective_action" and c.next_due_on == date(2026, 12, 15)
    login("quality")
    r = client.post(f"/complaints/{c.id}/move/verify", htmx=True, data={"version": c.version})
    assert r.status_code == 422 and "open" in r.text.lower() or "整改措施" in r.text
    action = c.actions[0]
    login("head_nurse", ward="W01")
    assert client.post(f"/complaints/{c.id}/actions/{action.id}/done",
                       htmx=True).status_code == 200
    assert client.post(f"/complaints/{c.id}/actions/{action.id}/verify", htmx=True,
                       data={"effective": "yes"}).status_code == 403
    login("quality")
    r = client.post(f"/complaints/{c.id}/actions/{action.id}/verify", htmx=True,
                    data={"effective": "yes", "verification_note": "抽查三次均及时"})
    assert r.status_code == 200
    c = _fresh(c.id)
    assert client.post(f"/complaints/{c.id}/move/verify", data={"version": c.version}).status_code == 303
    c = _fresh(c.id)
    assert client.post(f"/complaints/{c.id}/move/close", data={"version": c.version}).status_code == 303
    c = _fresh(c.id)
    assert c.state == "closed" and c.closed_at is not None and c.next_due_on is None
    kinds = db.session.scalars(select(ComplaintEvent.kind).where(
        ComplaintEvent.complaint_id == c.id)).all()
    assert {"state", "cause", "action", "field"} <= set(kinds)
    audited = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "complaints", AuditEntry.object_id == str(c.id))).all()
    assert audited.count("complaint.moved") == 6 and "complaint.cause_added" in audited
    page = client.get(f"/complaints/{c.id}").text
    assert "夜班增加一名辅助护士" in page and "弹性排班" in page


def test_head_nurse_of_other_ward_cannot_work(client, login):
    q = factories.user("quality")
    c = cf.case(q, wards=("W01",))
    db.session.commit()
    nurse = login("head_nurse", ward="W02")
    # received by them, so visible, but not on their ward: no moves, causes or actions
    c.receiver_id = nurse.id
    c.state = "assigned"
    db.session.commit()
    assert client.post(f"/complaints/{c.id}/move/investigate",
                       data={"version": c.version}).status_code == 403
    assert client.post(f"/complaints/{c.id}/causes", data={
        "category": "people", "narrative": "x"}).status_code == 403


def test_nurse_may_comment_not_work(client, login):
    c = cf.case(wards=("W01",))
    db.session.commit()
    login("nurse", ward="W01")
    assert client.post(f"/complaints/{c.id}/comment", htmx=True,
                       data={"comment": "<b>家属再次来电</b>"}).status_code == 200
    page = client.get(f"/complaints/{c.id}").text
    assert "&lt;b&gt;家属再次来电&lt;/b&gt;" in page
    assert client.post(f"/complaints/{c.id}/causes", data={"category": "people",
                                                           "narrative": "x"}).status_code == 403
    r = client.post(f"/complaints/{c.id}/comment", htmx=True, data={"comment": "x" * 10_001})
    assert r.status_code == 422
